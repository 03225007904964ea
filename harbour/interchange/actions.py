"""Every write of the interchange domain: import jobs (upload, check, commit, discard) and the
audit trail of exports. Keyword-only, an explicit actor, one transaction, audited.

An import is all or nothing (invariant 5): every row is checked before any is written, and the
rows are written in one transaction through the bulk intake (`cases.bulk.start_intakes`, ADR 45),
which stores what the same intakes typed one by one would — and a row imported twice is found by
its submission key and not created again. The file is streamed in both passes, never held as a
list of rows. Both passes note their progress outside the database (`progress`), where the page
and the API read it while that transaction is still open.
"""

import base64
import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.audit.actions import record_event
from harbour.cases import bulk
from harbour.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from harbour.interchange import imports, mapping, policy, progress, reading, states
from harbour.interchange.models import ColumnChoice, ImportJob, JobStatus, ValueChoice
from harbour.interchange.problems import FileProblem, Problem, column_letter
from harbour.orgs import crypto


def _audit(by: Any, action: str, job: ImportJob, **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        org_id=job.org_id,
        target_type="importjob",
        target_id=job.pk,
        context=context or None,
    )


def _move(job: ImportJob, status: str) -> None:
    if not states.allowed(job.status, status):
        raise Conflict(_("This import cannot go on from where it is."))
    job.status = status


@transaction.atomic
def create_import_job(
    *, by: User, data: bytes, dry_run: bool = True, defaults: dict[str, Any] | None = None
) -> ImportJob:
    """Keep the uploaded file (sealed) for the background job that checks and imports it.
    `defaults` fill the intake date and province of rows that leave them empty."""
    if not policy.may_import(by):
        raise Forbidden()
    if len(data) > reading.MAX_BYTES:
        raise InvalidInput({"file": [reading.too_large_message()]})
    if not data.strip():
        raise InvalidInput({"file": [_("The file is empty.")]})
    job = ImportJob(
        org_id=by.org_id,
        created_by=by,
        dry_run=dry_run,
        language=(translation.get_language() or "en")[:2],
        file_kind="xlsx" if data[:2] == b"PK" else "text",
        file_size=len(data),
        file_digest=hashlib.sha256(data).hexdigest(),
        defaults=_defaults(defaults or {}),
    )
    job.save()
    job.upload = crypto.seal(job.org_id, {"b64": base64.b64encode(data).decode()}, aad=_aad(job))
    job.save(update_fields=["upload"])
    _audit(by, "import_job.created", job, dry_run=dry_run, size=len(data))
    _forget_old_uploads(job.org_id)
    return job


def _forget_old_uploads(org_id: Any) -> None:
    """A file waiting for corrections or confirmation is kept (sealed) for KEEP_UPLOADS at most."""
    old = ImportJob.objects.filter(
        org_id=org_id, created_at__lt=timezone.now() - KEEP_UPLOADS
    ).exclude(upload="")
    old.exclude(status__in=[JobStatus.QUEUED, JobStatus.CHECKING, JobStatus.IMPORTING]).update(
        upload="", unknown_values=""
    )


