"""Directory pages: search, a service, the care map (public and from a case), the survivor's
handout, coverage and disparities, and downloads. Every record goes through `policy`."""

import csv
import datetime as dt
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from harbour.core.errors import DomainError
from harbour.core.forms import show_errors
from harbour.directory import coverage as cov
from harbour.directory import export, policy, queries, references
from harbour.directory.forms import CareMapForm, SearchForm, secure_status
from harbour.directory.models import Closure
from harbour.directory.pathway import pathway
from harbour.directory.places import provinces, resolve
from harbour.directory.templatetags.directory import km

PAGE_SIZE = 20


def _aud(request: HttpRequest) -> policy.Audience:
    return policy.audience_of(request.user)


# --- search and a service ---------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results, place = None, None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            place = resolve(data["place"]) if data["place"] else None
        except DomainError as exc:
            show_errors(form, exc)
        if not form.errors:
            page = _page_number(request)
            results = queries.search(
                _aud(request),
                text=data["q"],
                term=data["term"],
                place=place,
                radius_km=float(data["radius"] or 100),
                profile=form.profile(),
                page=page,
                page_size=PAGE_SIZE,
            )
    return render(
        request,
        "directory/index.html",
        {
            "form": form,
            "results": results,
            "place": place,
            "today": timezone.localdate(),
            "stages": pathway().stages,
            "perms_manage": policy.manageable_services(request.user).exists()
            or policy.may_manage_all(request.user),
        },
    )


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(500, int(request.GET.get("page", "1"))))
    except ValueError:
        return 1


def service_detail(request: HttpRequest, service_id: Any) -> HttpResponse:
    aud = _aud(request)
    service = policy.service_for(aud, service_id)
    today = timezone.localdate()
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "places": policy.shown_places(aud, service),
            "terms": _terms_of(service),
            "languages": service.languages.all(),
            "phones": service.phones.filter(location__isnull=True),
            "closures": Closure.objects.filter(service=service, ends_on__gte=today),
            "schedules": service.schedules.all(),
            "stale": queries.stale(service, today),
            "may_manage": policy.manageable_services(request.user).filter(pk=service.pk).exists(),
            "outside": _outside(service),
        },
    )


def _outside(service: Any) -> list[tuple[str, str]]:
    """The service's references, and its organisation's, to records not in this directory
    (external references kept by an import, docs/adr/0043)."""
    found = references.outside("service", service)
    if service.provider is not None:
        found += references.outside("organization", service.provider)
    return found


def _terms_of(service: Any) -> list[str]:
    from harbour.directory.models import Attribute

    codes = Attribute.objects.filter(link_entity="service", link_id=service.pk).values_list(
        "term__code", flat=True
    )
    return [str(pathway().terms[c].label) for c in codes if c in pathway().terms]


# --- care map ---------------------------------------------------------------------------------


def care_map(request: HttpRequest) -> HttpResponse:
    """The standalone care map: public services only for the public, no sign-in needed."""
    form = CareMapForm(request.GET or None)
    cmap = _build(request, form)
    return render(
        request,
        "directory/care_map.html",
        {
            "form": form,
            "cmap": cmap,
            "case": None,
            "handout_query": request.GET.urlencode(),
        },
    )


def _build(request: HttpRequest, form: CareMapForm) -> queries.CareMap | None:
    if not form.is_bound or not form.is_valid():
        return None
    try:
        place = resolve(form.cleaned_data["place"])
    except DomainError as exc:
        show_errors(form, exc)
        return None
    return queries.care_map(_aud(request), place, form.cleaned_data["needs"], form.profile())


@login_required
def case_care_map(request: HttpRequest, case_id: Any) -> HttpResponse:
    from harbour.cases.policy import case_for

    case = case_for(request.user, case_id)
    form = CareMapForm(request.GET or _case_initial(request, case))
    cmap = _build(request, form)
    return render(
        request,
        "directory/care_map.html",
        {
            "form": form,
            "cmap": cmap,
            "case": case,
            "handout_query": form.data.urlencode() if hasattr(form.data, "urlencode") else "",
        },
    )


