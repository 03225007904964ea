"""The batch kernel over packed filters (ADR 41, amended 2026-12-06): numpy arrays instead of
Python ints and sets, so a run over 1,000,000 encodings stays within seconds and a few hundred
MiB.

Each field's filters become one uint64 matrix (a row per record, missing fields all zero), so a
comparison is an AND and `np.bitwise_count` over a few words; block keys are sampled bits
packed into uint64 columns, grouped by sorting; candidate pairs are int64 codes (a·n + b, a < b),
compared in chunks. The results are exactly those of the reference functions of `matching`
(`dice`, `compare`, `Blocking.pairs_by_rule`, `same_person_for_sure`), which the property tests
check on random filters and populations.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from harbour.linkage.core.encoding import (
    FIELDS,
    MIN_STRONG,
    STRONG_FIELDS,
    Encoding,
    EncodingError,
    text_fields,
)

if TYPE_CHECKING:  # the type only: blocking's module needs none of this one
    from harbour.linkage.core.blocking import Blocking

Words = npt.NDArray[np.uint64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

ORDER = tuple(FIELDS)
LEVELS = 5
PATTERNS = LEVELS ** len(ORDER)  # comparison vectors as base-5 codes: field f is digit f
CHUNK = 1 << 19  # pairs compared at once: ~60 MiB of gathered words
T = TypeVar("T")


@dataclass
class Packed:
    """A batch of encodings as arrays: `words[f]` is field f's filters (n × words, little
    endian: bit p of the filter is bit p % 64 of word p // 64), `present[f]` whether the record
    has the field, `ones[f]` its set bits, `value[f]` an id per distinct filter (−1 missing) and
    `holders[f]` how many records hold the record's own filter (term frequencies)."""

    n: int
    words: list[Words]
    present: list[Bools]
    ones: list[Ints]
    value: list[Ints]
    holders: list[Ints]
    weak: Bools

    @classmethod
    def of(cls, records: Sequence[Encoding]) -> "Packed":
        n = len(records)
        words, present, ones, value, holders = [], [], [], [], []
        for name in ORDER:
            width = 2 * FIELDS[name].bits // 8  # bytes of the stored (balanced) filter
            empty = bytes(width)
            got = [r.filters.get(name) for r in records]
            raw = b"".join(empty if f is None else f.to_bytes(width, "little") for f in got)
            matrix = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(n, width // 8)
            has = np.fromiter((f is not None for f in got), dtype=bool, count=n)
            ids, counts = _value_ids(matrix, has)
            words.append(matrix)
            present.append(has)
            ones.append(np.bitwise_count(matrix).sum(axis=1, dtype=np.int64))
            value.append(ids)
            holders.append(counts)
        strong = sum(present[ORDER.index(name)].astype(np.int64) for name in STRONG_FIELDS)
        return cls(n, words, present, ones, value, holders, np.asarray(strong < MIN_STRONG))

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, key_id: str) -> "Packed":
        """`Packed.of` the encodings stored as `Encoding.to_text`, without making an `Encoding`
        (a dict of Python ints) per record: at 1,000,000 records those objects were a third of
        a run's memory. Refuses what `Encoding.from_text` refuses (EncodingError). The texts
        are read one at a time (a generator is enough): only the filters' bytes are held."""
        rows = _Rows()
        for text in texts:
            rows.add(_fields_of(text, key_id))
        matrices, balanced = rows.matrices()
        if not balanced.all():
            name = ORDER[int(np.flatnonzero((~balanced).any(axis=1))[0])]
            raise EncodingError(f"field {name!r} is not a balanced filter of this scheme")
        return cls._of_matrices(matrices, rows.present())

    @classmethod
    def from_stored(
        cls, rows: Iterable[tuple[T, str]], *, key_id: str
    ) -> tuple["Packed", list[T], int]:
        """A linkage run's batch from its stored (id, text) rows, read one at a time: the
        rows `Encoding.from_text` would refuse (another key or scheme, not a filter) are left
        out and counted. Returns the batch, the ids of its records in order, and the count
        left out."""
        held, ids, refused = _Rows(), [], 0
        for pk, text in rows:
            try:
                fields = _fields_of(text, key_id)
            except EncodingError:
                refused += 1
                continue
            held.add(fields)
            ids.append(pk)
        matrices, balanced = held.matrices()
        ok = balanced.all(axis=0)
        present = held.present()
        if not ok.all():  # an unbalanced filter: the record is refused as from_text would
            matrices = [m[ok] for m in matrices]
            present = [p[ok] for p in present]
            ids = [pk for pk, keep in zip(ids, ok.tolist(), strict=True) if keep]
            refused += int((~ok).sum())
        return cls._of_matrices(matrices, present), ids, refused

    @classmethod
    def _of_matrices(cls, words: list[Words], present: list[Bools]) -> "Packed":
        n = len(present[0])
        ones, value, holders = [], [], []
        for matrix, has in zip(words, present, strict=True):
            ones.append(np.bitwise_count(matrix).sum(axis=1, dtype=np.int64))
            ids, counts = _value_ids(matrix, has)
            value.append(ids)
            holders.append(counts)
        strong = sum(present[ORDER.index(name)].astype(np.int64) for name in STRONG_FIELDS)
        return cls(n, words, present, ones, value, holders, np.asarray(strong < MIN_STRONG))

    def encodings(self, fields: Sequence[str], *, key_id: str) -> Iterator[Encoding]:
        """Each record as an `Encoding` holding only `fields`, made one at a time, for what
        reads a few filters of every record (the run's term frequencies,
        `lookup.frequencies_json`) without an `Encoding` of every field per record held."""
        columns = []
        for name in fields:
            f = ORDER.index(name)
            ids = self.value[f]
            held = np.flatnonzero(ids >= 0)
            first = np.zeros(int(ids.max(initial=-1)) + 1, dtype=np.int64)
            first[ids[held][::-1]] = held[::-1]  # a row holding each distinct filter
            rows = self.words[f][first]
            ints = [int.from_bytes(row.astype("<u8").tobytes(), "little") for row in rows]
            columns.append((name, ids.tolist(), ints))
        for i in range(self.n):
            got = {name: ints[ids[i]] for name, ids, ints in columns if ids[i] >= 0}
            yield Encoding(key_id=key_id, filters=got)

    def bits(self, fields: Sequence[str], positions: Sequence[int]) -> npt.NDArray[np.uint64]:
        """The bits at `positions` of the fields joined in order (the first field's bits
        first), packed into one uint64 per record (at most 64 positions)."""
        assert len(positions) <= 64
        offsets, joined = [], 0
        for name in fields:
            offsets.append(joined)
            joined += 2 * FIELDS[name].bits
        out = np.zeros(self.n, dtype=np.uint64)
        for j, p in enumerate(positions):
            f = max(i for i, start in enumerate(offsets) if start <= p)
            q = p - offsets[f]
            column = self.words[ORDER.index(fields[f])][:, q // 64]
            out |= ((column >> np.uint64(q % 64)) & np.uint64(1)) << np.uint64(j)
        return out


def _fields_of(text: str, key_id: str) -> dict[str, bytes]:
    """A stored encoding's filters as little-endian bytes by field, checked as
    `Encoding.from_text` checks them (scheme, key, known fields once each, lowercase
    hexadecimal of at most the field's width); balance is checked over the matrix."""
    out: dict[str, bytes] = {}
    for name, spec, hexa in text_fields(text, key_id=key_id):
        width = 2 * spec.bits // 8
        out[name] = bytes.fromhex(hexa.lstrip("0").zfill(2 * width))[::-1]
    return out


class _Rows:
    """Stored filters gathered record by record as bytes per field (missing: zeros), the
    only copy held until they become the matrices."""

    def __init__(self) -> None:
        self.raw = {name: bytearray() for name in ORDER}
        self.has = {name: bytearray() for name in ORDER}

    def add(self, fields: dict[str, bytes]) -> None:
        for name in ORDER:
            got = fields.get(name)
            self.raw[name] += got if got else bytes(2 * FIELDS[name].bits // 8)
            self.has[name].append(1 if got else 0)

    def present(self) -> list[Bools]:
        return [np.frombuffer(bytes(self.has[name]), dtype=np.uint8).astype(bool) for name in ORDER]

    def matrices(self) -> tuple[list[Words], Bools]:
        """The fields' matrices (the bytes released as each is made), and per field and
        record whether a present filter has the scheme's number of bits set (fields × n)."""
        out = []
        balanced = np.ones((len(ORDER), len(self.has[ORDER[0]])), dtype=bool)
        for f, name in enumerate(ORDER):
            width = 2 * FIELDS[name].bits // 8
            flat = np.frombuffer(self.raw.pop(name), dtype="<u8").astype(np.uint64)
            matrix = flat.reshape(-1, width // 8)
            del flat
            has = np.frombuffer(bytes(self.has[name]), dtype=np.uint8).astype(bool)
            counted = np.bitwise_count(matrix).sum(axis=1, dtype=np.int64)
            balanced[f] = ~has | (counted == FIELDS[name].bits)
            out.append(matrix)
        return out, balanced


def _value_ids(matrix: Words, has: Bools) -> tuple[Ints, Ints]:
    """An id per distinct row among present ones (−1 when missing), and per record how many
    records hold its row (0 when missing)."""
    n = len(matrix)
    ids = np.full(n, -1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(has)
    if len(rows):
        order = rows[np.lexsort(matrix[rows].T[::-1])]
        sorted_rows = matrix[order]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = (sorted_rows[1:] != sorted_rows[:-1]).any(axis=1)
        group = np.cumsum(starts) - 1
        ids[order] = group
        counts[order] = np.bincount(group)[group]
    return ids, counts


# --- comparing pairs ---------------------------------------------------------------------------


@dataclass
class Compared:
    """Per pair: the comparison vector's code (`pattern`), and per field whether both records
    hold it (`shared`) and hold the very same filter (`equal`), as bit f of a uint8."""

    pattern: npt.NDArray[np.int16]
    shared: npt.NDArray[np.uint8]
    equal: npt.NDArray[np.uint8]


def compare(
    packed: Packed,
    a: Ints,
    b: Ints | slice,
    cuts: Sequence[tuple[float, float, float]],
    *,
    against: Packed | None = None,
) -> Compared:
    """`matching.compare` of each pair (a[i], b[i]), vectorised: the level of the Dice
    coefficient 2|x∧y| / (|x| + |y|) against the field's cuts, 0 when either side is missing.
    b indexes `against` when given (a lookup: one record, a of length 1, against many; b may
    then be `slice(None)`, every row without a copy)."""
    other = packed if against is None else against
    size = len(packed.present[0][a] & other.present[0][b])  # broadcast: b may be a slice
    pattern = np.zeros(size, dtype=np.int16)
    shared = np.zeros(size, dtype=np.uint8)
    equal = np.zeros(size, dtype=np.uint8)
    for f in range(len(ORDER)):
        both = packed.present[f][a] & other.present[f][b]
        mine, theirs = packed.ones[f][a], other.ones[f][b]
        common = np.bitwise_count(packed.words[f][a] & other.words[f][b]).sum(
            axis=1, dtype=np.int64
        )
        similarity = _dice(common, mine + theirs)
        lvl = np.ones(size, dtype=np.int16)
        for i, cut in reversed(list(enumerate(cuts[f]))):
            lvl[similarity >= cut] = LEVELS - 1 - i
        lvl[~both] = 0
        pattern += lvl * np.int16(LEVELS**f)
        same = both & (common == mine) & (common == theirs)
        shared |= both.astype(np.uint8) << np.uint8(f)
        equal |= same.astype(np.uint8) << np.uint8(f)
    return Compared(pattern, shared, equal)


def dice(packed: Packed, f: int, a: Ints, b: Ints) -> npt.NDArray[np.float64]:
    """`matching.dice` of field f's filters of each pair (a[i], b[i]): the same floats."""
    return _dice(_common(packed, f, a, b), packed.ones[f][a] + packed.ones[f][b])


def _common(packed: Packed, f: int, a: Ints, b: Ints) -> Ints:
    words = packed.words[f]
    return np.bitwise_count(words[a] & words[b]).sum(axis=1, dtype=np.int64)


def _dice(common: Ints, total: Ints) -> npt.NDArray[np.float64]:
    # Both counts are exact in float64, so the quotient is the one Python's int division gives.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (2 * common) / total, 0.0)


def chunks(pairs: Ints, n: int) -> Iterator[tuple[slice, Ints, Ints]]:
    """The pairs' codes split into (slice, a, b) chunks of at most CHUNK pairs."""
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start : start + CHUNK]
        yield slice(start, start + len(part)), part // n, part % n


def vector(pattern: int) -> tuple[int, ...]:
    """A pattern code as the comparison vector `matching.compare` returns."""
    return tuple((pattern // LEVELS**f) % LEVELS for f in range(len(ORDER)))


def counts(patterns: npt.NDArray[np.int16]) -> dict[tuple[int, ...], int]:
    """How many pairs have each comparison vector (what EM reads)."""
    tally = np.bincount(patterns.astype(np.int64), minlength=PATTERNS)
    return {vector(int(p)): int(tally[p]) for p in np.flatnonzero(tally)}


def sure(c: Compared) -> Bools:
    """`matching.same_person_for_sure`: a shared birth date and name, every shared field equal."""
    birth = np.uint8(1 << ORDER.index("birth"))
    names = np.uint8((1 << ORDER.index("given")) | (1 << ORDER.index("family")))
    return ((c.shared & birth) > 0) & ((c.shared & names) > 0) & ((c.shared & ~c.equal) == 0)


# --- blocking ----------------------------------------------------------------------------------

NAMES = ("given", "family")


@dataclass
class Keys:
    """Every record's block keys as columns: the birth filter's id, the sampled name bits of
    each band (`band_ok` when both names are present), the bits that split an oversized
    block of each rule (`Blocking._splitters`), and the ids of the sex and place filters
    (−1 missing), the second split of an oversized name band (`Blocking.pairs_by_rule`)."""

    birth: Ints
    bands: list[npt.NDArray[np.uint64]]
    band_ok: Bools
    by_names: npt.NDArray[np.uint64]  # splits a birth block
    by_birth: npt.NDArray[np.uint64]  # splits a name band
    traits: tuple[Ints, Ints]  # split a name band again: (sex id, place id)

    @classmethod
    def of(cls, packed: Packed, blocking: "Blocking") -> "Keys":
        given, family, birth = (ORDER.index(x) for x in ("given", "family", "birth"))
        g_pos, f_pos, b_pos = blocking.split_positions()
        by_names = packed.bits(["given"], g_pos) | (packed.bits(["family"], f_pos) << np.uint64(24))
        return cls(
            birth=packed.value[birth],
            bands=[packed.bits(NAMES, band) for band in blocking.positions()],
            band_ok=packed.present[given] & packed.present[family],
            by_names=by_names,
            by_birth=packed.bits(["birth"], b_pos),
            traits=(packed.value[ORDER.index("sex")], packed.value[ORDER.index("place")]),
        )


def groups(columns: Sequence[npt.NDArray[np.generic]]) -> tuple[Ints, Ints, Ints]:
    """Sort rows by the columns (first = primary): (order, group starts, group sizes)."""
    order = np.lexsort(list(columns)[::-1])
    if not len(order):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.zeros(len(order), dtype=bool)
    new[0] = True
    for column in columns:
        c = column[order]
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(order)))
    return order.astype(np.int64), starts, sizes


def pairs_within(members: Ints, starts: Ints, sizes: Ints, n: int) -> list[Ints]:
    """Every pair inside each group (members[start : start + size]), as codes a·n + b, a < b."""
    out = []
    for size in np.unique(sizes):
        if size < 2:
            continue
        first = starts[sizes == size]
        x, y = np.triu_indices(int(size), k=1)
        a, b = members[first[:, None] + x], members[first[:, None] + y]
        out.append((np.minimum(a, b) * n + np.maximum(a, b)).ravel())
    return out


def _rule_pairs(
    key: Sequence[npt.NDArray[np.generic]],
    members: Ints,
    split: npt.NDArray[np.generic],
    limit: int,
    n: int,
) -> Ints:
    """Pairs of one rule: records sharing a key; a block of more than `limit` is split by
    `split` (per record), its parts of more than `limit` dropped (`Blocking.pairs_by_rule`)."""
    order, starts, sizes = groups(key)
    held = members[order]
    found = pairs_within(held, starts, np.where(sizes <= limit, sizes, 0), n)
    big = sizes > limit
    if big.any():
        group = np.repeat(np.arange(len(sizes)), sizes)
        inside = big[group]
        sub_members, sub_group = held[inside], group[inside]
        sub_order, sub_starts, sub_sizes = groups([sub_group, split[sub_members]])
        kept = np.where(sub_sizes <= limit, sub_sizes, 0)
        found += pairs_within(sub_members[sub_order], sub_starts, kept, n)
    return unique_codes(found)


def _recovered_pairs(
    key: npt.NDArray[np.generic], members: Ints, keys: Keys, blocking: "Blocking", n: int
) -> Ints:
    """What the birth bits lost in a band of more than `band_block` records: pairs sharing
    sex and place there (parts of at most `band_block`), and each undated record paired with
    every other member of a band of at most `fan_block` (`Blocking.recovered_pairs`)."""
    limit = blocking.band_block
    order, starts, sizes = groups([key])
    held = members[order]
    big = sizes > limit
    if not big.any():
        return np.zeros(0, dtype=np.int64)
    group = np.repeat(np.arange(len(sizes)), sizes)
    found: list[Ints] = []
    if blocking.split_by_traits:
        sex, place = keys.traits
        # A record missing both traits shares no value with another: left out of the split.
        inside = big[group] & ((sex[held] >= 0) | (place[held] >= 0))
        sub_members, sub_group = held[inside], group[inside]
        sub_order, sub_starts, sub_sizes = groups([sub_group, sex[sub_members], place[sub_members]])
        kept = np.where(sub_sizes <= limit, sub_sizes, 0)
        found += pairs_within(sub_members[sub_order], sub_starts, kept, n)
    if blocking.fan_block:
        chosen = big & (sizes <= blocking.fan_block)
        found.append(_fan_out(held, starts, sizes, group, chosen, keys.birth < 0, n))
    return unique_codes(found)


def _fan_out(
    held: Ints, starts: Ints, sizes: Ints, group: Ints, chosen: Bools, undated: Bools, n: int
) -> Ints:
    """Each undated record of a chosen group paired with every other member of its group."""
    rows = np.flatnonzero(chosen[group] & undated[held])
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    g = group[rows]
    counts = sizes[g]
    first = np.repeat(starts[g], counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = np.repeat(held[rows], counts), held[first + offset]
    keep = a != b
    a, b = a[keep], b[keep]
    return np.minimum(a, b) * n + np.maximum(a, b)


def unique_codes(parts: list[Ints]) -> Ints:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    codes = np.concatenate(parts)
    codes.sort()
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = codes[1:] != codes[:-1]
    return codes[keep]


def candidate_pairs(packed: Packed, keys: Keys, blocking: "Blocking") -> tuple[Ints, Ints]:
    """`Blocking.pairs_by_rule` over packed records: the sorted pair codes found by the birth
    block and by the name bands."""
    n, limit = packed.n, blocking.max_block
    dated = np.flatnonzero(keys.birth >= 0)
    by_birth = _rule_pairs([keys.birth[dated]], dated, keys.by_names, limit, n)
    named = np.flatnonzero(keys.band_ok)
    by_names = np.zeros(0, dtype=np.int64)
    for column in keys.bands:  # one band at a time: a pair found by many bands is held once
        found = _rule_pairs([column[named]], named, keys.by_birth, blocking.band_block, n)
        by_names = merge(by_names, found)
    return by_birth, by_names


def recovered_pairs(packed: Packed, keys: Keys, blocking: "Blocking") -> Ints:
    """`Blocking.recovered_pairs` over packed records: sorted pair codes."""
    named = np.flatnonzero(keys.band_ok)
    out = np.zeros(0, dtype=np.int64)
    for column in keys.bands:
        out = merge(out, _recovered_pairs(column[named], named, keys, blocking, packed.n))
    return out


def merge(held: Ints, new: Ints) -> Ints:
    """The union of two sorted arrays of unique codes, sorted: the new codes not held are
    appended and the two sorted runs merged (a stable sort of two runs is a merge)."""
    out = np.concatenate([held, new[~among(new, held)]])
    out.sort(kind="stable")
    return out


def among(codes: Ints, sorted_codes: Ints) -> Bools:
    """Whether each code is in `sorted_codes` (sorted, unique). In chunks of CHUNK codes:
    over all 39 million pairs at once the positions and the codes read at them were three
    int64 arrays the size of `codes` (0.9 GB at 1,000,000 records, the run's peak)."""
    out = np.zeros(len(codes), dtype=bool)
    if not len(sorted_codes):
        return out
    last = len(sorted_codes) - 1
    for start in range(0, len(codes), CHUNK):
        part = codes[start : start + CHUNK]
        at = np.searchsorted(sorted_codes, part)
        np.minimum(at, last, out=at)
        out[start : start + len(part)] = sorted_codes[at] == part
    return out
