"""The OpenAPI document, built once per language and process instead of at every request.

Building it walks every operation and its pydantic schemas: about 0.25 s of CPU, and
`/api/v1/openapi.json` (like `/api/v1/docs`, linked from every page's footer) needs no sign-in, so
anyone could make the server do that work again and again. The document stays public on purpose:
it is committed as docs/reference/openapi.json, describes no one's data, and the footer of every
page (signed in or not) links its page; what was wrong was the cost. It is kept per language
(none of its text is translated today, but a description given with gettext_lazy would be, and
a French request must never get the English document), as the exact bytes the view sends: a
request for it costs a dictionary lookup.

Nobody can change the kept document: the view sends bytes, and `get_openapi_schema` (the
management command, schemathesis, tests) gets a new dict parsed from them at each call.
"""

import json
import threading
from functools import partial
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import translation
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.responses import NinjaJSONEncoder

_URL_NAME = "openapi-json"


class CachedSchemaAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document is built once per (language, URL prefix).

    The cache lives as long as the process, and cannot outlive the operations it describes:
    django-ninja binds the routers at the first build (or the first URL lookup) and refuses
    `add_router` after that (ConfigError), so the API cannot change under a built document. A
    changed API is a new deployment, hence a new process and a new build."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before NinjaAPI's own __init__, which adds its default router.
        self._documents: dict[tuple[str, str], bytes] = {}
        # One build at a time: under load, eight threads asking at once for the first document
        # would otherwise each spend the 0.25 s building the same thing.
        self._building = threading.Lock()
        super().__init__(*args, **kwargs)

    def openapi_document(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> bytes:
        """The document as JSON bytes, in the active language, exactly as ninja's own view
        encoded it (its encoder, its defaults)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        # Bounded: the language is one of settings.LANGUAGES (LocaleMiddleware activates only
        # those, whatever Accept-Language says) and the prefix comes from the URL conf.
        key = (translation.get_language() or "", path_prefix)
        document = self._documents.get(key)
        if document is None:
            with self._building:
                document = self._documents.get(key)
                if document is None:
                    schema = super().get_openapi_schema(path_prefix=path_prefix)
                    document = json.dumps(schema, cls=NinjaJSONEncoder).encode()
                    self._documents[key] = document
        return document

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # A plain dict with the document's content (callers only read it as a dict), new at
        # each call: about 4 ms to parse, against 250 to build.
        document = self.openapi_document(path_prefix=path_prefix, path_params=path_params)
        return cast(OpenAPISchema, json.loads(document))

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        found = [i for i, u in enumerate(urls) if getattr(u, "name", None) == _URL_NAME]
        if not self.openapi_url or len(found) != 1:
            # At start-up, not silently, if a django-ninja upgrade names its view otherwise.
            raise ImproperlyConfigured("django-ninja's openapi-json URL is not where it was")
        view: Any = partial(_serve_document, api=self)
        if self.docs_decorator:
            view = self.docs_decorator(view)
        urls[found[0]] = path(self.openapi_url.lstrip("/"), view, name=_URL_NAME)
        return urls


def _serve_document(request: HttpRequest, api: CachedSchemaAPI, **kwargs: Any) -> HttpResponse:
    return HttpResponse(api.openapi_document(path_params=kwargs), content_type="application/json")
