"""An import shows how far it is while its one transaction is still open (ADR 45): the job page
and the API, read over another database connection, see the rows written so far, and a job
that ended (imported, refused or crashed) reads its final counts and leaves no progress behind."""

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation

from harbour.audit.models import AuditEvent
from harbour.cases import bulk
from harbour.cases.models import Case
from harbour.interchange import actions, progress
from harbour.interchange.models import ImportJob, JobStatus
from harbour.interchange.tests.test_bulk_intake import csv_of

API = "/api/v1/interchange"


def in_another_thread(look: Any) -> Any:
    """What `look` returns when it runs on its own thread, hence its own database connection:
    it sees only what was committed, as a page polling the job does."""
    seen: list[Any] = []

    def run() -> None:
        try:
            seen.append(look())
        except Exception as exc:  # handed to the test, which fails on it
            seen.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(seen[0], Exception):
        raise seen[0]
    return seen[0]


class Watch:
    """Every progress note of the job; `look` runs once, from another connection, right after
    the first note of a batch written while more remain (inside the write's transaction)."""

    def __init__(self, monkeypatch: Any, look: Any) -> None:
        self.notes: list[tuple[str, int, int]] = []
        self.looked: list[Any] = []
        self.look, self.note = look, progress.note
        monkeypatch.setattr(progress, "note", self.noted)

    def noted(self, job_id: Any, phase: str, done: int, total: int) -> None:
        self.note(job_id, phase, done, total)
        self.notes.append((phase, done, total))
        if phase == progress.WRITING and 0 < done < total and not self.looked:
            self.looked.append(in_another_thread(lambda: self.look(job_id)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_batches")
def test_the_write_shows_its_progress_to_other_connections(
    supervisor, client_for, api_for, monkeypatch
) -> None:
    n = bulk.MAX_BATCH + 150
    page, api = client_for(supervisor), api_for(supervisor)

    def look(job_id: Any) -> dict[str, Any]:
        with translation.override("en"):
            seen = {
                "api": api.get(f"{API}/imports/{job_id}").json(),
                "page": page.get(f"/interchange/imports/{job_id}/").text,
            }
        if connection.vendor == "postgresql":  # SQLite's in-memory test database locks them
            seen["cases"] = Case.objects.count()  # the write's transaction is still open
        return seen

    watch = Watch(monkeypatch, look)
    job = actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False)
    assert api.get(f"{API}/imports").status_code == 200  # a poller already polling (token used)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == n, job.problems

    (seen,) = watch.looked
    status = seen["api"]
    assert status["status"] == "importing"
    assert (status["rows_done"], status["rows_total"]) == (bulk.MAX_BATCH, n)
    assert 0 < status["percent"] < 100 and status["percent"] == 100 * bulk.MAX_BATCH // n
    assert seen.get("cases", 0) == 0
    assert "Writing the rows" in seen["page"] and f"{bulk.MAX_BATCH} of {n} rows" in seen["page"]
    assert f'<progress id="progress" max="100" value="{status["percent"]}">' in seen["page"]

    # Both passes noted: the check a few times, the write after each batch; cheap either way.
    phases = [phase for phase, _done, _total in watch.notes]
    assert phases.count(progress.CHECKING) <= 101 and phases.count(progress.WRITING) == 3
    assert watch.notes[-1] == (progress.WRITING, n, n)

    # Ended: no progress left behind, and the job reads its final counts everywhere.
    assert not progress.path_of(job.pk).exists()
    final = api.get(f"{API}/imports/{job.pk}").json()
    assert (final["status"], final["rows_done"], final["rows_total"]) == ("done", n, n)
    assert final["percent"] == 100
    assert '<progress id="progress"' not in page.get(f"/interchange/imports/{job.pk}/").text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_batches")
def test_a_write_that_crashes_leaves_final_counts_and_no_progress(
    supervisor, api_for, monkeypatch
) -> None:
    """A failure in the middle of the write (after a batch went in): nothing written, the job
    failed with its counts, its progress file gone."""
    n = bulk.MAX_BATCH + 150
    api = api_for(supervisor)
    watch = Watch(monkeypatch, lambda job_id: api.get(f"{API}/imports/{job_id}").json())
    start_intakes = bulk.start_intakes

    def second_batch_fails(**kwargs: Any) -> Any:
        if any(phase == progress.WRITING and done > 0 for phase, done, _total in watch.notes):
            raise RuntimeError("the worker lost its database")
        return start_intakes(**kwargs)

    monkeypatch.setattr(bulk, "start_intakes", second_batch_fails)
    job = actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False)
    assert api.get(f"{API}/imports").status_code == 200  # a poller already polling (token used)
    with pytest.raises(RuntimeError):
        actions.run_import_job(job_id=job.pk)
    (seen,) = watch.looked
    assert seen["status"] == "importing" and seen["rows_done"] == bulk.MAX_BATCH

    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and Case.objects.count() == 0
    assert not progress.path_of(job.pk).exists()
    final = api.get(f"{API}/imports/{job.pk}").json()
    assert final["status"] == "failed" and final["rows_done"] == 0 and final["problems"]
    assert AuditEvent.objects.filter(action="import_job.failed").count() == 1


