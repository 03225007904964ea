from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit import actions, delivery, policy, queries
from harbour.audit.checkpoint import CheckpointError
from harbour.audit.forms import CheckCheckpointForm
from harbour.audit.models import Checkpoint
from harbour.audit.queries import events_for_org
from harbour.core.errors import NotFound


@login_required
def trail(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Perm.AUDIT_VIEW_ORG):
        raise NotFound()
    events = events_for_org(user.org_id)
    action = request.GET.get("action", "").strip()[:80]
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    actors = {u.pk: u for u in User.objects.filter(pk__in=[e.actor_id for e in page])}
    rows = [{"event": e, "actor": actors.get(e.actor_id) if e.actor_id else None} for e in page]
    return render(request, "audit/trail.html", {"page": page, "rows": rows, "action": action})


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
