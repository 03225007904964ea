"""The public, bilingual reference of the common terminology (no sign-in needed)."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language

from harbour.standard import delphi
from harbour.standard.dictionary import DictionaryError, Version, current
from harbour.standard.exports import htcds_mapping, json_schema, table_schema


def _version(request: HttpRequest) -> Version:
    text = request.GET.get("version")
    try:
        return current().version(text) if text else current().latest
    except DictionaryError:
        raise Http404 from None


def index(request: HttpRequest) -> HttpResponse:
    d = current()
    context = {"d": d, "version": _version(request), "entities": d.entities.values()}
    return render(request, "standard/index.html", context)


def entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    d = current()
    if entity_id not in d.entities:
        raise Http404
    version = _version(request)
    found = d.entity(entity_id)
    context = {
        "d": d,
        "entity": found,
        "version": version,
        "fields": found.existing_fields(version),
    }
    return render(request, "standard/entity.html", context)


def codelist(request: HttpRequest, list_id: str) -> HttpResponse:
    d = current()
    if list_id not in d.codelists:
        raise Http404
    version = _version(request)
    found = d.codelists[list_id]
    codes = [c for c in found.codes if c.lifetime.exists_in(version)]
    return render(
        request,
        "standard/codelist.html",
        {"d": d, "codelist": found, "codes": codes, "version": version},
    )


def htcds(request: HttpRequest) -> HttpResponse:
    rows = htcds_mapping(current())
    core = [r for r in rows if r.core]
    context = {
        "d": current(),
        "rows": rows,
        "covered": sum(1 for r in core if r.mapped_by),
        "core_total": len(core),
    }
    return render(request, "standard/htcds.html", context)


def indicators(request: HttpRequest) -> HttpResponse:
    return render(request, "standard/indicators.html", {"catalogue": delphi.load_catalogue()})


def export_json_schema(request: HttpRequest, entity_id: str) -> JsonResponse:
    d = current()
    if entity_id not in d.entities:
        raise Http404
    language = request.GET.get("lang") or get_language() or "en"
    schema = json_schema(d, d.entity(entity_id), _version(request), language)
    return JsonResponse(schema, json_dumps_params={"ensure_ascii": False, "indent": 2})


def export_table_schema(request: HttpRequest, entity_id: str) -> JsonResponse:
    d = current()
    if entity_id not in d.entities:
        raise Http404
    schema = table_schema(d, d.entity(entity_id), _version(request))
    return JsonResponse(schema, json_dumps_params={"ensure_ascii": False, "indent": 2})
