"""Downloads: programs and awards as CSV (formula-safe), deadlines as iCalendar."""

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from harbour.grants import calendar, policy, queries, tabular, views
from harbour.grants.forms import ProgramSearchForm
from harbour.grants.models import Program
from harbour.orgs.models import Organisation


def _attachment(body: str | bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def programs_csv(request: HttpRequest) -> HttpResponse:
    """The programs the search page shows, with the same filters."""
    wanted = views.filter_of(ProgramSearchForm(request.GET or None)) or queries.ProgramFilter()
    found = queries.search_programs(policy.programs_visible(request.user), wanted)
    body = tabular.write_csv(tabular.PROGRAM_COLUMNS, tabular.program_rows(found))
    return _attachment(body, "text/csv; charset=utf-8", "harbour-programs.csv")


@login_required
def awards_csv(request: HttpRequest) -> HttpResponse:
    rows = tabular.award_rows(policy.awards_visible(request.user))
    body = tabular.write_csv(tabular.AWARD_COLUMNS, rows)
    return _attachment(body, "text/csv; charset=utf-8", "harbour-awards.csv")


@login_required
def calendar_download(request: HttpRequest) -> HttpResponse:
    wanted = views.filter_of(ProgramSearchForm(request.GET or None)) or queries.ProgramFilter()
    today = queries.today()
    found = queries.search_programs(policy.programs_visible(request.user), wanted, today)
    body = calendar.ics(
        found, name=_("Funding deadlines"), on=today, site=request.build_absolute_uri("/")[:-1]
    )
    return _attachment(body, "text/calendar; charset=utf-8", "harbour-deadlines.ics")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscription link of one organisation: calendar apps cannot sign in, so the signed
    link stands in for it. It holds public funding data only."""
    org_id = calendar.org_id_of(token[:200])
    org = Organisation.objects.filter(pk=org_id, is_active=True).first() if org_id else None
    if org is None:
        raise Http404()
    today = queries.today()
    programs = queries.eligible_for(org, _active_programs(), today)
    body = calendar.ics(
        programs,
        name=_("Funding deadlines for %(org)s") % {"org": org.name},
        on=today,
        site=request.build_absolute_uri("/")[:-1],
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _active_programs() -> QuerySet[Program]:
    return Program.objects.select_related("funder").filter(is_active=True)
