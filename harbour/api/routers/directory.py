"""Directory imports over the API: an HSDS 3.0 file (any shape the specification defines, or the
tabular data package as ZIP) checked, and imported unless it is a dry run. All or nothing."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from harbour.api.auth import current_user
from harbour.api.schemas import ErrorOut
from harbour.core.errors import InvalidInput, NotFound
from harbour.directory import imports, policy
from harbour.orgs.models import Organisation

router = Router(tags=["directory"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


class ProblemOut(Schema):
    where: str
    message: str


class ExternalOut(Schema):
    where: str
    id: str


class ImportOut(Schema):
    ok: bool
    dry_run: bool
    unchanged: bool
    shape: str
    counts: dict[str, int]
    problems: list[ProblemOut]
    external_references: list[ExternalOut]


def _out(report: imports.ImportReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "dry_run": report.dry_run,
        "unchanged": report.unchanged,
        "shape": report.shape,
        "counts": report.counts,
        "problems": [{"where": w, "message": m} for w, m in report.problems],
        "external_references": [{"where": w, "id": i} for w, i in report.externals],
    }


@router.post(
    "/imports",
    response={200: ImportOut, 422: ImportOut, **ERRORS},
    summary="Check an HSDS 3.0 file and import it unless dry_run (all or nothing); 422 lists "
    "every problem and nothing is written",
)
def import_directory(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    dry_run: bool = Form(True),
    org: str | None = Form(None, max_length=60),
) -> Any:
    user = current_user(request)
    if not policy.may_manage_all(user):
        raise NotFound()
    if (file.size or 0) > imports.MAX_BYTES:
        raise InvalidInput(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": imports.MAX_BYTES >> 20}]}
        )
    owner = None
    if org:
        owner = Organisation.objects.filter(short_name=org, is_active=True).first()
        if owner is None:
            raise InvalidInput({"org": [_("No organisation has this short name.")]})
    report = imports.import_file(
        by=user, data=file.read(), filename=file.name or "", org=owner, dry_run=dry_run
    )
    return Status(200 if report.ok else 422, _out(report))
