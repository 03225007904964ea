"""Keyed, balanced per-field Bloom-filter encodings of a survivor's identity (ADR 41).

Filters are Python ints used as bitsets (`int.bit_count` is the popcount). Each field has its
own subkey (HMAC of the hub key); each token's bit positions come straight from its keyed
BLAKE2b digest ("random hashing", not double hashing, whose linear structure is a known
attack). Each filter is then *balanced* (the filter followed by its complement, so every
encoding of a field has exactly the same number of set bits) and its positions are shuffled by
a keyed permutation: bit counts and frequent-bit patterns, what frequency and pattern-mining
attacks read, carry nothing.
"""

import hashlib
import hmac
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

SCHEME = "hle1"  # Harbour linkage encoding, version 1: change it when any parameter below does


@dataclass(frozen=True)
class FieldSpec:
    bits: int  # before balancing; the stored filter has twice as many
    hashes: int  # bit positions per token (at most 16: one SHA-256 digest)


FIELDS: dict[str, FieldSpec] = {
    "given": FieldSpec(bits=256, hashes=8),
    "family": FieldSpec(bits=256, hashes=8),
    "birth": FieldSpec(bits=128, hashes=12),
    "sex": FieldSpec(bits=32, hashes=4),
    "place": FieldSpec(bits=32, hashes=4),
}
# A record needs two of these to be merged on its own; fewer makes it weak.
STRONG_FIELDS = ("given", "family", "birth")
MIN_STRONG = 2


class EncodingError(ValueError):
    """A malformed encoding, or one made with another key or scheme version."""


# --- names: normalising, nicknames and transliteration ----------------------------------------

# Nicknames and spellings that name the same person, folded to one form. Kept small on purpose:
# the bigram filters already tolerate close spellings; this table covers what bigrams cannot.
NICKNAMES: dict[str, str] = {
    "bill": "william",
    "billy": "william",
    "will": "william",
    "liam": "william",
    "bob": "robert",
    "bobby": "robert",
    "rob": "robert",
    "robbie": "robert",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "catherine": "katherine",
    "cathy": "katherine",
    "katarina": "katherine",
    "ekaterina": "katherine",
    "katia": "katherine",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "lisa": "elizabeth",
    "elisabeth": "elizabeth",
    "babette": "elizabeth",
    "isabel": "elizabeth",
    "isabelle": "elizabeth",
    "maggie": "margaret",
    "peggy": "margaret",
    "marguerite": "margaret",
    "margarita": "margaret",
    "mike": "michael",
    "mick": "michael",
    "michel": "michael",
    "miguel": "michael",
    "mikhail": "michael",
    "jim": "james",
    "jimmy": "james",
    "jacques": "james",
    "diego": "james",
    "joe": "joseph",
    "jose": "joseph",
    "josef": "joseph",
    "giuseppe": "joseph",
    "pepe": "joseph",
    "john": "john",
    "johnny": "john",
    "jean": "john",
    "juan": "john",
    "ivan": "john",
    "giovanni": "john",
    "jan": "john",
    "sasha": "alexander",
    "alex": "alexander",
    "alejandro": "alexander",
    "aleksandr": "alexander",
    "alexandre": "alexander",
    "masha": "maria",
    "mary": "maria",
    "marie": "maria",
    "mariam": "maria",
    "maryam": "maria",
    "miriam": "maria",
    "nastya": "anastasia",
    "natasha": "natalia",
    "natalie": "natalia",
    "nathalie": "natalia",
    "tania": "tatiana",
    "tanya": "tatiana",
    "lena": "elena",
    "helene": "elena",
    "helen": "elena",
    "olena": "elena",
    "ana": "anna",
    "anne": "anna",
    "annie": "anna",
    "hanna": "anna",
    "hannah": "anna",
    "ann": "anna",
    "mohammed": "muhammad",
    "mohamed": "muhammad",
    "mohammad": "muhammad",
    "muhammed": "muhammad",
    "mohamad": "muhammad",
    "mehmet": "muhammad",
    "ahmad": "ahmed",
    "ahmet": "ahmed",
    "fatma": "fatima",
    "fatimah": "fatima",
    "yusuf": "joseph",
    "youssef": "joseph",
    "yousef": "joseph",
    "chris": "christopher",
    "kris": "christopher",
    "christophe": "christopher",
    "cristobal": "christopher",
    "nick": "nicholas",
    "nicolas": "nicholas",
    "nikolai": "nicholas",
    "tom": "thomas",
    "tommy": "thomas",
    "tomas": "thomas",
    "dan": "daniel",
    "danny": "daniel",
    "dave": "david",
    "davide": "david",
    "steve": "stephen",
    "steven": "stephen",
    "stephane": "stephen",
    "esteban": "stephen",
    "stepan": "stephen",
    "rosie": "rosa",
    "rose": "rosa",
    "sophie": "sofia",
    "sophia": "sofia",
    "zofia": "sofia",
}

