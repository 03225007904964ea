"""Loading the data dictionary (the common terminology) from its YAML files.

The files are the single source; everything else (forms, validation, API schemas, exports, docs)
is derived from the frozen objects built here. Loading is strict because a typo in a code or a
missing French label would otherwise surface months later in a survivor's record.
The format is documented in docs/reference/dictionary-format.md.
"""

import gettext
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml
from django.utils.translation import get_language

from harbour.core.sensitivity import Sensitivity
from harbour.standard.delphi import IndicatorCatalogue, load_catalogue

DATA_DIR = Path(__file__).parent / "data" / "dictionary"

FIELD_TYPES = frozenset(
    [
        "text", "long_text", "integer", "decimal", "date", "boolean", "code", "codes", "email",
        "phone", "postal_code", "staff", "organisation",
    ]
)  # fmt: skip
MATCHES = frozenset({"exact", "close", "broader", "narrower", "related"})
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


class DictionaryError(ValueError):
    """The dictionary files are not valid; the message names the file and the item."""


# --- small value types ----------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Version:
    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: object) -> "Version":
        if not isinstance(text, str) or not _VERSION.match(text):
            raise DictionaryError(f"{text!r} is not a version like '1.0'")
        return cls(tuple(int(p) for p in text.split(".")))

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


@dataclass(frozen=True)
class Bilingual:
    en: str
    fr: str

    def __str__(self) -> str:
        return self.in_language(get_language())

    def in_language(self, language: str | None) -> str:
        return self.fr if (language or "en").startswith("fr") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}


@dataclass(frozen=True)
class Lifetime:
    since: Version
    deprecated: Version | None

    def offered_in(self, version: Version) -> bool:
        """New data may use it in this version."""
        return self.since <= version and (self.deprecated is None or version < self.deprecated)

    def exists_in(self, version: Version) -> bool:
        """Records of this version may hold it (deprecated items stay readable)."""
        return self.since <= version


# --- the dictionary's parts -----------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    code: str
    label: Bilingual
    lifetime: Lifetime
    htcds: str | None = None
    description: Bilingual | None = None

    def __str__(self) -> str:
        return str(self.label)


@dataclass(frozen=True)
class CodeList:
    id: str
    label: Bilingual
    codes: tuple[Code, ...]
    description: Bilingual | None = None
    htcds: str | None = None
    source: str | None = None
    _by_code: dict[str, Code] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({c.code: c for c in self.codes})

    def get(self, code: str) -> Code | None:
        return self._by_code.get(code)

    def offered(self, version: Version) -> list[Code]:
        return [c for c in self.codes if c.lifetime.offered_in(version)]

    def label_of(self, code: str) -> str:
        found = self.get(code)
        return str(found.label) if found else code


@dataclass(frozen=True)
class HtcdsMapping:
    field: str
    match: str
    note: Bilingual | None = None


@dataclass(frozen=True)
class Group:
    id: str
    label: Bilingual


@dataclass(frozen=True)
class Category:
    id: str
    label: Bilingual
    description: Bilingual


@dataclass(frozen=True)
class Field:
    id: str
    entity: str
    group: str | None
    label: Bilingual
    type: str
    sensitivity: Sensitivity
    category: str
    lifetime: Lifetime
    help: Bilingual | None = None
    required: bool = False
    core: bool = False
    computed: bool = False
    codelist: CodeList | None = None
    htcds: HtcdsMapping | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    pattern_message: Bilingual | None = None
    not_future: bool = False

    def __str__(self) -> str:
        return str(self.label)

    @property
    def is_multi(self) -> bool:
        return self.type == "codes"

    @property
    def is_sealed(self) -> bool:
        """Stored encrypted (on models that have a `sealed` column)."""
        return self.sensitivity == Sensitivity.IDENTIFIER


@dataclass(frozen=True)
class Entity:
    id: str
    label: Bilingual
    model: str
    fields: tuple[Field, ...]
    groups: tuple[Group, ...] = ()
    description: Bilingual | None = None

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(f"{self.id} has no field {field_id!r}")

    def offered_fields(self, version: Version) -> list[Field]:
        return [f for f in self.fields if f.lifetime.offered_in(version)]

    def existing_fields(self, version: Version) -> list[Field]:
        return [f for f in self.fields if f.lifetime.exists_in(version)]