def _case_initial(request: HttpRequest, case: Any) -> Any:
    """The care map's form filled from the case: needs, place and the survivor's profile."""
    from django.http import QueryDict

    from harbour.cases.queries import immigration_standing
    from harbour.cases.values import read_values

    survivor = read_values(case.survivor, with_identity=False)
    values = read_values(case, with_identity=False)
    data = QueryDict(mutable=True)
    data.setlist("needs", [n for n in values.get("current_needs") or [] if n != "other"])
    data["place"] = _case_place(values)
    age = survivor.get("estimated_age") or _age_from_birth_date(request, case)
    if age is not None:
        data["age"] = str(age)
    data["gender"] = survivor.get("gender_identity") or ""
    data["language"] = survivor.get("primary_language") or ""
    flags = {
        "children": (survivor.get("dependants_with_them") or 0) > 0,
        "interpreter": bool(survivor.get("interpreter_needed")),
        "addiction": "substance_use" in (values.get("vulnerabilities") or [])
        or "detox_addiction_treatment" in (values.get("current_needs") or []),
        # Computed from the immigration timeline (dictionary 1.1), not typed on the survivor.
        "status_precarious": not secure_status(immigration_standing(case.survivor).status),
        "indigenous": bool(
            set(survivor.get("indigenous_identity") or []) & {"first_nations", "metis", "inuit"}
        ),
        "twoslgbtqi": survivor.get("twoslgbtqi_identity") == "yes",
    }
    for name, on in flags.items():
        if on:
            data[name] = "on"
    return data


def _case_place(values: dict[str, Any]) -> str:
    city, prov = values.get("intake_city") or "", values.get("intake_province") or ""
    if city and prov in provinces():
        return f"{city}, {provinces()[prov].abbr}"
    return provinces()[prov].en if prov in provinces() else city


def _age_from_birth_date(request: HttpRequest, case: Any) -> int | None:
    """Only with the right to see identities, and the read is audited like any other."""
    from harbour.cases import actions as case_actions
    from harbour.cases import policy as case_policy
    from harbour.cases.values import read_values

    if not case_policy.may_see_identity(request.user, case.survivor):
        return None
    birth = read_values(case.survivor, with_identity=True).get("birth_date")
    if birth is None:
        return None
    reader: Any = request.user
    case_actions.record_identity_read(
        by=reader, record=case.survivor, fields=["birth_date"], purpose="care_map"
    )
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def handout(request: HttpRequest) -> HttpResponse:
    """The survivor's printable, bilingual care map. Never a confidential address: the handout is
    built for the public audience whoever prints it, because paper leaves the organisation."""
    form = CareMapForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        raise Http404()
    try:
        place = resolve(form.cleaned_data["place"])
    except DomainError:
        raise Http404() from None
    cmap = queries.care_map(
        policy.PUBLIC_AUDIENCE, place, form.cleaned_data["needs"], form.profile()
    )
    columns = []
    for lang in ("en", "fr"):
        with translation.override(lang):
            columns.append(
                {
                    "lang": lang,
                    "stages": [
                        _handout_stage(s, lang) for s in cmap.stages if s.needed or not cmap.needs
                    ],
                }
            )
    return render(
        request,
        "directory/handout.html",
        {
            "columns": columns,
            "text": pathway().handout,
            "place": cmap.place,
            "printed": timezone.localdate(),
            "query": request.GET.urlencode(),
            "synthetic": any(
                m.service and m.service.is_synthetic
                for s in cmap.stages
                for m in s.matches + s.alternatives
            ),
        },
    )


def _unbroken(numbers: list[str]) -> str:
    """Phone numbers that never break across lines on the printed handout."""
    return ", ".join(n.replace(" ", "\u00a0") for n in numbers)


