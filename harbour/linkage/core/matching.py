"""Matching encodings into persons: blocking, per-field similarity, Fellegi–Sunter weights
learnt by EM without labels, thresholds, and clustering over confident matches only (ADR 41).

Every function takes encodings of one key and scheme; nothing here can read a name.
"""

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from harbour.linkage.core import packed
from harbour.linkage.core.encoding import FIELDS, Encoding

FIELD_ORDER = tuple(FIELDS)
# Similarity of a balanced filter pair is 1 - hamming / (2 * bits): unrelated values already
# share many positions, so the levels sit high. Cuts per field, measured on generated data
# (benchmarks/bench_linkage.py): for birth dates, a swapped day and month or a year off
# (about 0.75-0.8) is level 3, a day off (about 0.65) level 2, another date (about 0.52)
# level 1. Level 0 is "missing on either side".
LEVEL_CUTS: dict[str, tuple[float, float, float]] = {
    "given": (0.99, 0.88, 0.8),
    "family": (0.99, 0.88, 0.8),
    "birth": (0.99, 0.69, 0.6),
    "sex": (0.99, 0.9, 0.8),
    "place": (0.99, 0.9, 0.8),
}
LEVELS = 5


def dice(a: int, b: int) -> float:
    """Dice coefficient of two bitsets: 2|a∧b| / (|a| + |b|); 0 when both are empty."""
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


def level(similarity: float, field: str) -> int:
    for i, cut in enumerate(LEVEL_CUTS[field]):
        if similarity >= cut:
            return LEVELS - 1 - i
    return 1


def compare(a: Encoding, b: Encoding) -> tuple[int, ...]:
    """The comparison vector: one agreement level per field."""
    out = []
    for name in FIELD_ORDER:
        x, y = a.filters.get(name), b.filters.get(name)
        out.append(0 if x is None or y is None else level(dice(x, y), name))
    return tuple(out)


# --- blocking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocking:
    """Candidate pairs share a block: the same filter of a strong field, or the same sampled
    bits of the name filters in one LSH band (bit sampling for Hamming distance)."""

    bands: int = 24
    bits_per_band: int = 40
    max_block: int = 400  # larger blocks are split, then dropped (quadratic time)
    # A name band larger than this is split by birth bits in a batch run: at 1,000,000
    # records bands of one common full name (different people, different dates) held 200
    # million pairs at 400, 15 million at 20; at 100,000, F1 was the same (0.926 and 0.927).
    # The lookup of one record keeps `max_block` (ADR 41, amended 2026-12-06).
    band_block: int = 20
    seed: int = 12

    def positions(self) -> list[list[int]]:
        """One list per band: the sampled positions of the joined name filters (the given
        name's bits first, then the family name's)."""
        rng = random.Random(self.seed)
        width = 2 * (FIELDS["given"].bits + FIELDS["family"].bits)
        return [rng.sample(range(width), self.bits_per_band) for _ in range(self.bands)]

    def masks(self) -> list[int]:
        """One mask per band (`positions` as a bitset)."""
        return [sum(1 << p for p in band) for band in self.positions()]

    def split_positions(self) -> tuple[list[int], list[int], list[int]]:
        """The sampled bits of the given name, family name and birth filters that split an
        oversized block (`pairs_by_rule`)."""
        rng = random.Random(self.seed + 1)
        return (
            rng.sample(range(2 * FIELDS["given"].bits), 24),
            rng.sample(range(2 * FIELDS["family"].bits), 24),
            rng.sample(range(2 * FIELDS["birth"].bits), 16),
        )

    def keys(self, enc: Encoding, masks: Sequence[int]) -> list[Hashable]:
        # The whole birth filter is a block; whole name filters are not (a common given name
        # would make one huge block, and EM would learn "same given name" as the match class).
        keys: list[Hashable] = [("birth", enc.filters["birth"])] if "birth" in enc.filters else []
        given, family = enc.filters.get("given"), enc.filters.get("family")
        if given is not None and family is not None:
            joined = given | (family << (2 * FIELDS["given"].bits))
            # The sampled bits, kept in place: equal exactly when the sampled bits are equal.
            keys.extend((band, joined & mask) for band, mask in enumerate(masks))
        return keys

    def pairs_by_rule(
        self, records: Sequence[Encoding]
    ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """Candidate pairs found by the birth block, and by the name bands (EM learns each
        field's m from the pairs the *other* rule found, where that field is not biased).

        The reference, over Python sets: `link` uses `packed.candidate_pairs`, the same pairs
        over arrays (the tests check that they agree)."""
        masks = self.masks()
        blocks: dict[Hashable, list[int]] = defaultdict(list)
        for i, enc in enumerate(records):
            for key in self.keys(enc, masks):
                blocks[key].append(i)
        found: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), set())
        split = self._splitters()
        for key, members in blocks.items():
            rule = 0 if key[0] == "birth" else 1  # type: ignore[index]
            limit = self.max_block if rule == 0 else self.band_block
            groups = [members]
            if len(members) > limit:
                # A common name or a placeholder birthday: split the block by a few sampled bits
                # of the other rule's field, rather than lose every pair in it.
                sub: dict[Hashable, list[int]] = defaultdict(list)
                for i in members:
                    sub[split[rule](records[i])].append(i)
                groups = list(sub.values())
            for group in groups:
                if 1 < len(group) <= limit:
                    into = found[rule]
                    for x in range(len(group)):
                        for y in range(x + 1, len(group)):
                            into.add((group[x], group[y]))
        return found

    def _splitters(self) -> tuple[Any, Any]:
        given, family, birth = (sum(1 << p for p in x) for x in self.split_positions())

        def by_names(enc: Encoding) -> Hashable:
            f = enc.filters
            return (f.get("given", 0) & given, f.get("family", 0) & family)

        def by_birth(enc: Encoding) -> Hashable:
            return enc.filters.get("birth", 0) & birth

        return by_names, by_birth


