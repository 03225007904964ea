"""Harbour's one error shape, for every NinjaAPI it serves (/api/v1 and the HSDS API):
{"error": {"code": "...", "message": "...", "fields": {"field": ["message"]}}}."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from harbour.core.errors import DomainError, InvalidInput


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def handle_domain_and_auth_errors(api: NinjaAPI, *, unauthenticated: Any) -> None:
    """Domain errors keep their own status, code and (translated) message; a missing or bad
    token gets 401 with `unauthenticated` (a lazy translation: it is rendered per request)."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        fields = exc.as_dict() if isinstance(exc, InvalidInput) else {}
        return error_response(api, request, exc.status, exc.code, str(exc.message), fields)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, 401, "unauthenticated", str(unauthenticated))