# Transliteration and spelling folds applied to every word, in order (after accents are
# stripped): variants of one name across Latin transliterations of Arabic, Cyrillic, Tagalog,
# Spanish and French spellings converge.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"ph", "f"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"kh", "h"),
        (r"dj", "j"),
        (r"dzh", "j"),
        (r"tch", "ch"),
        (r"tsch", "ch"),
        (r"sch", "sh"),
        (r"ou", "u"),
        (r"ee", "i"),
        (r"y", "i"),
        (r"w", "v"),
        (r"z", "s"),
        (r"c(?=[ei])", "s"),
        (r"c", "k"),
        (r"(.)\1+", r"\1"),
        (r"h$", ""),
    )
)


@lru_cache(maxsize=100_000)
def normalise(text: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalpha() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split())


def fold_word(word: str) -> str:
    word = NICKNAMES.get(word, word)
    for pattern, repl in _FOLDS:
        word = pattern.sub(repl, word)
    return word


def name_tokens(*names: str | None) -> set[str]:
    """Padded bigrams of every folded word of the names (word order and count do not matter)."""
    tokens: set[str] = set()
    for name in names:
        for word in normalise(name or "").split():
            tokens |= _bigrams(word)
    return tokens


@lru_cache(maxsize=100_000)
def _bigrams(word: str) -> frozenset[str]:
    padded = f"_{fold_word(word)}_"
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


def birth_tokens(born: date | None) -> set[str]:
    """Year, the unordered pair (month, day) so a swapped day and month still share most
    tokens, and the whole date."""
    if born is None:
        return set()
    low, high = sorted((born.month, born.day))
    return {
        f"y{born.year}",
        f"p{low:02d}{high:02d}",
        f"m{born.month:02d}",
        f"d{born.day:02d}",
        f"ymd{born.isoformat()}",
    }


def code_tokens(code: str | None) -> set[str]:
    folded = normalise(code) if code else ""
    return {f"c{folded}"} if folded else set()