Key = tuple[Any, ...]


def block_text(key: Key) -> str:
    """A block key as text ("birth:…", "band3:…", then the narrowing bits after "/"; "same:…"
    for a whole encoding), the same in every process: what a persistent index hashes."""
    if key[0] == "same":
        return "same:" + ".".join(f"{name}={bits:x}" for name, bits in key[1])
    rule, bits, *narrowed = key
    text = f"{'birth' if rule == 'birth' else f'band{rule}'}:{bits:x}"
    for split in narrowed:
        text += "/" + ".".join(f"{x:x}" for x in (split if isinstance(split, tuple) else (split,)))
    return text


class LookupIndex:
    """Incremental blocking for the lookup of one record (the hint at intake): the records
    sharing at least one of `Blocking.keys` with a query, without scanning every record.

    A block larger than `Blocking.max_block` is narrowed as `Blocking.pairs_by_rule` splits
    it: to the records that also share the query's sampled bits of the other rule's field;
    a narrowed block still too large is left out and counted (`skipped`), never returned
    whole. Identical records are always candidates of each other (up to the cap), even when
    every block they share is too large: each record is also filed under its whole encoding
    (`same`). Each record is filed under `entries`, which is what a persistent index stores."""

    def __init__(self, blocking: Blocking | None = None) -> None:
        self.blocking = blocking or Blocking()
        self._masks = self.blocking.masks()
        self._split = self.blocking._splitters()
        self._blocks: dict[Hashable, set[Hashable]] = defaultdict(set)
        self.skipped = 0  # narrowed blocks left out by the latest `candidates`

    def entries(self, enc: Encoding) -> list[tuple[Key, Key]]:
        """(key, narrowed key) for each block key of a record."""
        out = []
        for key in self.blocking.keys(enc, self._masks):
            assert isinstance(key, tuple)  # Blocking.keys makes (rule, bits)
            rule = 0 if key[0] == "birth" else 1
            out.append((key, (*key, self._split[rule](enc))))
        return out

    @staticmethod
    def same(enc: Encoding) -> Key:
        """The key of the records identical to this one (every filter equal)."""
        return ("same", tuple(sorted(enc.filters.items())))

    def add(self, record_id: Hashable, enc: Encoding) -> None:
        self._blocks[self.same(enc)].add(record_id)
        for key, narrowed in self.entries(enc):
            self._blocks[key].add(record_id)
            self._blocks[narrowed].add(record_id)

    def candidates(self, enc: Encoding) -> set[Hashable]:
        found: set[Hashable] = set()
        self.skipped = 0
        limit = self.blocking.max_block
        same = self._blocks.get(self.same(enc), set())
        if len(same) <= limit:
            found |= same
        for key, narrowed in self.entries(enc):
            members = self._blocks.get(key, set())
            if len(members) > limit:
                members = self._blocks.get(narrowed, set())
                if len(members) > limit:
                    self.skipped += 1
                    continue
            found |= members
        return found


