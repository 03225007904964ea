"""Browsing the grants inventory and the partner network (any signed-in person)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from harbour.grants import policy, queries
from harbour.grants.forms import PartnerFilterForm, ProgramSearchForm
from harbour.grants.models import Group
from harbour.grants.queries import ProgramFilter

PAGE_SIZE = 50


def filter_of(form: ProgramSearchForm) -> ProgramFilter | None:
    if not form.is_bound:
        return ProgramFilter()
    if not form.is_valid():
        return None
    d = form.cleaned_data
    return ProgramFilter(
        text=d["q"],
        funder=form.data.get("funder", "")[:60],
        funder_kind=d["funder_kind"],
        province=d["province"],
        population=d["population"],
        pillar=d["pillar"],
        org_type=d["org_type"],
        within_days=d["within"],
        open_now=d["open_now"],
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = ProgramSearchForm(request.GET or None)
    wanted = filter_of(form)
    visible = policy.programs_visible(request.user)
    found = queries.search_programs(visible, wanted) if wanted else []
    today = queries.today()
    return render(
        request,
        "grants/index.html",
        {
            "form": form,
            "rows": [(p, *p.window(today)) for p in found[:PAGE_SIZE]],
            "total": len(found),
            "today": today,
            "may_curate": policy.may_curate(request.user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def eligible(request: HttpRequest) -> HttpResponse:
    """Programs the signed-in person's organisation is eligible for, open now or next."""
    org = policy.partner_for(request.user, request.user.org_id)  # type: ignore[union-attr]
    today = queries.today()
    found = queries.eligible_for(org, policy.programs_visible(request.user), today)
    return render(
        request,
        "grants/eligible.html",
        {
            "org": org,
            "rows": [(p, *p.window(today)) for p in found],
            "today": today,
            "feed_url": _feed_url(request, org),
        },
    )


def _feed_url(request: HttpRequest, org: Any) -> str:
    from django.urls import reverse

    from harbour.grants import calendar

    return request.build_absolute_uri(reverse("grants:feed", args=[calendar.feed_token(org)]))


@login_required
def program_detail(request: HttpRequest, program_id: str) -> HttpResponse:
    program = policy.program_for(request.user, program_id)
    today = queries.today()
    opens, closes = program.window(today)
    awards = policy.awards_visible(request.user).filter(program=program)
    return render(
        request,
        "grants/program.html",
        {
            "program": program,
            "opens": opens,
            "closes": closes,
            "is_open": program.is_open(today),
            **_awards_context(request, awards[:100]),
            "may_curate": policy.may_curate(request.user),
        },
    )


@login_required
def funders(request: HttpRequest) -> HttpResponse:
    rows = policy.funders_visible(request.user)
    return render(
        request,
        "grants/funders.html",
        {"funders": rows, "may_curate": policy.may_curate(request.user)},
    )


@login_required
def funder_detail(request: HttpRequest, funder_id: str) -> HttpResponse:
    funder = policy.funder_for(request.user, funder_id)
    today = queries.today()
    programs = policy.programs_visible(request.user).filter(funder=funder)
    return render(
        request,
        "grants/funder.html",
        {
            "funder": funder,
            "rows": [(p, *p.window(today)) for p in programs],
            "may_curate": policy.may_curate(request.user),
        },
    )


@login_required
def awards(request: HttpRequest) -> HttpResponse:
    rows = policy.awards_visible(request.user)
    province = request.GET.get("province", "")
    if province:
        rows = rows.filter(province=province[:5])
    return render(
        request,
        "grants/awards.html",
        {
            **_awards_context(request, rows[:200]),
            "total": rows.count(),
            "may_add": policy.award_orgs_for(request.user).exists(),
        },
    )


def _awards_context(request: HttpRequest, awards: Any) -> dict[str, Any]:
    """The awards to list, and which of them this person may change (their own organisation's,
    or any for a curator)."""
    rows = list(awards)
    editable = {a.pk for a in rows if policy.may_change_awards_of(request.user, a.org)}
    return {"awards": rows, "editable": editable}


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    form = PartnerFilterForm(request.GET or None)
    orgs = list(policy.partners_visible(request.user))
    if form.is_bound and form.is_valid():
        group, province = form.cleaned_data["group"], form.cleaned_data["province"]
        orgs = [o for o in orgs if _in_group(o, group) and _in_region(o, province)]
    records = queries.referral_records([o.pk for o in orgs])
    return render(
        request,
        "grants/partners.html",
        {
            "form": form,
            "rows": [(o, _profile(o), records.get(o.pk)) for o in orgs],
            "may_edit_own": policy.may_edit_own(request.user),
        },
    )


def _profile(org: Any) -> Any:
    return getattr(org, "partner_profile", None)