def _handout_stage(result: queries.StageResult, lang: str) -> dict[str, Any]:
    """One stage of one column, written in that column's language (the caller activated it)."""
    items = result.matches[:3] if result.matches else result.alternatives
    phone = getattr(pathway().handout["phone"], lang)
    return {
        "label": str(result.stage.label),
        "gap": result.is_gap,
        "items": [
            {
                "name": m.service.name if m.service else "",
                "phone_line": phone % {"numbers": _unbroken(m.phones[:2])} if m.phones else "",
                "place": m.place,
                "distance": None if m.distance_km is None else km(m.distance_km),
                "province": (m.place.province if m.place else m.row["province"]),
            }
            for m in items
        ],
    }


# --- coverage and disparities -----------------------------------------------------------------


def coverage(request: HttpRequest) -> HttpResponse:
    aud = _aud(request)
    data = cov.coverage(aud)
    stage_code = request.GET.get("stage") or "shelter"
    if stage_code not in pathway().stage_codes():
        stage_code = "shelter"
    stage = pathway().stage(stage_code)
    rows = [data.cell(code, stage_code) for code in provinces()]
    return render(
        request,
        "directory/coverage.html",
        {
            "stage": stage,
            "stages": pathway().stages,
            "rows": rows,
            "coverage": data,
            "ranking": data.ranking(),
            "map_cells": {c.province: c for c in rows},
            "chart_far": [(provinces()[c.province].name, c.people_far) for c in rows],
            # No service means no capacity, not a suppressed figure: drawn as 0.
            "chart_capacity": [(provinces()[c.province].name, c.per_100k or 0) for c in rows],
            "national": data.national.get(stage_code, 0),
            "matrix": [
                (p, [data.cell(p.code, s.code) for s in pathway().stages])
                for p in provinces().values()
            ],
        },
    )


def coverage_province(request: HttpRequest, code: str) -> HttpResponse:
    prov = provinces().get(code)
    if prov is None:
        raise Http404()
    data = cov.coverage(_aud(request))
    cells = [data.cell(code, s.code) for s in pathway().stages]
    centres = sorted(
        {c.name: c for cell in cells for c, _d in cell.centres}.values(),
        key=lambda c: -c.population,
    )[:40]
    table = [
        (c, [next((d for t, d in cell.centres if t == c), None) for cell in cells]) for c in centres
    ]
    return render(
        request,
        "directory/coverage_province.html",
        {
            "province": prov,
            "cells": cells,
            "table": table,
            "stages": pathway().stages,
        },
    )


CSV_COLUMNS = (
    "province",
    "province_name",
    "stage",
    "services",
    "capacity",
    "capacity_per_100k",
    "median_km_to_nearest",
    "share_beyond_reasonable_distance",
    "people_beyond_reasonable_distance",
    "reachable_by_phone_or_online",
    "open_cases_needing_it",
)


def coverage_csv(request: HttpRequest) -> HttpResponse:
    data = cov.coverage(_aud(request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for (code, stage), cell in data.cells.items():
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    code,
                    provinces()[code].en,
                    stage,
                    cell.services,
                    cell.capacity,
                    cell.per_100k,
                    cell.median_km,
                    round(cell.share_far, 3),
                    cell.people_far,
                    "yes" if cell.remote else "no",
                    "suppressed" if cell.demand is None else cell.demand,
                )
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="harbour-coverage.csv"'
    return response


def safe_cell(value: Any) -> Any:
    """Spreadsheet formula injection: text starting with = + - @ (or a tab/CR) is quoted."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return "" if value is None else value


# --- downloads --------------------------------------------------------------------------------


def download(request: HttpRequest, kind: str) -> HttpResponse:
    """The directory as HSDS 3.0, as this person may see it."""
    if kind not in {"json", "tabular"}:
        raise Http404()
    bundle = export.bundle_for(_aud(request))
    stamp = dt.date.today().isoformat()
    if kind == "json":
        response = HttpResponse(export.json_bytes(bundle), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="harbour-hsds-{stamp}.json"'
    else:
        response = HttpResponse(export.tabular_zip(bundle), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="harbour-hsds-{stamp}.zip"'
    return response
