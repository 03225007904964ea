"""Where a `next` value may send someone after a form: only a path on this site.

Anything else (another host, `//host`, `javascript:`, or a bare word such as `0`, which Django's
`redirect` would take for a view name and fail on) falls back to the given page.
"""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(request: HttpRequest, target: str) -> bool:
    return (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, {request.get_host()})
    )


def next_or(request: HttpRequest, target: str, fallback: str) -> str:
    """The target if it is a local path, else the URL of the named fallback view."""
    return target if is_local_path(request, target) else reverse(fallback)