@transaction.atomic
def choose_columns(*, by: User, job: ImportJob, choices: dict[str, str]) -> ImportJob:
    """Remember which field each named column holds (for this and later files of the
    organisation) and check the same file again as a new dry run."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not policy.may_import(by) or job.org_id != by.org_id:
        raise Forbidden()
    if job.status not in (JobStatus.FAILED, JobStatus.CHECKED) or not job.upload:
        raise Conflict(_("This import cannot go on from where it is."))
    data = _upload_of(job)
    headers = imports.headers_of(data)
    allowed = {t.key + (f"@{o}" if o else "") for t, o in mapping.choice_keys()} | {"-"}
    letters = {column_letter(i): h for i, h in enumerate(headers) if h}
    wrong = [k for k, v in choices.items() if v and (k not in letters or v not in allowed)]
    if wrong:
        raise InvalidInput({k: [_("Choose one of the listed options.")] for k in wrong})
    for letter, target in choices.items():
        if target:
            ColumnChoice.objects.update_or_create(
                org_id=job.org_id,
                header_token=imports.header_token(job.org_id, letters[letter]),
                defaults={"target": target, "chosen_by": by},
            )
    _audit(by, "import_job.columns_chosen", job, columns=len([v for v in choices.values() if v]))
    return _check_again(by, job, data)


def _check_again(by: User, job: ImportJob, data: bytes) -> ImportJob:
    again = create_import_job(by=by, data=data, dry_run=True, defaults=job.defaults)
    _move(job, JobStatus.DISCARDED)
    job.upload, job.unknown_values, job.finished_at = "", "", timezone.now()
    job.save(update_fields=["status", "upload", "unknown_values", "finished_at", "updated_at"])
    return again


@transaction.atomic
def choose_values(*, by: User, job: ImportJob, choices: list[tuple[str, str, str]]) -> ImportJob:
    """Remember what values of the organisation's files mean in a code list
    ((field key, value, code) each) and check the same file again as a new dry run."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not policy.may_import(by) or job.org_id != by.org_id:
        raise Forbidden()
    if job.status not in (JobStatus.FAILED, JobStatus.CHECKED) or not job.upload:
        raise Conflict(_("This import cannot go on from where it is."))
    offered = unknown_values_of(job)
    for key, value, code in choices:
        target = mapping.target_by_key(key)
        codelist = target.field.codelist if target else None
        if value not in offered.get(key, []) or codelist is None or codelist.get(code) is None:
            raise InvalidInput({key: [_("Choose one of the listed options.")]})
        ValueChoice.objects.update_or_create(
            org_id=job.org_id,
            field_key=key,
            value_token=imports.value_token(job.org_id, value),
            defaults={"code": code, "chosen_by": by},
        )
    _audit(by, "import_job.values_chosen", job, values=len(choices))
    return _check_again(by, job, _upload_of(job))


DEFAULTABLE = ("intake_date", "intake_province")


def _defaults(values: dict[str, Any]) -> dict[str, str]:
    """Only the intake's date and province may have a default; checked like any value."""
    from harbour.cases.actions import validate
    from harbour.standard.dictionary import current

    chosen = {k: v for k, v in values.items() if k in DEFAULTABLE and v not in (None, "")}
    unknown = set(values) - set(DEFAULTABLE)
    if unknown:
        raise InvalidInput({k: [_("This value cannot have a default.")] for k in unknown})
    cleaned = validate(current().entity("case"), chosen, version=current().latest, partial=True)
    return {k: str(v) for k, v in cleaned.items()}


KEEP_UPLOADS = dt.timedelta(days=2)


def _aad(job: ImportJob) -> str:
    return f"interchange.importjob:{job.pk}"


