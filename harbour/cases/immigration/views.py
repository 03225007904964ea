"""The immigration pages that stand on their own: the organisation's TRP report. (The panel on
the case page is built with the rest of that page, in cases/views.py.)"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from harbour.accounts.policy import Perm, can
from harbour.cases import queries
from harbour.cases.immigration import reports
from harbour.cases.immigration import steps as immigration
from harbour.core.errors import NotFound
from harbour.standard.dictionary import current


def standing_labels(steps: list[Any], today: Any) -> dict[str, Any]:
    found = immigration.standing(steps, today)
    lists = current().codelists
    return {
        "standing": found,
        "status": lists["immigration_status"].label_of(found.status) if found.status else "",
        "trp_stage": lists["trp_stage"].label_of(found.trp_stage) if found.trp_stage else "",
        "waiting_days": (today - found.pending_since).days if found.pending_since else None,
    }


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The organisation's TRP report: counts only, no survivor's data."""
    user: Any = request.user  # signed in (login_required)
    if not can(user, Perm.ORG_DASHBOARD):
        raise NotFound()
    timelines = queries.immigration_timelines(user.org_id).values()
    found = reports.organisation_report((steps for _p, steps in timelines), timezone.localdate())
    reasons = current().codelists["trp_refusal_reason"]
    context = {
        "report": found,
        "outcomes": [
            (_("Waiting for a decision"), found.pending),
            (_("Permits issued"), found.issued),
            (_("Permits renewed"), found.renewed),
            (_("Refusals"), found.refused),
            (_("Permits lapsed"), found.lapsed),
            (_("Applied for permanent residence"), found.pr_applied),
            (_("Permanent residence granted"), found.pr_granted),
        ],
        "reasons": [(reasons.label_of(c), n) for c, n in found.refused_by_reason.most_common()],
    }
    return render(request, "cases/immigration_report.html", context)
