"""Cross-domain pages: the landing page of each role, dashboards, quick exit."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, Role, can
from harbour.cases import queries
from harbour.cases.models import Case, CaseStatus, Screening
from harbour.core.errors import NotFound
from harbour.standard.dictionary import current
from harbour.stats.core.suppression import safe_total, suppress

LANDING: dict[str, str] = {
    Role.CASEWORKER: "cases:list",
    Role.SUPERVISOR: "web:org_dashboard",
    Role.ORG_ADMIN: "web:org_dashboard",
    Role.NATIONAL_ANALYST: "web:national",
    Role.RESEARCHER: "web:research",
    Role.AUDITOR: "audit:trail",
    Role.SYSTEM_ADMIN: "orgs:list",
}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        return redirect(LANDING.get(str(getattr(user, "role", "")), "standard:index"))
    return render(request, "web/landing.html")


@never_cache
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave at once: end any session and go to an everyday site."""
    logout(request)
    response = HttpResponseRedirect(settings.HARBOUR_QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _require(request: HttpRequest, perm: Perm) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, perm):
        raise NotFound()
    return user


def _labelled(field_id: str, counts: dict[str, Any], entity: str = "case") -> list[tuple[str, Any]]:
    codelist = current().entity(entity).field(field_id).codelist
    assert codelist is not None
    rows = [(codelist.label_of(code), n) for code, n in counts.items() if code]
    return sorted(rows, key=lambda r: (r[1] is None, -(r[1] or 0)))


# --- organisation dashboard -------------------------------------------------------------------


@login_required
def org_dashboard(request: HttpRequest) -> HttpResponse:
    """The organisation's own numbers (its own data: no suppression needed)."""
    user = _require(request, Perm.ORG_DASHBOARD)
    cases = Case.objects.filter(org_id=user.org_id)
    counts = queries.case_counts(cases)
    context = {
        "counts": counts,
        "open": counts.get(CaseStatus.ACTIVE, 0) + counts.get(CaseStatus.FOLLOW_UP, 0),
        "total": sum(counts.values()),
        "monthly": queries.monthly_intakes(cases),
        "exploitation": _labelled(
            "exploitation_types", queries.code_counts(cases, "exploitation_types")
        )[:10],
        "needs": _labelled("current_needs", queries.code_counts(cases, "current_needs"))[:10],
        "recruitment": _labelled(
            "recruitment_methods", queries.code_counts(cases, "recruitment_methods")
        )[:8],
        "screened": Screening.objects.filter(org_id=user.org_id).values("case").distinct().count(),
        "completeness": _completeness(cases),
        "owners": _owner_load(cases),
    }
    return render(request, "web/org_dashboard.html", context)


def _completeness(cases: Any) -> list[tuple[str, int]]:
    """Share of cases with each core case field filled in: the data-quality view."""
    total = cases.count() or 1
    rows = []
    for field in current().entity("case").fields:
        if not field.core or field.is_sealed:
            continue
        column = f"{field.id}_id" if field.type in {"staff", "organisation"} else field.id
        if field.type == "codes":
            filled = sum(1 for v in cases.values_list(column, flat=True) if v)
        else:
            filled = (
                cases.exclude(**{column: None}).exclude(**{column: ""}).count()
                if field.type in {"text", "code"}
                else cases.exclude(**{column: None}).count()
            )
        rows.append((str(field.label), round(100 * filled / total)))
    return rows


def _owner_load(cases: Any) -> list[tuple[str, int]]:
    from django.db.models import Count

    rows = (
        cases.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP])
        .values("owner__full_name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return [(r["owner__full_name"] or "—", r["n"]) for r in rows[:12]]


# --- national overview ------------------------------------------------------------------------


def national_tables() -> dict[str, Any]:
    """De-identified national counts; every published cell passes small-cell suppression."""
    cases = Case.objects.all()
    province_codes = current().codelists["province"]
    provinces = queries.value_counts(cases, "intake_province")
    return {
        "total": safe_total({"all": cases.count()}),
        "provinces": [(province_codes.label_of(k), v) for k, v in suppress(provinces).items()],
        "exploitation": _labelled(
            "exploitation_types", suppress(queries.code_counts(cases, "exploitation_types"))
        ),
        "recruitment": _labelled(
            "recruitment_methods", suppress(queries.code_counts(cases, "recruitment_methods"))
        ),
        "control": _labelled(
            "control_methods", suppress(queries.code_counts(cases, "control_methods"))
        ),
        "monthly": [(m, v) for m, v in suppress(dict(queries.monthly_intakes(cases))).items()],
        "contributors": safe_total({"orgs": cases.values("org").distinct().count()}),
    }


@login_required
def national(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.STATS_NATIONAL)
    return render(request, "web/national.html", national_tables())


@login_required
def research(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.RESEARCH_EXTRACT)
    context = national_tables() | {"entities": current().entities.values()}
    return render(request, "web/research.html", context)


# If even the error page cannot be rendered (a broken template or static manifest), this is sent.
_BARE_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour</title></head>'
    '<body><p><a id="quick-exit" href="/exit/">Quick exit / Sortie rapide</a></p>'
    '<h1>Something went wrong / <span lang="fr">Une erreur s\'est produite</span></h1>'
    "</body></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: styled, in the request's language, with the quick exit every page has."""
    from django.http import HttpResponseServerError, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    if request.path.startswith("/api/"):
        message = _("The error has been logged without any personal data. Please try again.")
        body = {"error": {"code": "server_error", "message": message, "fields": {}}}
        return JsonResponse(body, status=500)
    try:
        html: str = render_to_string("500.html")
    except Exception:  # the last resort must not fail
        html = _BARE_500
    return HttpResponseServerError(html)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A refused request says why, in the user's language (JSON for the API)."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
    from django.http import JsonResponse
    from django.utils.formats import number_format
    from django.utils.translation import gettext as _

    if isinstance(exception, RequestDataTooBig):
        code, message = (
            "too_large",
            _("The submission is too large (more than %(mb)s MB). Nothing was saved.")
            % {"mb": number_format(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_048_576, 1)},
        )
    elif isinstance(exception, TooManyFieldsSent):
        code, message = (
            "too_many_fields",
            _("The submission has too many fields. Nothing was saved."),
        )
    else:
        code, message = "bad_request", _("The request could not be understood. Nothing was saved.")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=400)
    return render(request, "web/error.html", {"message": message}, status=400)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice on the person's account so it
    follows them to their next sign-in and device."""
    from django.views.i18n import set_language as switch

    from harbour.accounts.actions import set_language as remember

    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in {"en", "fr"}:
        remember(by=request.user, language=language)
    return switch(request)
