"""Statistics pages: the organisation dashboard, the analysts' national view and releases, the
public statistics, and research extracts. Every protected read goes through `policy`."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.cases import queries as case_queries
from harbour.cases.models import Case, CaseStatus, Screening
from harbour.core import tenancy
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors
from harbour.stats import actions, extracts, layered, policy, presentation, queries
from harbour.stats.catalogue import variable
from harbour.stats.forms import ExtractForm, PeriodForm, ReleaseForm, TableForm
from harbour.stats.models import (
    NATIONAL,
    RESEARCH,
    ExtractMethod,
    ExtractRequest,
    Release,
)
from harbour.stats.states import ExtractStatus, ReleaseStatus
from harbour.stats.tables import ALL, Method, Spec, Table, count, protect

DASHBOARD_VARIABLES = ("exploitation_type", "recruitment_method", "age_band", "referral_source")


def _fail(request: HttpRequest, exc: DomainError) -> None:
    errors = getattr(exc, "errors", {}) or {"": [exc.message]}
    for msgs in errors.values():
        for message in msgs:
            messages.error(request, str(message))


def _section(table: Table, title: str) -> dict[str, Any]:
    one_way = table.cols == [ALL]
    by_province = one_way and table.spec.row == "province"
    return {
        "map": [(r, table.cells[(r, ALL)]) for r in table.rows] if by_province else None,
        "title": title,
        "one_way": one_way,
        "rows": presentation.one_way(table) if one_way else [],
        "matrix": None if one_way else presentation.matrix(table),
        "charts": None if one_way else presentation.two_way_chart(table),
        "total": table.total,
        "meta": table.meta,
    }


def _layered_section(table: layered.LayeredTable, title: str) -> dict[str, Any]:
    """A three-way table: one captioned two-way table per layer code, the summed table and the
    layer totals (each a data table, readable by screen readers)."""
    return {"layered": True, "title": title, "meta": table.meta} | presentation.layered(table)


def _any_section(table: Table | layered.LayeredTable, title: str) -> dict[str, Any]:
    if isinstance(table, layered.LayeredTable):
        return _layered_section(table, title)
    return _section(table, title)


# --- organisation dashboard -------------------------------------------------------------------


@login_required
def org_dashboard(request: HttpRequest) -> HttpResponse:
    """The organisation's own numbers, exactly (its own data), beside the published national
    picture: the incentive to contribute."""
    org_id = policy.dashboard_org(request.user)
    period = PeriodForm(request.GET or None)
    first, last = period.years()
    cases = queries.in_period(Case.objects.filter(org_id=org_id), first, last)
    people, _linked = queries.person_rows(cases)
    sections = []
    for var_id in DASHBOARD_VARIABLES:
        own = count(Spec(var_id), people)
        sections.append(
            _section(own, str(variable(var_id).label)) | {"national": _national_of(var_id)}
        )
    counts = case_queries.case_counts(cases)
    context = {
        "period": period,
        "persons": len(people),
        "total": sum(counts.values()),
        "open": counts.get(CaseStatus.ACTIVE, 0) + counts.get(CaseStatus.FOLLOW_UP, 0),
        "screened": Screening.objects.filter(org_id=org_id, case__in=cases)
        .values("case")
        .distinct()
        .count(),
        "monthly": case_queries.monthly_intakes(cases),
        "sections": sections,
        "completeness": queries.completeness(cases),
    }
    return render(request, "stats/org_dashboard.html", context)


REPORT_VARIABLES = (
    "gender",
    "age_band",
    "exploitation_type",
    "recruitment_method",
    "trafficking_status",
    "referral_source",
)


def _own_tables(request: HttpRequest) -> tuple[Any, PeriodForm, list[Table], int]:
    org_id = policy.dashboard_org(request.user)
    period = PeriodForm(request.GET or None)
    first, last = period.years()
    cases = queries.in_period(Case.objects.filter(org_id=org_id), first, last)
    people, _linked = queries.person_rows(cases)
    return cases, period, [count(Spec(v), people) for v in REPORT_VARIABLES], len(people)


@login_required
def funder_report(request: HttpRequest) -> HttpResponse:
    """The organisation's numbers for any period on one printable page (print or save as PDF),
    or as CSV with `?format=csv`: its own data, exact."""
    cases, period, own, persons = _own_tables(request)
    if request.GET.get("format") == "csv":
        org_name = getattr(request.user, "org", None)
        meta = {"organisation": str(org_name), "period": period.years(), "unit": "persons"}
        text = "".join(presentation.csv_text(t, meta if i == 0 else {}) for i, t in enumerate(own))
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="harbour-report.csv"'
        return response
    context = {
        "period": period,
        "first_last": period.years(),
        "persons": persons,
        "cases": cases.count(),
        "sections": [_section(t, str(variable(t.spec.row).label)) for t in own],
    }
    return render(request, "stats/report.html", context)


def _national_of(var_id: str) -> dict[str, Any] | None:
    """The latest published one-way national release of this variable, as shares."""
    release = (
        Release.objects.filter(
            status=ReleaseStatus.PUBLISHED, row_variable=var_id, col_variable="", layer_variable=""
        )
        .order_by("-published_at")
        .first()
    )
    if release is None:
        return None
    table = Table.from_json(release.result)
    return {"release": release, "rows": presentation.one_way(table), "total": table.total}


# --- national view (analysts) -----------------------------------------------------------------


@login_required
def national(request: HttpRequest) -> HttpResponse:
    policy.require_analyst(request.user)
    chosen = TableForm(request.GET or {"row": "province"})
    preview: dict[str, Any] = {"preview": None}
    if chosen.is_valid():
        preview = _preview(chosen.spec())
    context = {
        "chosen": chosen,
        "form": ReleaseForm(),
        "releases": Release.objects.select_related("created_by", "reviewed_by")[:50],
        "extracts": ExtractRequest.objects.filter(status=ExtractStatus.REQUESTED)
        .select_related("requested_by")
        .defer("synthetic_csv"),
    } | _budgets()
    return render(request, "stats/national.html", context | preview)


def _preview(spec: Spec) -> dict[str, Any]:
    """The live table after disclosure control, and how its persons were found, in the words
    a release uses (`presentation.persons_shown`)."""
    with tenancy.widened("national statistics preview (suppressed or rounded)"):
        try:
            people, persons = queries.counted_persons(queries.statistics_cases())
        except queries.LinkageMoved:  # a run finished meanwhile: count again, with it
            people, persons = queries.counted_persons(queries.statistics_cases())
    # Analysts see the live table only after disclosure control, like any published figure:
    # suppression, or random rounding for three-way tables (ADR 46). The rounding is drawn
    # from a keyed hash of the table and its counts: reloading the page shows the same
    # figures, so it cannot be averaged back to the exact counts.
    if spec.layer:
        exact = layered.count(spec, people)
        rng = layered.keyed_rng(spec, exact, settings.SECRET_KEY)
        rounded = layered.protect(spec, exact, Method.ROUNDING, rng=rng)
        shown, method = _layered_section(rounded, str(_("Preview"))), Method.ROUNDING
    else:
        protected = protect(count(spec, people), Method.SUPPRESSION)
        shown, method = _section(protected, _("Preview")), Method.SUPPRESSION
    return {"preview": shown} | presentation.persons_shown(persons, method)


def _budgets() -> dict[str, Any]:
    """Both privacy budgets, side by side: releases spend the national one, synthetic research
    extracts the research one (ADR 29); a survivor in both faces up to their sum."""
    return {"budget": queries.budget(NATIONAL), "research_budget": queries.budget(RESEARCH)}


@login_required
@require_POST
def release_create(request: HttpRequest) -> HttpResponse:
    policy.require_analyst(request.user)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            release = actions.create_release(
                by=request.user,
                title=data["title"],
                title_fr=data.get("title_fr") or "",
                row_variable=data["row_variable"],
                col_variable=data.get("col_variable") or "",
                layer_variable=data.get("layer_variable") or "",
                method=data["method"],
                epsilon=data.get("epsilon") or None,
                first_year=data.get("first_year"),
                last_year=data.get("last_year"),
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Draft saved. A second analyst reviews and publishes it."))
            return redirect("stats:release", release_id=release.pk)
    context = {"form": form, "releases": [], "extracts": [], "chosen": None} | _budgets()
    return render(request, "stats/national.html", context, status=422)


@login_required
@require_POST
def release_decide(request: HttpRequest, release_id: str, decision: str) -> HttpResponse:
    policy.require_analyst(request.user)
    release = policy.release_for(request.user, release_id)
    act = {"publish": actions.publish_release, "reject": actions.reject_release}.get(decision)
    if act is None:
        raise NotFound()
    try:
        act(by=request.user, release=release)
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            _("The release is published.")
            if decision == "publish"
            else _("The draft is rejected."),
        )
    return redirect("stats:release", release_id=release.pk)


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    """Data quality per contributor and information-sharing gaps (analysts only)."""
    policy.require_analyst(request.user)
    from harbour.stats import quality as q

    context = {
        "contributors": q.contributors(),
        "emptiest": q.emptiest_fields()[:8],
        "idle": q.idle_agreements(),
        "silent": [variable("province").label_of(p) for p in q.silent_provinces()],
        "trend": q.completeness_trend(),
        "loop_days": q.OPEN_LOOP_DAYS,
    }
    return render(request, "stats/quality.html", context)


# --- public statistics ------------------------------------------------------------------------


def public_index(request: HttpRequest) -> HttpResponse:
    releases = Release.objects.filter(status=ReleaseStatus.PUBLISHED).order_by("-published_at")
    return render(request, "stats/public_index.html", {"releases": releases})


def release_detail(request: HttpRequest, release_id: str) -> HttpResponse:
    release = policy.release_for(request.user, release_id)
    section = None
    if release.is_published:
        section = _any_section(layered.load(release.result), release.local_title)
    dimensions = presentation.dimensions(release)
    context = {"release": release, "section": section, "dimensions": dimensions}
    # Published: as recorded; a draft (analysts only reach one) says how persons would be
    # counted if published now, in the same words.
    context |= presentation.persons_of(release) or {}
    return render(request, "stats/release.html", context)


def release_download(request: HttpRequest, release_id: str, fmt: str) -> HttpResponse:
    release = policy.published_release(release_id)
    table = layered.load(release.result)
    meta = presentation.release_metadata(release)
    name = f"harbour-release-{release.version}"
    if fmt == "json":
        response: HttpResponse = JsonResponse({"metadata": meta, "table": release.result})
    elif fmt == "csv":
        response = HttpResponse(
            presentation.csv_text(table, meta), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        response = HttpResponse(
            presentation.xlsx_bytes(table, meta),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise NotFound()
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- research ---------------------------------------------------------------------------------


@login_required
def research(request: HttpRequest) -> HttpResponse:
    if not policy.can_request_extracts(request.user):
        raise NotFound()
    requests = policy.extract_list_for(request.user)
    context = {"form": ExtractForm(), "requests": requests, "published": _published()}
    return render(request, "stats/research.html", context)


def _published() -> Any:
    return Release.objects.filter(status=ReleaseStatus.PUBLISHED).order_by("-published_at")[:10]


@login_required
@require_POST
def extract_request(request: HttpRequest) -> HttpResponse:
    if not policy.can_request_extracts(request.user):
        raise NotFound()
    form = ExtractForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.request_extract(
                by=request.user,
                purpose=data["purpose"],
                first_year=data.get("first_year"),
                last_year=data.get("last_year"),
                method=data.get("method") or ExtractMethod.KANON,
                epsilon=data.get("epsilon"),
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Request recorded. An analyst will review it."))
            return redirect("web:research")
    context = {
        "form": form,
        "requests": policy.extract_list_for(request.user),
        "published": _published(),
    }
    return render(request, "stats/research.html", context, status=422)


@login_required
@require_POST
def extract_decide(request: HttpRequest, request_id: str, decision: str) -> HttpResponse:
    policy.require_analyst(request.user)
    found = policy.extract_for(request.user, request_id)
    if decision not in {"approve", "refuse"}:
        raise NotFound()
    try:
        actions.decide_extract(by=request.user, request=found, approve=decision == "approve")
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("The decision is recorded."))
    return redirect("web:national")


@login_required
def extract_download(request: HttpRequest, request_id: str) -> HttpResponse:
    found = policy.downloadable_extract(request.user, request_id)
    extract = extracts.microdata(found)
    data = extracts.package(found, extract)
    actions.record_download(by=request.user, request=found, rows=len(extract.rows))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="harbour-extract-{str(found.pk)[:8]}.zip"'
    )
    return response
