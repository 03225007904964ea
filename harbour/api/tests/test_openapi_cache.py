"""The OpenAPI document is built once per language and process (issue #9: every request rebuilt
it, about 0.25 s of CPU, for anyone: it needs no sign-in). Builds are counted through django-ninja's
own builder, which the cache calls; nothing is mocked."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import JsonResponse
from django.test import Client
from django.utils import translation
from ninja import NinjaAPI, Router
from ninja.errors import ConfigError
from ninja.responses import NinjaJSONEncoder

from harbour.api.api import api
from harbour.api.openapi import CachedSchemaAPI

URL = "/api/v1/openapi.json"
COMMITTED = Path(settings.BASE_DIR) / "docs" / "reference" / "openapi.json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The language of each real build, from an empty cache."""
    build = NinjaAPI.get_openapi_schema
    languages: list[str] = []

    def counted(self: NinjaAPI, **kwargs: Any) -> Any:
        languages.append(str(translation.get_language()))
        return build(self, **kwargs)

    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", counted)
    api._documents.clear()
    yield languages
    api._documents.clear()  # the next test may not count through the spy


def test_the_second_request_does_not_build_the_document_again(builds: list[str]) -> None:
    client = Client()
    first = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    second = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/json"
    assert first.content == second.content
    assert builds == ["en"]
    api.get_openapi_schema()  # the management command's and schemathesis' way in
    assert builds == ["en"]


def test_each_language_is_built_once_in_that_language(builds: list[str]) -> None:
    client = Client()
    for _ in range(2):
        for language in ("en", "fr"):
            assert client.get(URL, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
    assert builds == ["en", "fr"]
    # Today no text of the document is translated, so both are the same; what matters is that a
    # French request never gets a document built in English, or the other way round.
    assert {key[0] for key in api._documents} == {"en", "fr"}


def test_whatever_languages_are_asked_for_only_the_known_ones_are_kept(builds) -> None:
    client = Client()
    for asked in ("de", "fr-CA", "en-GB,en;q=0.9", "x" * 200, "*", "zz;q=0.1, fr;q=0.5"):
        assert client.get(URL, HTTP_ACCEPT_LANGUAGE=asked).status_code == 200
    assert {key[0] for key in api._documents} <= {code for code, _name in settings.LANGUAGES}
    assert len(builds) == len(api._documents)


def test_the_served_document_is_the_committed_one_byte_for_byte_as_before(builds) -> None:
    served = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert served.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))
    # Exactly what django-ninja's own view sent before (its encoder, ASCII escapes and all).
    with translation.override("en"):
        before = JsonResponse(
            NinjaAPI.get_openapi_schema(api), encoder=NinjaJSONEncoder, safe=False
        )
    assert served.content == before.content


def test_no_caller_can_change_the_kept_document(builds: list[str]) -> None:
    mine = api.get_openapi_schema()
    mine["paths"].clear()
    mine["info"]["title"] = "changed"
    again = api.get_openapi_schema()
    assert again["info"]["title"] == "Harbour API" and again["paths"]
    assert Client().get(URL).json()["info"]["title"] == "Harbour API"
    assert builds == ["en"]


def test_the_document_and_its_page_need_no_sign_in(builds: list[str]) -> None:
    """Public on purpose: the document is committed (docs/reference/openapi.json) and holds no
    one's data; the footer of every page links its page. What an anonymous caller costs now is
    a dictionary lookup."""
    anonymous = Client()
    assert anonymous.get(URL).status_code == 200
    assert anonymous.get("/api/v1/docs").status_code == 200
    assert anonymous.get("/api/v1/cases").status_code == 401


def test_the_api_cannot_change_under_a_built_document(builds: list[str]) -> None:
    """Why a per-process cache never goes stale: once built, no operation can be added."""
    extra = CachedSchemaAPI(title="test", urls_namespace="openapi-cache-test")
    router = Router()

    @router.get("/ping")
    def ping(request: Any) -> str:
        return "pong"

    extra.add_router("/early", router)
    assert "/x/early/ping" in extra.get_openapi_schema(path_prefix="/x/")["paths"]
    with pytest.raises(ConfigError):
        extra.add_router("/late", Router())
    assert builds == ["en"]