@transaction.atomic
def commit_import_job(*, by: User, job: ImportJob) -> ImportJob:
    """Ask for a checked dry run to be imported for real (checked again: things change)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not policy.may_import(by) or job.org_id != by.org_id:
        raise Forbidden()
    _move(job, JobStatus.QUEUED)
    job.dry_run = False
    job.save(update_fields=["status", "dry_run", "updated_at"])
    _audit(by, "import_job.commit_requested", job)
    return job


@transaction.atomic
def discard_import_job(*, by: User, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not policy.may_import(by) or job.org_id != by.org_id:
        raise Forbidden()
    _move(job, JobStatus.DISCARDED)
    job.upload, job.unknown_values, job.finished_at = "", "", timezone.now()
    job.save(update_fields=["status", "upload", "unknown_values", "finished_at", "updated_at"])
    _audit(by, "import_job.discarded", job)
    return job


# --- the background part ----------------------------------------------------------------------


def run_import_job(*, job_id: Any) -> ImportJob:
    """Check the file and, unless it is a dry run, import it. Runs in a task worker (or at once
    with Django's immediate task backend); the report is written in the uploader's language."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    progress.forget_old()
    with translation.override(job.language):
        try:
            return _run(job)
        except Exception:
            _finish(job, JobStatus.FAILED, [_unexpected()], "import_job.failed")
            raise
        finally:  # the job's row now holds its final counts (committed): they are read instead
            progress.clear(job.pk)


def _unexpected() -> Problem:
    return Problem(None, "", _("Harbour could not finish this import; nothing was written."))


def _run(job: ImportJob) -> ImportJob:
    by = job.created_by
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _move(job, JobStatus.CHECKING)
        job.save(update_fields=["status", "updated_at"])
    if not policy.may_import(by):
        problem = Problem(None, "", _("The person who uploaded this file may no longer import."))
        return _finish(job, JobStatus.FAILED, [problem], "import_job.failed")
    try:
        data = _upload_of(job)
    except FileProblem as exc:
        return _finish(
            job, JobStatus.FAILED, [Problem(None, "", str(exc.message))], "import_job.failed"
        )
    try:
        table = reading.read_table(data)  # read once; both passes read its rows
    except FileProblem as exc:
        plan = imports.Plan()
        plan.problem(None, "", exc.message)
        _keep_report(job, plan)
        return _finish(job, JobStatus.FAILED, plan.problems, "import_job.failed")
    settings = _settings_of(job)
    plan = imports.plan(table, progress=_checking(job), **settings)
    _keep_report(job, plan)
    if not plan.ok:
        return _finish(job, JobStatus.FAILED, plan.problems, "import_job.failed")
    if job.dry_run:
        return _finish(job, JobStatus.CHECKED, [], "import_job.checked")
    return _write(job, table, settings)


def _settings_of(job: ImportJob) -> dict[str, Any]:
    """What the organisation chose for its files' columns and values, the job's defaults, and
    whether its importer may give a case a status other than active, and whom the importer may
    make a case's owner (both passes check them)."""
    chosen = ColumnChoice.objects.filter(org_id=job.org_id).values_list("header_token", "target")
    values = ValueChoice.objects.filter(org_id=job.org_id).values_list(
        "field_key", "value_token", "code"
    )
    return {
        "org_id": job.org_id,
        "defaults": job.defaults,
        "chosen": dict(chosen),
        "values": {(key, token): code for key, token, code in values},
        "may_set_status": policy.may_set_status(job.created_by),
        "owners": policy.owners_for(job.created_by),
    }


def _upload_of(job: ImportJob) -> bytes:
    if not job.upload:
        raise FileProblem(_("The file is no longer kept; upload it again."))
    return base64.b64decode(crypto.open_sealed(job.org_id, job.upload, aad=_aad(job))["b64"])


def _checking(job: ImportJob) -> imports.Progress:
    """The check's progress (at most ~100 notes, `imports.plan`), noted outside the database:
    on SQLite an update of the job's row would wait for another import's write lock."""

    def note(done: int, total: int) -> None:
        progress.note(job.pk, progress.CHECKING, done, total)

    return note


def _keep_report(job: ImportJob, plan: imports.Plan) -> None:
    job.rows_total = plan.count + len({p.row for p in plan.problems if p.row})
    job.rows_done = job.rows_total
    job.columns = plan.columns
    job.warnings = [w.as_dict() for w in plan.warnings]
    unknown = {k: v for k, v in plan.unknown.items() if v}
    job.unknown_values = (
        crypto.seal(job.org_id, {"unknown": unknown}, aad=_aad(job) + ":values") if unknown else ""
    )


def unknown_values_of(job: ImportJob) -> dict[str, list[str]]:
    """Values of code-list columns the check did not understand (the uploader's own file)."""
    if not job.unknown_values or not job.upload:
        return {}
    opened = crypto.open_sealed(job.org_id, job.unknown_values, aad=_aad(job) + ":values")
    return dict(opened["unknown"])


def _finish(
    job: ImportJob, status: str, problems: list[Problem], action: str, **context: Any
) -> ImportJob:
    with transaction.atomic():
        job.status = status
        job.problems = [p.as_dict() for p in problems]
        if status not in (JobStatus.CHECKED, JobStatus.FAILED):
            job.upload = job.unknown_values = ""
        if status != JobStatus.CHECKED:
            job.finished_at = timezone.now()
        job.save()
        _audit(job.created_by, action, job, rows=job.rows_total, problems=len(problems), **context)
    return job


def _write(job: ImportJob, table: reading.Table, settings: dict[str, Any]) -> ImportJob:
    """The checked table's rows read again (not the file: its shape, size and count are known)
    and written in one transaction, in batches through the bulk intake (ADR 45); any row
    refused now (things changed since the check) undoes every row. Its progress (rows written
    of the rows checked) is noted after each batch, outside the transaction."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.IMPORTING, rows_done=0, rows_total=job.rows_total
    )
    job.status = JobStatus.IMPORTING
    progress.note(job.pk, progress.WRITING, 0, job.rows_total)
    try:
        with transaction.atomic():
            writer = _Writer(job)
            plan = imports.plan(table, sink=writer.add, **settings)
            writer.flush()
            if not plan.ok:  # the file or the choices changed since the check
                raise _RowFailed(plan.problems[0])
            job.created_count, job.existing_count = writer.created, writer.existing
            job.rows_done = plan.count
            _finish(job, JobStatus.DONE, [], "import_job.completed", created=writer.created)
    except _RowFailed as failure:
        job.created_count = job.existing_count = 0
        return _finish(job, JobStatus.FAILED, [failure.problem], "import_job.failed")
    return job


class _RowFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Writer:
    """Collects the plan's rows and writes them a batch at a time, noting the rows written
    after each batch (at most MAX_BATCH rows apart: ~100 notes at the largest file)."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.batch: list[imports.Row] = []
        self.created = self.existing = 0

    def add(self, row: imports.Row) -> None:
        self.batch.append(row)
        if len(self.batch) >= bulk.MAX_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        rows, self.batch = self.batch, []
        intakes = [bulk.Intake(r.survivor, r.case, r.key, r.status, r.owner) for r in rows]
        try:
            created, existing = bulk.start_intakes(by=self.job.created_by, intakes=intakes)
        except bulk.IntakeRejected as exc:
            problems = imports.Plan()
            imports.note_rejection(rows[exc.index], exc, problems)
            raise _RowFailed(problems.problems[0]) from None
        except DomainError as exc:  # changed since the check (e.g. a member of staff left)
            # Not about one row (a permission, say): reported for the file, without a row.
            raise _RowFailed(Problem(None, "", str(exc.message))) from None
        self.created, self.existing = self.created + created, self.existing + existing
        written = self.created + self.existing
        progress.note(self.job.pk, progress.WRITING, written, max(self.job.rows_total, written))


# --- exports ----------------------------------------------------------------------------------

EXPORT_FORMATS = {
    "csv": ("harbour-cases.csv", "text/csv; charset=utf-8"),
    "xlsx": (
        "harbour-cases.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "htcds": ("harbour-cases-htcds-2.0.zip", "application/zip"),
    "datapackage": ("harbour-cases-datapackage.zip", "application/zip"),
}


@transaction.atomic
def export_cases(*, by: User, fmt: str, identifying: bool = False) -> tuple[str, str, bytes]:
    """The organisation's own cases as a file: (file name, content type, bytes).

    Identifying fields need Perm.SURVIVOR_IDENTITY_VIEW as well; then every survivor whose
    identity leaves in the file gets an identity-read event, like a read on screen would."""
    from harbour.cases.actions import record_identity_read
    from harbour.cases.policy import cases_for
    from harbour.interchange import exports

    if not policy.may_export(by) or (identifying and not policy.may_export_identity(by)):
        raise Forbidden()
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput({"format": [_("Choose one of the listed formats.")]})
    cases = cases_for(by).select_related("survivor", "org", "owner")
    cases = cases.order_by("intake_date", "reference")
    rows = list(exports.records(cases, identifying=identifying))
    cols = exports.columns(identifying=identifying)
    if fmt == "htcds":
        data = exports.htcds_zip(rows, identifying=identifying)
    elif fmt == "datapackage":
        data = exports.datapackage_zip(exports.table(rows, cols), cols, by.org.name_en)
    elif fmt == "xlsx":
        data = exports.xlsx_bytes(exports.table(rows, cols))
    else:
        data = exports.csv_bytes(exports.table(rows, cols))
    sealed = [c.field.id for c in cols if c.field.is_sealed]
    if identifying:
        of = {
            e[0]: [c.field.id for c in cols if c.field.is_sealed and c.entity == e]
            for e in ("survivor", "case")
        }
        for case, _survivor, _values in rows:
            record_identity_read(by=by, record=case.survivor, fields=of["s"], purpose="export")
            record_identity_read(by=by, record=case, fields=of["c"], purpose="export")
    record_event(
        by=by,
        action="cases.exported",
        org_id=by.org_id,
        target_type="organisation",
        target_id=by.org_id,
        fields=sealed,
        context={"format": fmt, "rows": len(rows), "identifying": identifying},
    )
    name, content_type = EXPORT_FORMATS[fmt]
    return name, content_type, data