# --- keys and filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkageKey:
    """The hub's linkage secret for one scheme version. Organisations encode with it; the
    matcher needs only its id (to refuse encodings made with another key)."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ValueError("a linkage key needs at least 32 bytes")

    @cached_property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"harbour-linkage-key-id", hashlib.sha256).hexdigest()[:16]

    def subkey(self, name: str) -> bytes:
        return hmac.new(self.secret, f"{SCHEME}:{name}".encode(), hashlib.sha256).digest()

    @cached_property
    def layouts(self) -> dict[str, "_Layout"]:
        return {name: _Layout.make(self, name, spec) for name, spec in FIELDS.items()}


@dataclass(frozen=True)
class _Layout:
    """One field's keyed hashing and balancing: where each bit of the filter and of its
    complement lands in the stored filter."""

    spec: FieldSpec
    key: bytes
    ones: tuple[int, ...]  # stored position of filter bit i
    zeros: tuple[int, ...]  # stored position of complement bit i
    all_zeros: int  # the complement half of an empty filter

    @classmethod
    def make(cls, key: LinkageKey, name: str, spec: FieldSpec) -> "_Layout":
        positions = list(range(2 * spec.bits))
        random.Random(key.subkey(f"permutation:{name}")).shuffle(positions)
        ones, zeros = tuple(positions[: spec.bits]), tuple(positions[spec.bits :])
        return cls(spec, key.subkey(f"hash:{name}"), ones, zeros, sum(1 << z for z in zeros))

    def positions(self, token: str) -> frozenset[int]:
        return _positions(self.key, token, self.spec.bits, self.spec.hashes)

    def encode(self, tokens: Iterable[str]) -> int:
        """The balanced filter: bit i of the filter set at `ones[i]`, its complement bit at
        `zeros[i]` cleared; a token's two masks are cached (`_masks`), so a record costs a
        few ORs per token rather than a shift per bit."""
        ones = zeros = 0
        for token in tokens:
            one, zero = _masks(self, token)
            ones |= one
            zeros |= zero
        return ones | (self.all_zeros & ~zeros)


_MASKS: dict[tuple[bytes, str], tuple[int, int]] = {}


def _masks(layout: _Layout, token: str) -> tuple[int, int]:
    """The token's bits where the stored filter holds them, and where its complement does.
    Cached by the layout's own hash subkey (which names its key and field; hashing the frozen
    layout itself would hash its permutation each time), up to 200,000 tokens: bigrams, codes
    and dates repeat across records."""
    cached = _MASKS.get((layout.key, token))
    if cached is not None:
        return cached
    positions = layout.positions(token)
    masks = (
        sum(1 << layout.ones[b] for b in positions),
        sum(1 << layout.zeros[b] for b in positions),
    )
    if len(_MASKS) < 200_000:
        _MASKS[(layout.key, token)] = masks
    return masks


@lru_cache(maxsize=200_000)
def _positions(key: bytes, token: str, bits: int, hashes: int) -> frozenset[int]:
    """A token's bit positions: 16-bit slices of its keyed BLAKE2b digest (a MAC), each its
    own random position ("random hashing"). Cached: bigrams and dates repeat across records."""
    digest = hashlib.blake2b(token.encode(), key=key, digest_size=2 * hashes).digest()
    return frozenset(int.from_bytes(digest[2 * i : 2 * i + 2], "big") % bits for i in range(hashes))


# --- encodings --------------------------------------------------------------------------------


_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Encoding:
    """A record's filters by field (missing fields absent), with the key and scheme that made
    them. Holds nothing reversible without the key."""

    key_id: str
    filters: Mapping[str, int]
    scheme: str = SCHEME

    @property
    def weak(self) -> bool:
        return sum(f in self.filters for f in STRONG_FIELDS) < MIN_STRONG

    def to_text(self) -> str:
        parts = [f"{name}:{self.filters[name]:x}" for name in FIELDS if name in self.filters]
        return ".".join([self.scheme, self.key_id, *parts])

    @classmethod
    def from_text(cls, text: str, *, key_id: str) -> "Encoding":
        """Parse a stored encoding, refusing one of another scheme version or key."""
        filters: dict[str, int] = {}
        for name, spec, value in text_fields(text, key_id=key_id):
            bits = int(value, 16)
            if bits < 0 or bits.bit_length() > 2 * spec.bits or bits.bit_count() != spec.bits:
                raise EncodingError(f"field {name!r} is not a balanced filter of this scheme")
            filters[name] = bits
        return cls(key_id=key_id, filters=filters, scheme=SCHEME)


def text_fields(text: object, *, key_id: str) -> Iterator[tuple[str, FieldSpec, str]]:
    """A stored encoding's fields as (name, spec, lowercase hexadecimal), refusing one of
    another scheme version or key, an unknown or repeated field, or a value `to_text` would
    not write. The filters' balance is the caller's to check (bit by bit or over a matrix)."""
    if not isinstance(text, str) or text.count(".") < 1:
        raise EncodingError("not a linkage encoding")
    scheme, found_key, *parts = text.split(".")
    if scheme != SCHEME:
        raise EncodingError(f"encoding of scheme {scheme!r}; this hub uses {SCHEME!r}")
    if found_key != key_id:
        raise EncodingError(f"encoding made with key {found_key!r}; this hub uses {key_id!r}")
    seen: set[str] = set()
    for part in parts:
        name, _sep, value = part.partition(":")
        spec = FIELDS.get(name)
        if spec is None or name in seen:
            raise EncodingError(f"unknown or repeated field {name!r} in encoding")
        # Exactly what to_text writes: int(_, 16) alone would take "0x", "_", signs, spaces.
        if not _HEX.fullmatch(value) or len(value.lstrip("0")) > spec.bits // 2:
            raise EncodingError(f"field {name!r} is not a filter (lowercase hexadecimal)")
        seen.add(name)
        yield name, spec, value


def encode(key: LinkageKey, identity: Mapping[str, Any]) -> Encoding:
    """Encode a survivor's identity (the dictionary's field names) with the hub's key.

    Runs where the plaintext is: inside the owning organisation's boundary.
    """
    tokens = {
        "given": name_tokens(identity.get("given_name"), identity.get("preferred_name")),
        "family": name_tokens(identity.get("family_name")),
        "birth": birth_tokens(identity.get("birth_date")),
        "sex": code_tokens(identity.get("gender_identity")),
        "place": code_tokens(identity.get("country_of_birth")),
    }
    layouts = key.layouts
    filters = {name: layouts[name].encode(t) for name, t in tokens.items() if t}
    return Encoding(key_id=key.key_id, filters=filters)