# --- Fellegi–Sunter by EM ---------------------------------------------------------------------


@dataclass
class Weights:
    """m and u probability per field and level, the match prior, and the log2 weights."""

    m: list[list[float]]
    u: list[list[float]]
    prior: float
    table: list[list[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.table = [
            self._monotone([self._raw(f, lvl) for lvl in range(LEVELS)]) for f in range(len(self.m))
        ]

    def _raw(self, f: int, lvl: int) -> float:
        if lvl == 0:
            return 0.0  # a missing value says nothing
        # Smoothed: a level seen almost never on either side weighs about nothing, rather than
        # the ratio of two tiny, noisy numbers.
        return math.log2((self.m[f][lvl] + _SMOOTH) / (self.u[f][lvl] + _SMOOTH))

    @staticmethod
    def _monotone(row: list[float]) -> list[float]:
        """A closer value never weighs less than a farther one (running maximum over levels)."""
        out = [row[0]]
        best = -math.inf
        for w in row[1:]:
            best = max(best, w)
            out.append(best)
        return out

    def weight(self, f: int, lvl: int) -> float:
        return self.table[f][lvl]

    def score(self, vector: Sequence[int]) -> float:
        return sum(self.table[f][lvl] for f, lvl in enumerate(vector))

    def probability(self, vector: Sequence[int], adjust: float = 0.0) -> float:
        """Posterior probability that the pair is one person; `adjust` (log2) is what the
        values' own frequencies add to the levels' weights (`Frequencies.adjustment`)."""
        odds = self.score(vector) + adjust + math.log2(self.prior / (1 - self.prior))
        return 1 / (1 + 2 ** -max(-60.0, min(60.0, odds)))


_SMOOTH = 0.005
_FLOOR = 1e-6


def _normalise(row: list[float]) -> list[float]:
    row = [max(x, _FLOOR) for x in row]
    total = sum(row)
    return [x / total for x in row]


# What EM starts from and is pulled towards, as if this many pairs had been seen: a small or
# odd batch (a pilot hub, a test) gets sensible weights; a large one is ruled by its data.
PSEUDO_PAIRS = 50.0
DEFAULT_M = (0.0, 0.03, 0.03, 0.04, 0.9)  # the same person: mostly the same value
DEFAULT_PRIOR = 0.02
# Different people: mostly different values, except sex and, less, place of birth.
DEFAULT_U: dict[str, tuple[float, ...]] = {
    "given": (0.0, 0.93, 0.04, 0.02, 0.01),
    "family": (0.0, 0.95, 0.03, 0.015, 0.005),
    "birth": (0.0, 0.9, 0.06, 0.035, 0.005),
    "sex": (0.0, 0.45, 0.02, 0.03, 0.5),
    "place": (0.0, 0.8, 0.03, 0.03, 0.14),
}


def estimate(
    vectors: Mapping[tuple[int, ...], int],
    background: Mapping[tuple[int, ...], int],
    iterations: int = 60,
    *,
    learn: Iterable[str] = FIELDS,
    m: list[list[float]] | None = None,
) -> Weights:
    """Fit m (of the fields in `learn`) and the prior to comparison-vector counts by EM.

    u, how often two different people agree by chance, is measured on `background` (random
    pairs of records, nearly all of different people) with DEFAULT_U as PSEUDO_PAIRS
    pseudo-counts, and not re-learnt: among candidate pairs, chosen for agreeing, different
    people agree far more than by chance. m starts from DEFAULT_M (or `m`), pulled towards it
    by the same pseudo-counts, so a small batch stays sensible. Only the `learn` fields take
    part: a field the candidates were chosen on says nothing there. Missing values (level 0)
    take no part. The weights are made monotone (`Weights`).
    """
    learnt = {f for f, name in enumerate(FIELD_ORDER) if name in set(learn)}
    used = sorted(learnt)
    u0 = [[PSEUDO_PAIRS * x for x in DEFAULT_U[name]] for name in FIELD_ORDER]
    for vector, count in background.items():
        for f, lvl in enumerate(vector):
            u0[f][lvl] += count
    u = [_normalise([0.0, *row[1:]]) for row in u0]
    m0 = m or [list(DEFAULT_M) for _ in FIELD_ORDER]
    m, prior = [list(row) for row in m0], DEFAULT_PRIOR
    items = list(vectors.items())
    total = sum(vectors.values())
    for _ in range(iterations):
        mc = [[PSEUDO_PAIRS * x for x in row] for row in m0]
        matched = PSEUDO_PAIRS * DEFAULT_PRIOR
        for vector, count in items:
            pm, pu = prior, 1 - prior
            for f in used:
                lvl = vector[f]
                if lvl:
                    pm *= m[f][lvl]
                    pu *= u[f][lvl]
            g = pm / (pm + pu) if pm + pu else 0.0
            matched += g * count
            for f in learnt:
                if vector[f]:
                    mc[f][vector[f]] += g * count
        prior = min(max(matched / (total + PSEUDO_PAIRS), 1e-6), 1 - 1e-6)
        m = [_normalise([0.0, *row[1:]]) if f in learnt else m0[f] for f, row in enumerate(mc)]
    return Weights(m=m, u=u, prior=prior)


def learn_weights(
    by_birth: Mapping[tuple[int, ...], int],
    by_names: Mapping[tuple[int, ...], int],
    background: Mapping[tuple[int, ...], int],
) -> Weights:
    """m of every field but birth from the pairs sharing a birth date, m of birth from the
    pairs with similar names, u from random pairs (`estimate`)."""
    others = [n for n in FIELD_ORDER if n != "birth"]
    not_names = [n for n in FIELD_ORDER if n not in {"given", "family"}]
    first = estimate(by_birth, background, learn=others)
    second = estimate(by_names, background, learn=not_names, m=first.m)
    birth = FIELD_ORDER.index("birth")
    m = [second.m[f] if f == birth else first.m[f] for f in range(len(FIELD_ORDER))]
    # The prior of a *random* pair, from the share of matches among pairs sharing a birth date
    # (Bayes: P(match) = P(match | same date) · P(same date) / P(same date | match)): the prior
    # of candidate pairs would count their chosen-for-agreeing names twice. It runs high at
    # scale (about 5 times the true prior at 1,000,000 records: among the candidates of a split
    # placeholder date the share of matches is far above the share among all pairs with that
    # date); a prior from the matches found over all pairs, tried, came within 6 % of the true
    # one but lowered recall as much as it raised precision and moved the expected count's
    # error from -0.7 % to +3.9 % (benchmarks/README.md, bench_linkage, 2026-12-06, third
    # session): the other weights lean on this one, so it stays until they are mended too.
    u = first.u
    prior = first.prior * u[birth][LEVELS - 1] / m[birth][LEVELS - 1]
    return Weights(m=m, u=u, prior=min(max(prior, 1e-9), 0.5))


def background_pairs(n: int, size: int, seed: int = 5) -> list[tuple[int, int]]:
    """Distinct random pairs of distinct records, for u (every pair when there are few)."""
    every = n * (n - 1) // 2
    if every <= size:
        return [(a, b) for a in range(n) for b in range(a + 1, n)]
    rng = random.Random(seed)
    out: set[tuple[int, int]] = set()
    while len(out) < size:
        a, b = rng.randrange(n), rng.randrange(n - 1)
        b += b >= a
        out.add((min(a, b), max(a, b)))
    return sorted(out)


# --- term frequencies -------------------------------------------------------------------------

# Fields whose exact agreement weighs by how common the value is: a shared rare surname or an
# unusual birth date says far more than a shared "Smith" or a placeholder 1 January.
TF_FIELDS = ("given", "family", "birth")
_TF_INDEX = tuple((FIELD_ORDER.index(name), name) for name in TF_FIELDS)


@dataclass
class Frequencies:
    """How many records of a batch hold each exact filter of the TF fields.

    Encodings of one key are equal exactly when the values were (keyed hashing is
    deterministic), so the count of a filter is the count of a value, learnt without reading
    one. The current run stores them for the hint only as keyed digests of the values held
    twice or more (`linkage.lookup.frequencies_json`; ADR 41, amended 2026-12-06)."""

    records: int
    counts: dict[str, dict[int, int]]

    @classmethod
    def of(cls, records: Iterable[Encoding]) -> "Frequencies":
        counts: dict[str, dict[int, int]] = {name: defaultdict(int) for name in TF_FIELDS}
        n = 0
        for enc in records:
            n += 1
            for name in TF_FIELDS:
                value = enc.filters.get(name)
                if value is not None:
                    counts[name][value] += 1
        return cls(n, counts)

    def adjustment(self, a: Encoding, b: Encoding, weights: Weights) -> float:
        """log2 weight to add for the TF fields on which a and b hold the very same value:
        the value's own u (its share of the records) replaces the level's average u."""
        top = LEVELS - 1
        out = 0.0
        for f, name in _TF_INDEX:
            value = a.filters.get(name)
            if value is None or value != b.filters.get(name):
                continue
            share = max(self.counts[name].get(value, 0), 1) / max(self.records, 1)
            out += math.log2(weights.m[f][top] / share) - weights.weight(f, top)
        return out


# --- thresholds and clustering ----------------------------------------------------------------


LARGEST_CHECKED = 1000  # clusters above this size are not checked for conflicts (quadratic)


@dataclass(frozen=True)
class Thresholds:
    match: float = 0.7  # posterior at or above: one person
    uncertain: float = 0.2  # between: never merged, counted as uncertainty
    # Below: clearly two people. Two clusters holding such a pair are never merged, however
    # strong the match that would join them (`cluster`): single linkage otherwise chains
    # different people through a third record with a common name and date.
    conflict: float = 0.001

    def __post_init__(self) -> None:
        if not 0 < self.conflict <= self.uncertain <= self.match < 1:
            raise ValueError("thresholds must satisfy 0 < conflict <= uncertain <= match < 1")


@dataclass
class Linkage:
    """Persons found: a cluster label per record, and how uncertain the count is."""

    labels: list[int]
    persons: int
    persons_if_uncertain_merged: int  # the count if every uncertain pair were one person
    uncertain_pairs: int
    weak_records: int
    candidate_pairs: int
    weights: Weights | None = field(default=None, repr=False)
    # The count's point estimate: each uncertain pair that would join two persons takes away
    # its probability of being one person (`cluster`); between the two counts above.
    persons_expected: float = 0.0
    # Confident matches refused because their clusters held a pair scored clearly two people
    # (`cluster`); counted among the uncertain pairs.
    refused_merges: int = 0


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def root(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def cluster(
    n: int,
    matches: Sequence[tuple[int, int]],
    uncertain: Sequence[tuple[int, int]],
    chances: Sequence[float] | None = None,
    *,
    strengths: Sequence[float] | None = None,
    conflicts: Iterable[tuple[int, int]] = (),
) -> Linkage:
    """Connected components over confident matches, except that two clusters holding a
    `conflicts` pair (scored clearly two people) are never joined: the matches are taken
    strongest first (by `strengths`, each match's probability), and a match that would join
    such clusters is refused and counted as uncertain instead (with its strength as its
    chance). Uncertain pairs only measure how many more persons might be one. With `chances`
    (each uncertain pair's probability of being one person), also the expected number of
    persons: the confident count less, for each uncertain pair (likeliest first) that would
    still join two persons, its chance. A pair already joined through likelier ones takes
    nothing (a person is not merged twice)."""
    persons = _Union(n)
    apart: dict[int, set[int]] = defaultdict(set)  # root -> records its cluster conflicts with
    for a, b in conflicts:
        apart[a].add(b)
        apart[b].add(a)
    order: Sequence[int] = range(len(matches))
    if strengths is not None:
        order = sorted(order, key=lambda k: -strengths[k])
    refused: list[int] = []
    for k in order:
        if not _join_unless_apart(persons, apart, *matches[k]):
            refused.append(k)
    labels = [persons.root(i) for i in range(n)]
    count = len(set(labels))
    if refused:
        uncertain = [*uncertain, *(matches[k] for k in refused)]
        if chances is not None:
            chances = [*chances, *(strengths[k] if strengths else 1.0 for k in refused)]
    widened = _Union(n)
    widened.parent = list(labels)  # each record points at its cluster's root (a root itself)
    ranked: Sequence[int] = range(len(uncertain))
    if chances is not None:
        ranked = sorted(ranked, key=lambda k: -chances[k])
    merges = open_pairs = 0
    expected = float(count)
    for k in ranked:
        a, b = uncertain[k]
        if labels[a] != labels[b]:
            open_pairs += 1
        if widened.join(a, b):
            merges += 1
            expected -= chances[k] if chances is not None else 0.0
    result = Linkage(labels, count, count - merges, open_pairs, 0, 0)
    result.persons_expected = expected
    result.refused_merges = len(refused)
    return result


def _join_unless_apart(persons: _Union, apart: dict[int, set[int]], a: int, b: int) -> bool:
    """Join a's and b's clusters unless one holds a record the other must stay apart from;
    the conflicts of a joined cluster are filed under its new root. False when refused."""
    ra, rb = persons.root(a), persons.root(b)
    if ra == rb:
        return True
    mine, theirs = apart.get(ra), apart.get(rb)
    if mine and theirs:  # a conflict is filed at both ends: read the shorter list
        smaller, other = (mine, rb) if len(mine) <= len(theirs) else (theirs, ra)
        if any(persons.root(x) == other for x in smaller):
            return False
    persons.join(ra, rb)
    root = persons.root(ra)
    held = apart.pop(ra, set()) | apart.pop(rb, set())
    if held:
        apart[root] = held
    return True


def conflicting_pairs(
    records: Sequence[Encoding],
    labels: Sequence[int],
    weights: Weights,
    frequencies: Frequencies | None,
    cut: float,
    *,
    largest: int = LARGEST_CHECKED,
) -> list[tuple[int, int]]:
    """Every pair inside one cluster of `labels` (clusters of at most `largest` records)
    whose probability is below `cut`: the reference of what `link` computes over arrays."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        members[label].append(i)
    out = []
    for group in members.values():
        if len(group) > largest:
            continue
        for x, a in enumerate(group):
            for b in group[x + 1 :]:
                vector = compare(records[a], records[b])
                if pair_probability(records[a], records[b], vector, weights, frequencies) < cut:
                    out.append((a, b))
    return out


def same_person_for_sure(a: Encoding, b: Encoding) -> bool:
    """The same birth date and at least one name, and every field the two share identical: a
    match whatever the weights learnt from this batch. (Two records with the same name and no
    date are not enough: common names are shared by many people.)"""
    shared = a.filters.keys() & b.filters.keys()
    return (
        "birth" in shared
        and bool(shared & {"given", "family"})
        and all(a.filters[f] == b.filters[f] for f in shared)
    )


def pair_probability(
    a: Encoding,
    b: Encoding,
    vector: Sequence[int],
    weights: Weights,
    frequencies: Frequencies | None = None,
) -> float:
    """The posterior that a and b are one person: 1 when `same_person_for_sure`, otherwise by
    the weights, adjusted by the values' frequencies when they are known."""
    if same_person_for_sure(a, b):
        return 1.0
    adjust = frequencies.adjustment(a, b, weights) if frequencies else 0.0
    return weights.probability(vector, adjust)


def link(
    records: Sequence[Encoding] | packed.Packed,
    *,
    blocking: Blocking | None = None,
    thresholds: Thresholds | None = None,
    weights: Weights | None = None,
) -> Linkage:
    """Link a batch of encodings (all of one key and scheme), or a batch already packed, into
    persons.

    Over packed arrays (`packed`): candidate pairs are int64 codes, compared in chunks; only
    the confident and uncertain pairs become Python tuples, for the clustering."""
    if isinstance(records, packed.Packed):
        batch = records  # packed from stored texts of one key (`Packed.from_texts`)
    else:
        keys = {(r.scheme, r.key_id) for r in records}
        if len(keys) > 1:
            raise ValueError("encodings of different keys or scheme versions cannot be compared")
        batch = packed.Packed.of(records)
    thresholds = thresholds or Thresholds()
    blocking = blocking or Blocking()
    n = batch.n
    by_birth, by_names = packed.candidate_pairs(batch, packed.Keys.of(batch, blocking), blocking)
    pairs = packed.merge(by_birth, by_names)
    # Which rule found each pair, for the weights: two boolean arrays instead of the two rules'
    # codes (0.3 GB at 1,000,000 records), dropped before the comparisons are held.
    found_by = (
        (packed.among(pairs, by_birth), packed.among(pairs, by_names)) if weights is None else None
    )
    del by_birth, by_names
    compared = _compare_all(batch, pairs)
    if weights is None:
        assert found_by is not None
        sampled = np.array(background_pairs(n, min(50_000, 20 * n)), dtype=np.int64)
        sampled = sampled.reshape(-1, 2)
        background = packed.compare(batch, sampled[:, 0], sampled[:, 1], _CUTS).pattern
        weights = learn_weights(
            packed.counts(compared.pattern[found_by[0]]),
            packed.counts(compared.pattern[found_by[1]]),
            packed.counts(background),
        )
    del found_by
    matches: list[tuple[int, int]] = []
    strengths: list[float] = []
    uncertain: list[tuple[int, int]] = []
    chances: list[float] = []
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    for part, a, b in packed.chunks(pairs, n):
        chunk = packed.Compared(compared.pattern[part], compared.shared[part], compared.equal[part])
        p = _probabilities(batch, a, b, chunk, weights, table)
        weak = batch.weak[a] | batch.weak[b]
        sure = (p >= thresholds.match) & ~weak
        # A weak record's likely match is uncertainty, never a merge.
        unsure = ~sure & (p >= thresholds.uncertain)
        matches += zip(a[sure].tolist(), b[sure].tolist(), strict=True)
        strengths += p[sure].tolist()
        uncertain += zip(a[unsure].tolist(), b[unsure].tolist(), strict=True)
        chances += p[unsure].tolist()
    candidates = len(pairs)
    del pairs, compared  # the clustering reads only the pairs kept above: 0.5 GB at 1,000,000
    first = cluster(n, matches, [])
    conflicts = _conflicts(batch, first.labels, weights, table, thresholds.conflict)
    result = cluster(n, matches, uncertain, chances, strengths=strengths, conflicts=conflicts)
    result.weak_records = int(batch.weak.sum())
    result.candidate_pairs = candidates
    result.weights = weights
    return result


_CUTS = tuple(LEVEL_CUTS[name] for name in FIELD_ORDER)


def _conflicts(
    batch: packed.Packed,
    labels: Sequence[int],
    weights: Weights,
    table: npt.NDArray[np.float64],
    cut: float,
) -> list[tuple[int, int]]:
    """`conflicting_pairs` over arrays: every pair inside a cluster of the confident matches
    (of 3 to LARGEST_CHECKED records: a pair is its own match) scored below `cut`."""
    n = batch.n
    order, starts, sizes = packed.groups([np.asarray(labels, dtype=np.int64)])
    checked = np.where((sizes > 2) & (sizes <= LARGEST_CHECKED), sizes, 0)
    codes = packed.unique_codes(packed.pairs_within(order, starts, checked, n))
    out: list[tuple[int, int]] = []
    for _part, a, b in packed.chunks(codes, n):
        c = packed.compare(batch, a, b, _CUTS)
        low = _probabilities(batch, a, b, c, weights, table) < cut
        out += zip(a[low].tolist(), b[low].tolist(), strict=True)
    return out


def _compare_all(batch: packed.Packed, pairs: npt.NDArray[np.int64]) -> packed.Compared:
    out = packed.Compared(
        np.empty(len(pairs), dtype=np.int16),
        np.empty(len(pairs), dtype=np.uint8),
        np.empty(len(pairs), dtype=np.uint8),
    )
    for part, a, b in packed.chunks(pairs, batch.n):
        c = packed.compare(batch, a, b, _CUTS)
        out.pattern[part], out.shared[part], out.equal[part] = c.pattern, c.shared, c.equal
    return out


def _probabilities(
    batch: packed.Packed,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    compared: packed.Compared,
    weights: Weights,
    table: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """`pair_probability` of each pair, vectorised, with the batch's own term frequencies
    (`Frequencies.adjustment`: a value's share of the records replaces the level's u);
    `table` is each comparison vector's score, by pattern code."""
    odds = table[compared.pattern]
    top = LEVELS - 1
    for f, _name in _TF_INDEX:
        equal = (compared.equal & np.uint8(1 << f)) > 0
        share = np.maximum(batch.holders[f][a], 1) / max(batch.n, 1)
        extra = np.log2(weights.m[f][top] / share) - weights.weight(f, top)
        odds = odds + np.where(equal, extra, 0.0)
    odds = odds + math.log2(weights.prior / (1 - weights.prior))
    p = 1 / (1 + 2 ** -np.clip(odds, -60.0, 60.0))
    p[packed.sure(compared)] = 1.0
    return p