def _in_group(org: Any, group: str) -> bool:
    profile = _profile(org)
    return not group or (profile is not None and profile.group == group)


def _in_region(org: Any, province: str) -> bool:
    profile = _profile(org)
    regions = set(org.provinces_served or []) | {org.province}
    if profile is not None:
        regions |= set(profile.regions)
    return not province or province in regions


@login_required
def partner_detail(request: HttpRequest, org_id: str) -> HttpResponse:
    org = policy.partner_for(request.user, org_id)
    record = queries.referral_records([org.pk]).get(org.pk) or queries.ReferralRecord()
    seats = org_committees(org)
    return render(
        request,
        "grants/partner.html",
        {
            "org": org,
            "profile": _profile(org),
            "record": record,
            "agreements": queries.agreement_status(org),
            "committees": seats,
            **_awards_context(request, policy.awards_visible(request.user).filter(org=org)[:50]),
            "is_own": policy.may_edit_own(request.user) and request.user.org_id == org.pk,  # type: ignore[union-attr]
        },
    )


def org_committees(org: Any) -> list[Any]:
    from harbour.grants.models import CommitteeMember

    return list(CommitteeMember.objects.filter(org=org).select_related("committee"))


@login_required
def committees(request: HttpRequest) -> HttpResponse:
    rows = [(c, queries.missing_groups(c)) for c in policy.committees_visible(request.user)]
    return render(
        request,
        "grants/committees.html",
        {"rows": rows, "may_curate": policy.may_curate(request.user), "groups": Group},
    )


@login_required
def committee_detail(request: HttpRequest, committee_id: str) -> HttpResponse:
    committee = policy.committee_for(request.user, committee_id)
    seats = committee.seats.select_related("org", "org__partner_profile").order_by(
        "-is_chair", "org__name_en"
    )
    return render(
        request,
        "grants/committee.html",
        {
            "committee": committee,
            "seats": seats,
            "missing": [Group(g).label for g in queries.missing_groups(committee)],
            "may_curate": policy.may_curate(request.user),
        },
    )


@login_required
def funding(request: HttpRequest) -> HttpResponse:
    """Money by province, pillar and population, beside the directory's service gaps."""
    from harbour.directory.places import provinces
    from harbour.grants import charts
    from harbour.grants.models import Pillar, Population

    awards = policy.awards_visible(request.user)
    year = _year(request.GET.get("year", ""))
    data = queries.funding(awards, year)
    gaps = queries.gaps_by_province(request.user)
    names = {code: p.name for code, p in provinces().items()}
    rows = [
        (
            code,
            names[code],
            data.by_province.get(code, 0),
            data.per_100k.get(code, 0),
            gaps.get(code, {}),
        )
        for code in provinces()
    ]
    return render(
        request,
        "grants/funding.html",
        {
            "map": charts.funding_map(data.per_100k, names, str(_("Funding per 100,000 people"))),
            "shades": charts.SHADES,
            "rows": rows,
            "data": data,
            "year": year,
            "stage_count": gaps.get("_stages", {}).get("count", 0),
            # In thousands: full amounts do not fit beside the bars.
            "by_pillar": [(str(Pillar(k).label), v // 1000) for k, v in data.by_pillar.items()],
            "by_population": [
                (str(Population(k).label), v // 1000)
                for k, v in sorted(data.by_population.items(), key=lambda kv: -kv[1])
                if k in Population.values
            ],
            "matrix": [
                (names[code], [data.matrix.get((code, p), 0) for p in Pillar.values])
                for code in provinces()
            ],
            "pillars": Pillar.choices,
            "population_matrix": [
                (names[code], [data.populations.get((code, p), 0) for p in Population.values])
                for code in provinces()
            ],
            "population_choices": Population.choices,
        },
    )


def _year(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else None


@login_required
def network(request: HttpRequest) -> HttpResponse:
    from harbour.grants import charts

    orgs = {o.pk: o for o in policy.partners_visible(request.user)}
    edges = [e for e in queries.network_edges() if e.source in orgs and e.target in orgs]
    linked = {e.source for e in edges} | {e.target for e in edges}
    nodes = [
        (pk, o.name, getattr(_profile(o), "group", ""))
        for pk, o in orgs.items()
        if pk in linked or _profile(o) is not None
    ]
    table = sorted(
        ((orgs[e.source].name, orgs[e.target].name, charts.count_text(e.count)) for e in edges),
    )
    return render(
        request,
        "grants/network.html",
        {
            "picture": charts.network(nodes, edges, str(_("Who refers to whom"))),
            "legend": [(Group(g).label, c) for g, c in charts.GROUP_COLOURS.items()],
            "no_group": charts.NO_GROUP,
            "table": table,
        },
    )