@dataclass(frozen=True)
class VersionInfo:
    version: Version
    date: str
    notes: Bilingual


@dataclass(frozen=True)
class Dictionary:
    id: str
    title: Bilingual
    description: Bilingual
    versions: tuple[VersionInfo, ...]
    categories: tuple[Category, ...]
    codelists: Mapping[str, CodeList]
    entities: Mapping[str, Entity]
    attribution: Bilingual

    @property
    def latest(self) -> Version:
        return self.versions[-1].version

    def version(self, text: str) -> Version:
        version = Version.parse(text)
        if version not in {v.version for v in self.versions}:
            raise DictionaryError(f"unknown dictionary version {text!r}")
        return version

    def entity(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)

    def all_fields(self) -> Iterator[Field]:
        for entity in self.entities.values():
            yield from entity.fields


# --- loading --------------------------------------------------------------------------------


@cache
def load_dictionary(directory: Path = DATA_DIR) -> Dictionary:
    """Load and check the whole dictionary; cached because the files never change at run time."""
    meta = _read(directory / "dictionary.yaml")
    with _context("dictionary.yaml"):
        _only(meta, {"id", "title", "description", "versions", "categories", "attribution"})
        versions = tuple(_version_info(v) for v in meta["versions"])
        first = versions[0].version
        categories = tuple(_category(c) for c in meta["categories"])
    codelists = {}
    for path in sorted((directory / "codelists").glob("*.yaml")):
        with _context(path.name):
            codelist = _codelist(_read(path), first)
            if codelist.id in codelists or codelist.id != path.stem:
                raise DictionaryError(f"code list id {codelist.id!r} must match its file name")
            codelists[codelist.id] = codelist
    category_ids = {c.id for c in categories}
    entities = {}
    for path in sorted((directory / "entities").glob("*.yaml")):
        with _context(path.name):
            entity = _entity(_read(path), first, codelists, category_ids)
            if entity.id != path.stem:
                raise DictionaryError(f"entity id {entity.id!r} must match its file name")
            entities[entity.id] = entity
    return Dictionary(
        id=meta["id"],
        title=_bi(meta["title"]),
        description=_bi(meta["description"]),
        versions=versions,
        categories=categories,
        codelists=codelists,
        entities=entities,
        attribution=_bi(meta["attribution"]["htcds"]),
    )


