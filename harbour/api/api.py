"""The JSON API, version 1: /api/v1. Errors have one shape everywhere:
{"error": {"code": "...", "message": "...", "fields": {"field": ["message"]}}}."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import HttpError, ValidationError

from harbour.api.auth import TokenAuth
from harbour.api.errors import error_response, handle_domain_and_auth_errors
from harbour.api.openapi import CachedSchemaAPI
from harbour.standard.validation import MSG_UNKNOWN_FIELD

api = CachedSchemaAPI(
    title="Harbour API",
    version="1.0.0",
    description=(
        "Harbour's API: the common terminology, and survivors and cases of the caller's own "
        "organisation. Authenticate with `Authorization: Bearer <token>` (tokens are issued on "
        "the 'API tokens' page). Send `Accept-Language: fr` for French messages. Send an "
        "`Idempotency-Key` header when creating a case so a retried request is not recorded twice."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
)


handle_domain_and_auth_errors(
    api, unauthenticated=gettext_lazy("Send a valid API token: Authorization: Bearer <token>.")
)


def error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return error_response(api, request, status, code, message, fields)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja raises this for a body that is not JSON (or not UTF-8).
        return error(request, 400, "malformed", _("The request body is not valid JSON (UTF-8)."))
    return error(request, exc.status_code, "error", str(exc))


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Request-shape problems (unknown keys, a body that is not an object, bad parameters)."""
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "payload", "query")]
        name = ".".join(loc) or "body"
        fields.setdefault(name, []).append(_message_for(item))
    return error(
        request, 422, "invalid", _("Some values are not valid. Nothing was saved."), fields
    )


def _message_for(item: dict[str, Any]) -> str:
    kind = item.get("type", "")
    if kind == "extra_forbidden":
        return str(MSG_UNKNOWN_FIELD)
    if kind in {"missing"}:
        return _("This field is required.")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return _("Send a JSON object.")
    return _("This value is not valid.")


def _routes() -> None:
    from harbour.api.routers import (
        cases,
        directory,
        grants,
        interchange,
        linkage,
        me,
        sharing,
        standard,
        stats,
    )

    api.add_router("/standard", standard.router)
    api.add_router("/", me.router)
    api.add_router("/", cases.router)
    api.add_router("/", sharing.router)
    api.add_router("/statistics", stats.router)
    api.add_router("/linkage", linkage.router)
    api.add_router("/grants", grants.router)
    api.add_router("/interchange", interchange.router)
    api.add_router("/directory", directory.router)
    from harbour.api.routers import audit

    api.add_router("/audit", audit.router)


_routes()
