"""No text Harbour keeps may hold the NUL character: PostgreSQL refuses it (a 500 wherever it
reached a query, as the API fuzz found) and no field means it. Web forms refuse it through
Django's ProhibitNullCharactersValidator; the two APIs refuse it here, once for every
parameter and JSON body, before anything is parsed, in their one error shape."""

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

API_PATHS = ("/api/", "/hsds/")


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PATHS):
            where = _nul_in_query(request) or _nul_in_json(request)
            if where:
                return _refused(request, where)
        return self.get_response(request)


def _nul_in_query(request: HttpRequest) -> str | None:
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "") or "query"
    return None


def _nul_in_json(request: HttpRequest) -> str | None:
    # Only JSON: an uploaded file (a spreadsheet is a ZIP) may hold NUL bytes and be valid.
    if request.content_type != "application/json" or request.method in ("GET", "HEAD"):
        return None
    body = request.body
    if b"\x00" in body:
        return "body"
    if b"\\u0000" not in body:  # cheap: most bodies are never parsed twice
        return None
    try:
        return "body" if _holds_nul(json.loads(body)) else None
    except ValueError:
        return None  # not JSON: the API says so itself


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refused(request: HttpRequest, where: str) -> HttpResponse:
    from harbour.api.api import api
    from harbour.api.errors import error_response

    message = _("Some values are not valid. Nothing was saved.")
    return error_response(
        api, request, 422, "invalid", message, {where: [_("This value is not valid.")]}
    )
