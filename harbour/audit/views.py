from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
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