class _context:
    """Prefix any loading error with the file (and item) it came from."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, DictionaryError | KeyError | TypeError) and kind is not None:
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise DictionaryError(f"{self.where}: {detail}") from exc


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise DictionaryError(f"{path.name}: expected a mapping at the top level")
    return data


def _only(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise DictionaryError(f"unknown keys {sorted(unknown)}")


def _bi(data: Any) -> Bilingual:
    if not isinstance(data, dict) or set(data) != {"en", "fr"}:
        raise DictionaryError(f"expected {{en: ..., fr: ...}}, got {data!r}")
    en, fr = str(data["en"] or "").strip(), str(data["fr"] or "").strip()
    if not en or not fr:
        raise DictionaryError(f"empty English or French text in {data!r}")
    return Bilingual(en=en, fr=fr)


def _opt_bi(data: Any) -> Bilingual | None:
    return None if data is None else _bi(data)


def _lifetime(data: Mapping[str, Any], default: Version) -> Lifetime:
    since = Version.parse(data["since"]) if "since" in data else default
    deprecated = Version.parse(data["deprecated"]) if data.get("deprecated") else None
    if deprecated is not None and deprecated <= since:
        raise DictionaryError(f"{data.get('id') or data.get('code')}: deprecated before since")
    return Lifetime(since, deprecated)


def _version_info(data: Mapping[str, Any]) -> VersionInfo:
    _only(data, {"version", "date", "notes"})
    return VersionInfo(Version.parse(data["version"]), str(data["date"]), _bi(data["notes"]))


def _category(data: Mapping[str, Any]) -> Category:
    _only(data, {"id", "label", "description"})
    return Category(data["id"], _bi(data["label"]), _bi(data["description"]))


# --- code lists -----------------------------------------------------------------------------


def _codelist(data: Mapping[str, Any], first: Version) -> CodeList:
    _only(data, {"id", "label", "description", "htcds", "source", "codes", "since"})
    lifetime = _lifetime(data, first)
    codes = [*generated_codes(data.get("source"), lifetime.since)]
    codes += [_code(c, lifetime.since) for c in data.get("codes") or []]
    seen: set[str] = set()
    for code in codes:
        if code.code in seen:
            raise DictionaryError(f"{data['id']}: duplicate code {code.code!r}")
        seen.add(code.code)
    if not codes:
        raise DictionaryError(f"{data['id']}: a code list needs codes or a source")
    return CodeList(
        id=data["id"],
        label=_bi(data["label"]),
        codes=tuple(codes),
        description=_opt_bi(data.get("description")),
        htcds=data.get("htcds"),
        source=data.get("source"),
    )


def _code(data: Mapping[str, Any], default: Version) -> Code:
    _only(data, {"code", "en", "fr", "htcds", "description", "since", "deprecated"})
    if not isinstance(data["code"], str):
        raise DictionaryError(
            f"code {data['code']!r} must be quoted text (YAML reads yes/no/1 as values)"
        )
    code = data["code"]
    if not _CODE.match(code):
        raise DictionaryError(f"code {code!r} has characters other than letters, digits, _ . : -")
    return Code(
        code=code,
        label=_bi({"en": data["en"], "fr": data["fr"]}),
        lifetime=_lifetime(data, default),
        htcds=data.get("htcds"),
        description=_opt_bi(data.get("description")),
    )


def generated_codes(source: str | None, since: Version) -> list[Code]:
    """Codes generated from a packaged source rather than typed into the files."""
    if source is None:
        return []
    lifetime = Lifetime(since, None)
    if source == "pycountry:countries":
        return [
            Code(c.alpha_2, _pycountry_names("iso3166-1", _country_name(c)), lifetime)
            for c in pycountry.countries
        ]
    if source == "pycountry:languages":
        return [
            Code(lang.alpha_3, _pycountry_names("iso639-3", lang.name), lifetime)
            for lang in pycountry.languages
            if hasattr(lang, "alpha_2")
        ]
    if source.startswith("delphi:"):
        return _delphi_codes(source.split(":", 1)[1], lifetime)
    if source.startswith("delphi-sets:"):
        return _delphi_set_codes(source.split(":", 1)[1], lifetime)
    raise DictionaryError(f"unknown code list source {source!r}")


def _country_name(country: Any) -> str:
    return str(getattr(country, "common_name", None) or country.name)


def _pycountry_names(domain: str, english: str) -> Bilingual:
    return Bilingual(en=english, fr=_french(domain).gettext(english))


@cache
def _french(domain: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


def _catalogue(catalogue_id: str) -> IndicatorCatalogue:
    catalogue = load_catalogue()
    if catalogue.id != catalogue_id:
        raise DictionaryError(f"no indicator catalogue {catalogue_id!r}")
    return catalogue


def _delphi_codes(catalogue_id: str, lifetime: Lifetime) -> list[Code]:
    return [
        Code(i.id, Bilingual(en=i.text.en, fr=i.text.fr), lifetime)
        for s in _catalogue(catalogue_id).sets
        for i in s.indicators()
    ]


def _delphi_set_codes(catalogue_id: str, lifetime: Lifetime) -> list[Code]:
    return [
        Code(s.id, Bilingual(en=s.title.en, fr=s.title.fr), lifetime)
        for s in _catalogue(catalogue_id).sets
    ]


# --- entities and fields --------------------------------------------------------------------

_FIELD_KEYS = {
    "id", "group", "label", "help", "type", "required", "core", "computed", "sensitivity",
    "category", "htcds", "codelist", "max_length", "min", "max", "pattern", "pattern_message",
    "not_future", "since", "deprecated",
}  # fmt: skip


def _entity(
    data: Mapping[str, Any], first: Version, codelists: Mapping[str, CodeList], categories: set[str]
) -> Entity:
    _only(data, {"id", "label", "description", "model", "groups", "fields"})
    groups = tuple(Group(g["id"], _bi(g["label"])) for g in data.get("groups") or [])
    fields = tuple(
        _field(f, data["id"], first, codelists, categories, {g.id for g in groups})
        for f in data["fields"]
    )
    ids = [f.id for f in fields]
    if len(ids) != len(set(ids)):
        raise DictionaryError(f"duplicate field ids in {data['id']}")
    return Entity(
        id=data["id"],
        label=_bi(data["label"]),
        model=data["model"],
        fields=fields,
        groups=groups,
        description=_opt_bi(data.get("description")),
    )


def _field(
    data: Mapping[str, Any],
    entity: str,
    first: Version,
    codelists: Mapping[str, CodeList],
    categories: set[str],
    groups: set[str],
) -> Field:
    _only(data, _FIELD_KEYS)
    field_id = data["id"]
    if not _FIELD_ID.match(field_id):
        raise DictionaryError(f"field id {field_id!r} is not snake_case")
    where = f"{entity}.{field_id}"
    kind = data["type"]
    if kind not in FIELD_TYPES:
        raise DictionaryError(f"{where}: unknown type {kind!r}")
    if data["category"] not in categories:
        raise DictionaryError(f"{where}: unknown category {data['category']!r}")
    if data.get("group") and data["group"] not in groups:
        raise DictionaryError(f"{where}: unknown group {data['group']!r}")
    try:
        sensitivity = Sensitivity(data["sensitivity"])
    except ValueError:
        raise DictionaryError(f"{where}: unknown sensitivity {data['sensitivity']!r}") from None
    if kind == "long_text" and sensitivity != Sensitivity.IDENTIFIER:
        raise DictionaryError(f"{where}: free text can name a person; declare it identifier")
    return Field(
        id=field_id,
        entity=entity,
        group=data.get("group"),
        label=_bi(data["label"]),
        type=kind,
        sensitivity=sensitivity,
        category=data["category"],
        lifetime=_lifetime(data, first),
        help=_opt_bi(data.get("help")),
        required=bool(data.get("required", False)),
        core=bool(data.get("core", False)),
        computed=bool(data.get("computed", False)),
        codelist=_field_codelist(where, kind, data.get("codelist"), codelists),
        htcds=_htcds(where, data.get("htcds")),
        max_length=data.get("max_length") or _default_length(kind),
        min=data.get("min"),
        max=data.get("max"),
        pattern=_pattern(where, data.get("pattern")),
        pattern_message=_opt_bi(data.get("pattern_message")),
        not_future=bool(data.get("not_future", False)),
    )


def _default_length(kind: str) -> int | None:
    return {"text": 200, "long_text": 5000, "email": 254, "phone": 20, "postal_code": 7}.get(kind)


def _field_codelist(
    where: str, kind: str, list_id: str | None, codelists: Mapping[str, CodeList]
) -> CodeList | None:
    if kind not in {"code", "codes"}:
        if list_id:
            raise DictionaryError(f"{where}: only code fields take a codelist")
        return None
    if not list_id or list_id not in codelists:
        raise DictionaryError(f"{where}: unknown code list {list_id!r}")
    return codelists[list_id]


def _htcds(where: str, data: Any) -> HtcdsMapping | None:
    if data is None:
        return None
    _only(data, {"field", "match", "note"})
    if data["match"] not in MATCHES:
        raise DictionaryError(f"{where}: HTCDS match must be one of {sorted(MATCHES)}")
    if data["match"] != "exact" and not data.get("note"):
        raise DictionaryError(f"{where}: a non-exact HTCDS mapping needs a note")
    return HtcdsMapping(data["field"], data["match"], _opt_bi(data.get("note")))


def _pattern(where: str, pattern: str | None) -> str | None:
    if pattern is None:
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise DictionaryError(f"{where}: bad pattern: {exc}") from exc
    return pattern


# --- convenience for the rest of Harbour ----------------------------------------------------


def current() -> Dictionary:
    return load_dictionary()
