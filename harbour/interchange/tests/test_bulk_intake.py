"""The bulk intake behind imports (ADR 45): it stores exactly what the single intake stores,
keeps the audit chain verifiable, and a row refused at the very end leaves nothing behind."""

import datetime as dt
import itertools
import threading

import pytest
from django.db import transaction

from harbour.audit import queries as audit_queries
from harbour.audit.actions import EventSpec, record_event, record_events
from harbour.audit.models import AuditEvent
from harbour.cases import bulk
from harbour.cases.actions import start_intake
from harbour.cases.models import Case, Survivor, SurvivorIndexEntry
from harbour.cases.values import read_values
from harbour.core.errors import InvalidInput
from harbour.interchange import actions, reading
from harbour.interchange.models import JobStatus
from harbour.linkage.models import SurvivorEncoding
from harbour.orgs import crypto

pytestmark = pytest.mark.django_db

HEADER = (
    "given_name,family_name,birth_date,gender_identity,intake_date,intake_province,"
    "consent_to_record,exploitation_types,current_needs\n"
)


def intake(i: int) -> tuple[dict, dict]:
    survivor = {
        "given_name": ["Nadia", "Amélie", "Zoé"][i % 3],
        "family_name": f"Row-{i}",
        "birth_date": dt.date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
        "gender_identity": "woman",
    }
    case = {
        "intake_date": dt.date(2026, 1 + i % 9, 1 + i % 28),
        "intake_province": "CA-ON",
        "consent_to_record": True,
        "exploitation_types": ["forced_labour"],
        "current_needs": ["legal", "safe_housing"],
    }
    return survivor, case


def csv_of(n: int, bad_row: int | None = None) -> bytes:
    lines = [HEADER]
    for i in range(n):
        province = "CA-ZZ" if i + 2 == bad_row else "CA-QC"
        lines.append(
            f"Nadia,Row-{i},1990-01-{1 + i % 28:02d},woman,2026-03-{1 + i % 28:02d},{province},"
            "yes,forced_labour,legal\n"
        )
    return "".join(lines).encode()


def stored(case: Case) -> dict:
    """What a case and its survivor hold, without what is random by design (ids, references,
    timestamps, ciphertexts)."""
    survivor = case.survivor
    events = AuditEvent.objects.filter(target_id__in=[str(case.pk), str(survivor.pk)])
    return {
        "survivor": read_values(survivor, with_identity=True),
        "case": read_values(case, with_identity=True) | {"owner": case.owner_id},
        "status": case.status,
        "versions": (survivor.standard_version, case.standard_version),
        "references": (survivor.reference[:2], len(survivor.reference), case.reference[:2]),
        "previous_case": case.previous_case_id,
        "created_by": (survivor.created_by_id, case.created_by_id),
        "sealed_with_survivor_key": survivor.sealed.startswith(f"hbr2.{survivor.pk}."),
        "tokens": set(
            SurvivorIndexEntry.objects.filter(survivor=survivor).values_list("token", flat=True)
        ),
        "events": sorted((e.action, e.target_type, tuple(e.fields)) for e in events),
        "linkage": SurvivorEncoding.objects.filter(survivor=survivor)
        .values_list("scheme", "key_id", "encoding", "weak")
        .first(),
    }


def test_the_bulk_and_the_single_intake_store_the_same_cases(supervisor) -> None:
    rows = [intake(i) for i in range(5)]
    singles = [
        start_intake(by=supervisor, survivor_values=s, case_values=c, submission_key=f"one:{i}")[0]
        for i, (s, c) in enumerate(rows)
    ]
    created, existing = bulk.start_intakes(
        by=supervisor,
        intakes=[bulk.Intake(s, c, f"many:{i}") for i, (s, c) in enumerate(rows)],
    )
    assert (created, existing) == (5, 0)
    crypto._SUBJECT_CACHE.clear()  # the survivors' keys are read back from the key store
    for i, single in enumerate(singles):
        many = Case.objects.get(submission_key=f"many:{i}")
        assert stored(many) == stored(single)
    assert Case.objects.values("reference").distinct().count() == 10


def test_a_repeated_submission_key_creates_nothing_new(supervisor) -> None:
    survivor, case = intake(1)
    start_intake(by=supervisor, survivor_values=survivor, case_values=case, submission_key="k")
    same = [bulk.Intake(survivor, case, "k"), bulk.Intake(*intake(2), "k2")]
    assert bulk.start_intakes(by=supervisor, intakes=same) == (1, 1)
    assert bulk.start_intakes(by=supervisor, intakes=same) == (0, 2)
    assert Case.objects.count() == 2


