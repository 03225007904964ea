from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit import actions, delivery, policy, presenting, queries
from harbour.audit.checkpoint import CheckpointError
from harbour.audit.forms import CheckCheckpointForm
from harbour.audit.models import Checkpoint
from harbour.core.errors import NotFound

EXPORT_LIMIT = 100_000  # one spreadsheet; narrow the dates for more


@login_required
def trail(request: HttpRequest) -> HttpResponse:
    """The organisation's trail in words, filtered by person, action, dates and record."""
    user = _auditing_user(request)
    form, wanted = presenting.trail_filter(user.org_id, request.GET)
    events = queries.filtered_events(user.org_id, wanted)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    context = {"page": page, "rows": presenting.rows(user.org_id, list(page)), "form": form}
    return render(request, "audit/trail.html", context)


@login_required
def trail_csv(request: HttpRequest) -> HttpResponse:
    """The filtered trail as a spreadsheet (CSV), words and codes side by side; audited."""
    user = _auditing_user(request)
    _form, wanted = presenting.trail_filter(user.org_id, request.GET)
    events = list(queries.filtered_events(user.org_id, wanted)[:EXPORT_LIMIT])
    actions.record_trail_export(
        by=user, org_id=user.org_id, filters=wanted.used(), rows=len(events)
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the accents as UTF-8
    presenting.write_csv(response, user.org_id, events)
    return response


# --- checkpoints (ADR 35) ---------------------------------------------------------------------


def _auditing_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Perm.AUDIT_VIEW_ORG):
        raise NotFound()
    return user


@login_required
def checkpoints(request: HttpRequest) -> HttpResponse:
    """The organisation's checkpoints: sign and download one, re-download, check a kept one."""
    user = _auditing_user(request)
    form = CheckCheckpointForm(request.POST or None, request.FILES or None)
    result, refusal = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            result = queries.check_chain_checkpoint(str(user.org_id), form.cleaned_data["text"])
        except CheckpointError as exc:
            refusal = delivery.checkpoint_refusal(exc)
        actions.record_checkpoint_check(by=user, result=result, refusal=refusal)
    page = Paginator(policy.checkpoints_for(user.org_id), 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "result": result,
        "first_problems": delivery.described(queries.first_problems(result.problems))
        if result
        else [],
        "refusal": refusal,
        "verifier_key": delivery.verifier_key(),
    }
    return render(request, "audit/checkpoints.html", context)


@login_required
@require_POST
def sign_checkpoint(request: HttpRequest) -> HttpResponse:
    user = _auditing_user(request)
    try:
        checkpoint = actions.sign_checkpoint(by=user, scope=str(user.org_id), delivery="download")
    except actions.TrailNotIntact as exc:
        messages.error(request, str(exc.message))
        return redirect("audit:checkpoints")
    return _download(checkpoint, user)


@login_required
def download_checkpoint(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    user = _auditing_user(request)
    return _download(policy.checkpoint_for(user.org_id, checkpoint_id), user)


def _download(checkpoint: Checkpoint, user: User) -> HttpResponse:
    response = HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")
    name = delivery.file_name(checkpoint, user.org.short_name)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
