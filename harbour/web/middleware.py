from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Pages shown to a signed-in person are never cached: not by the browser (so Back after a
    quick exit or sign-out shows nothing) and not by a proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] += ", no-store"
        return response


class DomainErrorMiddleware:
    """Domain errors that reach a page become the matching HTTP error: NotFound is a plain 404,
    so a record of another organisation looks exactly like one that does not exist."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.http import Http404
        from django.shortcuts import render

        from harbour.core.errors import DomainError, NotFound

        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, DomainError):
            context = {"message": exception.message}
            return render(request, "web/error.html", context, status=exception.status)
        return None