def test_an_invalid_intake_of_a_batch_writes_none_of_it(supervisor) -> None:
    good, (bad_s, bad_c) = intake(1), intake(2)
    before = (Case.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as caught:
        bulk.start_intakes(
            by=supervisor,
            intakes=[bulk.Intake(*good), bulk.Intake(bad_s, bad_c | {"intake_province": "XX"})],
        )
    assert isinstance(caught.value, bulk.IntakeRejected) and caught.value.index == 1
    assert (Case.objects.count(), AuditEvent.objects.count()) == before


def test_bulk_audit_events_chain_like_single_ones(supervisor) -> None:
    with transaction.atomic():
        record_event(by=supervisor, action="test.one", org_id=supervisor.org_id)
        record_events(
            by=supervisor,
            org_id=supervisor.org_id,
            events=[EventSpec("test.many", "case", i) for i in range(7)],
            batch_size=3,
        )
        record_event(by=supervisor, action="test.after", org_id=supervisor.org_id)
    chain = list(AuditEvent.objects.filter(chain=str(supervisor.org_id)).order_by("seq"))
    assert [e.seq for e in chain] == list(range(chain[0].seq, chain[0].seq + len(chain)))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    checked, problems = audit_queries.verify()
    assert checked >= 9 and problems == []


def test_a_tampered_bulk_event_is_found(supervisor) -> None:
    bulk.start_intakes(by=supervisor, intakes=[bulk.Intake(*intake(i)) for i in range(3)])
    event = AuditEvent.objects.filter(action="case.created").order_by("seq")[1]
    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            table = AuditEvent._meta.db_table
            cursor.execute(f"UPDATE {table} SET action = 'case.edited' WHERE id = %s", [event.pk])  # noqa: S608
    _checked, problems = audit_queries.verify()
    assert [p.seq for p in problems if p.kind == "altered"] == [event.seq]


@pytest.mark.usefixtures("small_batches")
def test_an_import_larger_than_a_batch_verifies_and_is_not_duplicated(supervisor) -> None:
    n = bulk.MAX_BATCH + 150
    job = actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == n, job.problems
    assert Case.objects.count() == Survivor.objects.count() == n
    assert AuditEvent.objects.filter(action="case.created").count() == n
    done = AuditEvent.objects.get(action="import_job.completed")
    assert done.context["created"] == n
    _checked, problems = audit_queries.verify()
    assert problems == []
    again = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False).pk
    )
    assert again.status == JobStatus.DONE and again.existing_count == n
    assert Case.objects.count() == n


def test_a_committed_import_reads_and_decodes_the_file_once(supervisor, monkeypatch) -> None:
    """The check and the write read the rows of the one table read from the upload: the file
    is decoded and its shape checked once, and each of the three passes parses the CSV once."""
    calls = {"read_table": 0, "decode": 0, "parse": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(reading, "read_table", counted("read_table", reading.read_table))
    monkeypatch.setattr(reading, "_decode", counted("decode", reading._decode))
    monkeypatch.setattr(reading, "_csv_rows", counted("parse", reading._csv_rows))
    job = actions.create_import_job(by=supervisor, data=csv_of(5), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == 5, job.problems
    assert calls == {"read_table": 1, "decode": 1, "parse": 3}  # shape and count, check, write


def _counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Survivor.objects.count(),
        SurvivorIndexEntry.objects.count(),
        AuditEvent.objects.filter(target_type__in=["case", "survivor"]).count(),
    )


def refused_at_the_end(supervisor, n: int) -> None:
    """A row refused while writing (after batches before it went in) undoes every row: the
    write pass is driven directly with a file whose last row was never checked."""
    job = actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False)
    before = _counts()
    settings = actions._settings_of(job)
    job = actions._write(job, reading.read_table(csv_of(n, bad_row=n + 1)), settings)
    assert job.status == JobStatus.FAILED and job.created_count == 0
    assert job.problems[0]["row"] == n + 1 and "F" in job.problems[0]["column"]
    assert _counts() == before
    _checked, problems = audit_queries.verify()
    assert problems == []


@pytest.mark.usefixtures("small_batches")
def test_a_row_refused_after_a_written_batch_leaves_the_database_unchanged(supervisor) -> None:
    refused_at_the_end(supervisor, bulk.MAX_BATCH + 10)


def test_a_file_with_a_bad_last_row_is_refused_by_the_check(supervisor) -> None:
    n = 1200
    job = actions.create_import_job(by=supervisor, data=csv_of(n, bad_row=n), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.FAILED and Case.objects.count() == 0
    assert [p["row"] for p in job.problems] == [n]


def test_the_row_limit_admits_100000_rows() -> None:
    assert reading.MAX_ROWS >= 100_000 and len(csv_of(100)) * 1000 <= reading.MAX_BYTES


@pytest.mark.slow
def test_10000_rows_import_and_a_refusal_at_the_last_row_undoes_all(supervisor) -> None:
    """Ten batches written, then a refusal: all undone; then the whole file goes in. The
    100,000-row import is run, timed and measured by benchmarks/bench_import.py."""
    refused_at_the_end(supervisor, 9_998)
    n = 10_000
    job = actions.create_import_job(by=supervisor, data=csv_of(n), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == n, job.problems
    assert Case.objects.count() == n
    _checked, problems = audit_queries.verify()
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_write_it_once(supervisor) -> None:
    """Two jobs committing the same file together (a double submission): the second waits for
    the first, then finds its submission keys, instead of failing on the unique index."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by itself")
    rows = [bulk.Intake(s, c, f"twice:{i}") for i, (s, c) in enumerate(map(intake, range(3)))]
    start, results, errors = threading.Barrier(2), [], []

    def run() -> None:
        try:
            start.wait()
            results.append(bulk.start_intakes(by=supervisor, intakes=rows))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(results) == [(0, 3), (3, 0)]
    assert Case.objects.filter(submission_key__startswith="twice:").count() == 3
