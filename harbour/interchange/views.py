"""Import and export pages: upload a file, follow its check, read the report, confirm; download
the organisation's cases or the XLSForm for offline collection."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors
from harbour.interchange import actions, policy, progress, reading, tasks, xlsform
from harbour.interchange.forms import (
    ColumnsForm,
    ExportForm,
    ImportForm,
    ValuesForm,
    XlsFormForm,
)


def _importer(request: HttpRequest) -> Any:
    if not policy.may_import(request.user) and not policy.may_export(request.user):
        raise Http404()
    return request.user


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    return _index(request, user, ImportForm(), ExportForm())


def _index(request: HttpRequest, user: Any, form: ImportForm, export_form: ExportForm) -> Any:
    if not policy.may_export_identity(user):
        del export_form.fields["identifying"]
    context = {
        "form": form,
        "export_form": export_form,
        "xlsform_form": XlsFormForm(),
        "jobs": policy.jobs_for(user).select_related("created_by")[:50],
        "may_import": policy.may_import(user),
        "may_export": policy.may_export(user),
        "max_mb": reading.MAX_BYTES // (1024 * 1024),
        "max_rows": reading.MAX_ROWS,
    }
    return render(request, "interchange/index.html", context)


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > reading.MAX_BYTES:
            form.add_error("file", reading.too_large_message())
        else:
            try:
                job = actions.create_import_job(
                    by=user,
                    data=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                    defaults={k: form.cleaned_data[k] for k in actions.DEFAULTABLE},
                )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                tasks.start(job.pk)
                return redirect("interchange:job", job_id=job.pk)
    return _index(request, user, form, ExportForm())


def _job(request: HttpRequest, job_id: Any) -> Any:
    try:
        return policy.job_for(request.user, job_id)
    except NotFound:
        raise Http404() from None


@login_required
def job_detail(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    return _job_page(request, job)


def _job_page(request: HttpRequest, job: Any, **forms: Any) -> HttpResponse:
    context = {
        "job": job,
        "progress": progress.of(job),
        "columns_form": forms.get("columns_form", _columns_form(job)),
        "values_form": forms.get("values_form", _values_form(job)),
    }
    return render(request, "interchange/job.html", context)


def _values_form(job: Any, data: Any = None) -> ValuesForm | None:
    if job.status not in ("failed", "checked") or not job.upload:
        return None
    unknown = actions.unknown_values_of(job)
    return ValuesForm(data, unknown=unknown) if unknown else None


@login_required
@require_POST
def choose_values(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    form = _values_form(job, request.POST)
    if form is None:
        raise Http404()
    if form.is_valid():
        try:
            again = actions.choose_values(by=request.user, job=job, choices=form.chosen())  # type: ignore[arg-type]
        except DomainError as exc:
            show_errors(form, exc)
        else:
            tasks.start(again.pk)
            return redirect("interchange:job", job_id=again.pk)
    return _job_page(request, job, values_form=form)


def _columns_form(job: Any, data: Any = None) -> ColumnsForm | None:
    if job.status not in ("failed", "checked") or not job.upload or not job.columns:
        return None
    return ColumnsForm(data, columns=job.columns)


@login_required
@require_POST
def choose_columns(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    form = _columns_form(job, request.POST)
    if form is None:
        raise Http404()
    if form.is_valid():
        choices = {k: v for k, v in form.cleaned_data.items() if v}
        try:
            again = actions.choose_columns(by=request.user, job=job, choices=choices)  # type: ignore[arg-type]
        except DomainError as exc:
            show_errors(form, exc)
        else:
            tasks.start(again.pk)
            return redirect("interchange:job", job_id=again.pk)
    return _job_page(request, job, columns_form=form)


@login_required
@require_POST
def commit(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    try:
        actions.commit_import_job(by=request.user, job=job)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        tasks.start(job.pk)
    return redirect("interchange:job", job_id=job.pk)


@login_required
@require_POST
def discard(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    try:
        actions.discard_import_job(by=request.user, job=job)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The file was discarded; nothing was imported."))
    return redirect("interchange:index")


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    form = ExportForm(request.POST)
    if not policy.may_export(user) or not form.is_valid():
        return _index(request, user, ImportForm(), form)
    try:
        name, content_type, data = actions.export_cases(
            by=user,
            fmt=form.cleaned_data["format"],
            identifying=bool(form.cleaned_data.get("identifying")),
        )
    except DomainError as exc:
        show_errors(form, exc)
        return _index(request, user, ImportForm(), form)
    return _download(data, name, content_type)


def _download(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def xlsform_download(request: HttpRequest) -> HttpResponse:
    """The intake as an XLSForm: the form itself holds no case data, so any importer may get it."""
    _importer(request)
    form = XlsFormForm(request.GET or None)
    language = form.cleaned_data["language"] if form.is_valid() else "en"
    name, data = xlsform.workbook(language=language)
    return _download(data, name, actions.EXPORT_FORMATS["xlsx"][1])