@pytest.mark.django_db
def test_a_refused_file_and_a_dry_run_leave_no_progress(supervisor) -> None:
    refused = actions.create_import_job(by=supervisor, data=csv_of(300, bad_row=250))
    refused = actions.run_import_job(job_id=refused.pk)
    checked = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=csv_of(300)).pk
    )
    assert refused.status == JobStatus.FAILED and checked.status == JobStatus.CHECKED
    for job in (refused, checked):
        assert not progress.path_of(job.pk).exists()
    assert progress.of(checked) == progress.Progress(None, 300, 300)


@pytest.mark.django_db
def test_a_left_over_note_does_not_mislead(supervisor) -> None:
    """A worker killed mid-write leaves its file: the job's row decides whether it is read."""
    job = actions.create_import_job(by=supervisor, data=csv_of(3), dry_run=False)
    progress.note(job.pk, progress.WRITING, 2, 3)
    assert progress.of(job) == progress.Progress(progress.WRITING, 2, 3)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, rows_total=3)
    job.refresh_from_db()
    assert progress.of(job) == progress.Progress(None, 0, 3)
    progress.path_of(job.pk).write_text("{half a no", encoding="utf-8")  # never read as progress
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.IMPORTING)
    job.refresh_from_db()
    assert progress.of(job) == progress.Progress(progress.WRITING, 0, 3)
    progress.clear(job.pk)


def running_page(client: Any, supervisor: Any, language: str) -> str:
    """The page of a job 12 rows into writing 30, as a poll finds it."""
    job = actions.create_import_job(by=supervisor, data=csv_of(30), dry_run=False)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.IMPORTING, rows_total=30)
    progress.note(job.pk, progress.WRITING, 12, 30)
    client.cookies["django_language"] = language
    try:
        return str(client.get(f"/interchange/imports/{job.pk}/").text)
    finally:
        progress.clear(job.pk)


@pytest.mark.django_db
def test_the_page_shows_the_writing_phase(client_for, supervisor) -> None:
    text = running_page(client_for(supervisor), supervisor, "en")
    assert "Writing the rows" in text and "12 of 30 rows" in text
    assert '<progress id="progress" max="100" value="40">' in text
    assert '<meta http-equiv="refresh"' in text


@pytest.mark.django_db
def test_the_writing_phase_reads_in_french(client_for, supervisor) -> None:
    """Needs the French catalogue with this change's messages (/work/tr/progress.json)."""
    text = running_page(client_for(supervisor), supervisor, "fr")
    assert "Écriture des lignes" in text and "12 lignes sur 30" in text
    assert '<progress id="progress" max="100" value="40">' in text


@pytest.mark.django_db
def test_an_import_goes_on_when_its_progress_cannot_be_noted(supervisor, tmp_path) -> None:
    not_a_folder = tmp_path / "var"
    not_a_folder.write_text("a file where the folder should be", encoding="utf-8")
    with override_settings(VAR_DIR=not_a_folder):
        job = actions.create_import_job(by=supervisor, data=csv_of(5), dry_run=False)
        job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == 5, job.problems


@pytest.mark.django_db
def test_a_committed_dry_run_waits_at_nothing_done(supervisor) -> None:
    """Queued again after its dry run, the job's row still holds the dry run's counts: the
    page shows the coming check at 0, not a full bar."""
    job = actions.run_import_job(job_id=actions.create_import_job(by=supervisor, data=csv_of(7)).pk)
    assert progress.of(job) == progress.Progress(None, 7, 7)
    job = actions.commit_import_job(by=supervisor, job=job)
    assert progress.of(job) == progress.Progress(progress.CHECKING, 0, 7)
