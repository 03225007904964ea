"""Cross-domain pages: the landing page of each role, dashboards, quick exit."""

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from harbour.accounts.policy import Role

LANDING: dict[str, str] = {
    Role.CASEWORKER: "cases:list",
    Role.SUPERVISOR: "web:org_dashboard",
    Role.ORG_ADMIN: "web:org_dashboard",
    Role.NATIONAL_ANALYST: "web:national",
    Role.RESEARCHER: "web:research",
    Role.AUDITOR: "audit:trail",
    Role.SYSTEM_ADMIN: "orgs:list",
}


def landing(user: object) -> str:
    """The name of the page a signed-in person starts from."""
    return LANDING.get(str(getattr(user, "role", "")), "standard:index")


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        return redirect(landing(user))
    return render(request, "web/landing.html")


@never_cache
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave at once: end any session and go to an everyday site."""
    logout(request)
    response = HttpResponseRedirect(settings.HARBOUR_QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


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
