"""pytest plugin (loaded with `-p harbour.route_coverage`): every URL route and API operation is
exercised by at least one test.

"Exercised" means a test got a non-error answer (status below 400) from the route (and, for an
API operation, with its HTTP method): the route did its job at least once. Refusals alone do not
count — the cross-organisation sweep (tests/test_cross_org.py) sends every route a request that
must fail, and that is no test of what the route is for. Answers are recorded where Django's
handler returns them, so the test client, the API clients and the browser tests' live server all
count.

Every run records; with HARBOUR_ROUTE_COVERAGE=1 (CI runs the whole suite so) the session fails,
listing each route no test reached. Under pytest-xdist each worker sends what it saw to the
controller, which decides.
"""

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

ENV = "HARBOUR_ROUTE_COVERAGE"
ANY = "*"
# Django's own admin for reference data: Django's tests cover its generated pages.
EXCLUDED_PREFIXES = ("reference-admin/",)
# django-ninja's root of each API: it exists only so that the API's paths can be reversed, and
# always answers 404.
EXCLUDED_NAMES = ("api-root",)

_seen: set[tuple[str, str]] = set()


def normalise(route: str) -> str:
    """`cases/<uuid:case_id>/` and ninja's `{case_id}` alike read `cases/{case_id}/`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def all_routes() -> set[tuple[str, str]]:
    """(route, method) for every API operation; (route, "*") for every other view."""
    from django.urls import get_resolver

    found: set[tuple[str, str]] = set()
    for route, pattern in _walk(get_resolver().url_patterns, ""):
        if route.startswith(EXCLUDED_PREFIXES) or pattern.name in EXCLUDED_NAMES:
            continue
        methods = _api_methods(pattern.callback)
        found |= {(normalise(route), m) for m in methods} if methods else {(normalise(route), ANY)}
    return found


def _walk(patterns: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    from django.urls import URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _api_methods(view: Any) -> set[str]:
    """The HTTP methods of a django-ninja path (its view closes over the PathView)."""
    from ninja.operation import PathView

    for cell in getattr(view, "__closure__", None) or ():
        contents = cell.cell_contents
        if isinstance(contents, PathView):
            return {m.upper() for op in contents.operations for m in op.methods}
    return set()


def missing(seen: set[tuple[str, str]]) -> list[tuple[str, str]]:
    reached = {(route, method) for route, method in seen} | {(route, ANY) for route, _ in seen}
    return sorted(all_routes() - reached)


def _record() -> None:
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.get_response
    if getattr(original, "_records_routes", False):
        return

    def get_response(self: Any, request: Any) -> Any:
        response = original(self, request)
        match = getattr(request, "resolver_match", None)
        if match is not None and response.status_code < 400:
            _seen.add((normalise(match.route), request.method))
        return response

    get_response._records_routes = True  # type: ignore[attr-defined]
    BaseHandler.get_response = get_response  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    config._harbour_routes = set()  # type: ignore[attr-defined]


def pytest_sessionstart(session: pytest.Session) -> None:
    _record()


def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: collect a worker's routes."""
    routes = node.workeroutput.get("harbour_routes", [])
    node.config._harbour_routes |= {tuple(r) for r in routes}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: report to the controller
        config.workeroutput["harbour_routes"] = sorted(_seen)
        return
    config._harbour_routes |= _seen  # type: ignore[attr-defined]
    if os.environ.get(ENV) == "1" and exitstatus in (0, pytest.ExitCode.TESTS_FAILED):
        unexercised = missing(config._harbour_routes)  # type: ignore[attr-defined]
        config._harbour_unexercised = unexercised  # type: ignore[attr-defined]
        if unexercised:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    unexercised = getattr(config, "_harbour_unexercised", None)
    if unexercised:
        terminalreporter.section("routes no test exercised", red=True)
        for route, method in unexercised:
            terminalreporter.write_line(f"  {method:6} /{route}")
        terminalreporter.write_line(
            f"{len(unexercised)} route(s) or API operation(s) are exercised by no test: add one."
        )
