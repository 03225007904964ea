"""Bulk import jobs (asynchronous: upload, poll status and progress, commit a dry run) and
exports of the caller's own organisation's cases; the intake as an XLSForm."""

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from harbour.api.auth import current_user
from harbour.api.schemas import ErrorOut
from harbour.core.errors import InvalidInput, NotFound
from harbour.interchange import actions, policy, progress, reading, tasks, xlsform
from harbour.interchange.models import ImportJob

router = Router(tags=["interchange"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ProblemOut(Schema):
    row: int | None
    column: str
    message: str


class JobOut(Schema):
    id: str
    status: str
    dry_run: bool
    rows_total: int
    rows_done: int
    percent: int
    created_count: int
    existing_count: int
    problems: list[ProblemOut]
    warnings: list[ProblemOut]
    columns: dict[str, str]
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _out(job: ImportJob) -> dict[str, Any]:
    # While the job runs, its counts are the ones noted outside its transaction: the status
    # "checking" or "importing" names the phase they belong to.
    now = progress.of(job)
    return {
        "id": str(job.pk),
        "status": job.status,
        "dry_run": job.dry_run,
        "rows_total": now.total,
        "rows_done": now.done,
        "percent": now.percent,
        "created_count": job.created_count,
        "existing_count": job.existing_count,
        "problems": job.problems,
        "warnings": job.warnings,
        "columns": job.columns,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _importer(request: HttpRequest) -> Any:
    user = current_user(request)
    if not policy.may_import(user):
        raise NotFound()
    return user


@router.post(
    "/imports",
    response={202: JobOut, **ERRORS},
    summary="Upload a file of intakes; checked (and imported unless dry_run) in the background",
)
def create_import(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    dry_run: bool = Form(True),
    intake_date: dt.date | None = Form(None),  # noqa: B008
    intake_province: str | None = Form(None, max_length=20),
) -> Any:
    user = _importer(request)
    if (file.size or 0) > reading.MAX_BYTES:
        raise InvalidInput({"file": [reading.too_large_message()]})
    defaults = {"intake_date": intake_date, "intake_province": intake_province}
    job = actions.create_import_job(by=user, data=file.read(), dry_run=dry_run, defaults=defaults)
    tasks.start(job.pk)
    job.refresh_from_db()
    return Status(202, _out(job))


@router.get("/imports", response={200: list[JobOut], **ERRORS}, summary="Recent import jobs")
def list_imports(request: HttpRequest) -> Any:
    return [_out(job) for job in policy.jobs_for(_importer(request))[:100]]


@router.get("/imports/{job_id}", response={200: JobOut, **ERRORS}, summary="Status and report")
def get_import(request: HttpRequest, job_id: uuid.UUID) -> Any:
    return _out(policy.job_for(_importer(request), job_id))


@router.post(
    "/imports/{job_id}/commit",
    response={202: JobOut, **ERRORS},
    summary="Import a checked dry run (checked again, then written all or nothing)",
)
def commit_import(request: HttpRequest, job_id: uuid.UUID) -> Any:
    user = _importer(request)
    job = actions.commit_import_job(by=user, job=policy.job_for(user, job_id))
    tasks.start(job.pk)
    job.refresh_from_db()
    return Status(202, _out(job))


@router.post("/imports/{job_id}/discard", response={200: JobOut, **ERRORS})
def discard_import(request: HttpRequest, job_id: uuid.UUID) -> Any:
    user = _importer(request)
    return _out(actions.discard_import_job(by=user, job=policy.job_for(user, job_id)))


@router.get(
    "/exports/{fmt}",
    response={200: bytes, **ERRORS},
    summary="Your organisation's cases as csv, xlsx, htcds (ZIP) or datapackage (ZIP); audited",
)
def export_cases(request: HttpRequest, fmt: str, identifying: bool = False) -> Any:
    user = current_user(request)
    if not policy.may_export(user):
        raise NotFound()
    name, content_type, data = actions.export_cases(by=user, fmt=fmt, identifying=identifying)
    return _file(data, name, content_type)


@router.get("/xlsform", response={200: bytes, **ERRORS}, summary="The intake as an XLSForm")
def get_xlsform(request: HttpRequest, language: str = "en") -> Any:
    _importer(request)
    if language not in ("en", "fr"):
        raise InvalidInput({"language": ["en | fr"]})
    name, data = xlsform.workbook(language=language)
    return _file(data, name, actions.EXPORT_FORMATS["xlsx"][1])


def _file(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
