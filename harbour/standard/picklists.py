"""Long pick-lists (languages, countries) in the order people look for them.

The code lists themselves stay complete (ISO order, every code valid for stored and imported
data); what a form offers is: the ones most often needed by survivors in Canada first, then all
the others sorted by their name in the reader's language, accents ignored. Historical and
constructed languages (Avestan, Volapük, Latin...) are not offered for new data.
"""

import functools
import unicodedata
from collections.abc import Iterable
from typing import Any

import pycountry
from django.utils.translation import gettext as _

# Most often needed first (English and French, then by need: interpretation requests, census
# mother tongues of recent newcomers, Indigenous languages with the most speakers).
COMMON: dict[str, tuple[str, ...]] = {
    "language": (
        "eng", "fra", "spa", "tgl", "cmn", "yue", "pan", "ara", "por", "vie", "kor", "ukr",
        "fas", "prs", "hin", "urd", "tir", "amh", "som", "rus", "cre", "oji", "iku", "ase", "fcs",
    ),
    "country": (
        "CA", "US", "MX", "PH", "IN", "CN", "VN", "KR", "UA", "NG", "JM", "HT", "GT", "CO", "BR",
    ),
}  # fmt: skip

# ISO names that read oddly in a list people pick from.
PLAIN_NAMES: dict[str, dict[str, str]] = {
    "ell": {"en": "Greek", "fr": "Grec"},
}


# Both are pure and asked about the same few hundred codes and names on every form with a long
# list (the intake form sorts ~500 names per request; issue 9's load run): remembered.
@functools.lru_cache(maxsize=4096)
def everyday_language(code: str) -> bool:
    """A living language (ISO 639-3 type L); codes pycountry does not know are hand-written
    Canadian ones, all living."""
    found = pycountry.languages.get(alpha_3=code)
    return found is None or getattr(found, "type", "L") == "L"


@functools.lru_cache(maxsize=8192)
def sort_key(label: str) -> str:
    """Alphabetical in English and French: accents and case do not move a name (Égypte with E)."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _display(codelist_id: str, code: str, label: str, language: str) -> str:
    plain = PLAIN_NAMES.get(code, {}).get(language) if codelist_id == "language" else None
    text = plain or label
    return text[:1].upper() + text[1:]  # pycountry's French names are lower-case


def ordered(
    codelist_id: str,
    choices: Iterable[tuple[str, str]],
    *,
    held: Iterable[str] = (),
    language: str = "en",
) -> list[tuple[str, Any]]:
    """`choices` for a select: the common ones in a first group, then the rest A to Z.

    Codes a record already holds are always kept (so nothing is lost on editing)."""
    kept_anyway = set(held)
    pairs = [
        (code, _display(codelist_id, code, label, language))
        for code, label in choices
        if code in kept_anyway or codelist_id != "language" or everyday_language(code)
    ]
    common_codes = COMMON.get(codelist_id, ())
    if not common_codes:
        return sorted(pairs, key=lambda p: sort_key(p[1]))
    by_code = dict(pairs)
    common = [(c, by_code[c]) for c in common_codes if c in by_code]
    common = common[:2] + sorted(common[2:], key=lambda p: sort_key(p[1]))
    rest = sorted((p for p in pairs if p[0] not in common_codes), key=lambda p: sort_key(p[1]))
    return [(_("Most often needed"), common), (_("All, from A to Z"), rest)]
