import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from harbour.core import tenancy

SIGNED_IN_AT = "harbour_signed_in_at"


class TenancyMiddleware:
    """On PostgreSQL, the connection sees only the signed-in user's organisation's rows for
    the length of the request (row-level security, ADR 40), and nothing once it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tenancy.for_user(user)
        try:
            return self.get_response(request)
        finally:
            tenancy.reset()


class SessionLifetimeMiddleware:
    """A session ends HARBOUR_SESSION_MAX_HOURS after sign-in, however active it is (the idle
    limit is the cookie's age). The first request of a session records when it began."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            began = request.session.setdefault(SIGNED_IN_AT, int(time.time()))
            if time.time() - float(began) > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("Your session reached its maximum length. Sign in again."))
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Someone signed in with a temporary password may only change it (or sign out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                reverse("web:quick_exit"),
                reverse("set_language"),
            }
            if request.path not in allowed and not request.path.startswith(("/static/", "/api/")):
                return redirect("accounts:password_change")
        return self.get_response(request)
