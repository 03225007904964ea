"""Matching encodings into persons: blocking, per-field similarity, Fellegi–Sunter weights
learnt by EM without labels, thresholds, and clustering over confident matches only (ADR 41).

Every function takes encodings of one key and scheme; nothing here can read a name.
"""

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from harbour.linkage.core.encoding import FIELDS, Encoding

FIELD_ORDER = tuple(FIELDS)
# Similarity of a balanced filter pair is 1 - hamming / (2 * bits): unrelated values already
# share most positions, so the levels sit high. Level 0 is "missing on either side".
LEVEL_CUTS = (0.985, 0.94, 0.9)  # >= cut[0] is level 4 (same), ..., below the last is level 1
LEVELS = len(LEVEL_CUTS) + 2


def dice(a: int, b: int) -> float:
    """Dice coefficient of two bitsets: 2|a∧b| / (|a| + |b|); 0 when both are empty."""
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


def level(similarity: float) -> int:
    for i, cut in enumerate(LEVEL_CUTS):
        if similarity >= cut:
            return LEVELS - 1 - i
    return 1


def compare(a: Encoding, b: Encoding) -> tuple[int, ...]:
    """The comparison vector: one agreement level per field."""
    out = []
    for name in FIELD_ORDER:
        x, y = a.filters.get(name), b.filters.get(name)
        out.append(0 if x is None or y is None else level(dice(x, y)))
    return tuple(out)


# --- blocking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocking:
    """Candidate pairs share a block: the same filter of a strong field, or the same sampled
    bits of the name filters in one LSH band (bit sampling for Hamming distance)."""

    bands: int = 24
    bits_per_band: int = 40
    max_block: int = 400  # larger blocks carry no information and cost quadratic time
    seed: int = 12

    def samples(self) -> list[tuple[int, ...]]:
        rng = random.Random(self.seed)
        width = 2 * (FIELDS["given"].bits + FIELDS["family"].bits)
        return [tuple(rng.sample(range(width), self.bits_per_band)) for _ in range(self.bands)]

    def keys(self, enc: Encoding, samples: Sequence[tuple[int, ...]]) -> list[Hashable]:
        keys: list[Hashable] = [
            (n, enc.filters[n]) for n in ("given", "family", "birth") if n in enc.filters
        ]
        given, family = enc.filters.get("given"), enc.filters.get("family")
        if given is not None and family is not None:
            joined = given | (family << (2 * FIELDS["given"].bits))
            for band, positions in enumerate(samples):
                keys.append((band, sum(((joined >> p) & 1) << i for i, p in enumerate(positions))))
        return keys

    def pairs(self, records: Sequence[Encoding]) -> set[tuple[int, int]]:
        samples = self.samples()
        blocks: dict[Hashable, list[int]] = defaultdict(list)
        for i, enc in enumerate(records):
            for key in self.keys(enc, samples):
                blocks[key].append(i)
        found: set[tuple[int, int]] = set()
        for members in blocks.values():
            if 1 < len(members) <= self.max_block:
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        found.add((members[x], members[y]))
        return found


# --- Fellegi–Sunter by EM ---------------------------------------------------------------------


@dataclass
class Weights:
    """m and u probability per field and level, the match prior, and the log2 weights."""

    m: list[list[float]]
    u: list[list[float]]
    prior: float

    def weight(self, f: int, lvl: int) -> float:
        if lvl == 0:
            return 0.0  # a missing value says nothing
        return math.log2(self.m[f][lvl] / self.u[f][lvl])

    def score(self, vector: Sequence[int]) -> float:
        return sum(self.weight(f, lvl) for f, lvl in enumerate(vector))

    def probability(self, vector: Sequence[int]) -> float:
        """Posterior probability that the pair is one person."""
        odds = self.score(vector) + math.log2(self.prior / (1 - self.prior))
        return 1 / (1 + 2 ** -max(-60.0, min(60.0, odds)))


_FLOOR = 1e-6


def _normalise(row: list[float]) -> list[float]:
    row = [max(x, _FLOOR) for x in row]
    total = sum(row)
    return [x / total for x in row]


def estimate(vectors: Mapping[tuple[int, ...], int], iterations: int = 60) -> Weights:
    """Fit m, u and the prior to comparison-vector counts by expectation–maximisation.

    Starts from "matches agree, non-matches disagree" so the two classes do not swap; missing
    values (level 0) take no part. The weights are then made monotone in the level (a closer
    value never counts against a match), as a pool-adjacent fit would.
    """
    n_fields = len(FIELD_ORDER)
    ramp = [0.0] + [float(i) for i in range(1, LEVELS)]
    m = [_normalise(ramp[:]) for _ in range(n_fields)]
    u = [_normalise([0.0] + [float(LEVELS - i) for i in range(1, LEVELS)]) for _ in range(n_fields)]
    prior = 0.1
    items = list(vectors.items())
    total = sum(vectors.values()) or 1
    for _ in range(iterations):
        mc = [[0.0] * LEVELS for _ in range(n_fields)]
        uc = [[0.0] * LEVELS for _ in range(n_fields)]
        matched = 0.0
        for vector, count in items:
            pm, pu = prior, 1 - prior
            for f, lvl in enumerate(vector):
                if lvl:
                    pm *= m[f][lvl]
                    pu *= u[f][lvl]
            g = pm / (pm + pu) if pm + pu else 0.0
            matched += g * count
            for f, lvl in enumerate(vector):
                if lvl:
                    mc[f][lvl] += g * count
                    uc[f][lvl] += (1 - g) * count
        prior = min(max(matched / total, 1e-6), 1 - 1e-6)
        m = [_normalise([0.0, *row[1:]]) for row in mc]
        u = [_normalise([0.0, *row[1:]]) for row in uc]
    return _monotone(Weights(m=m, u=u, prior=prior))


def _monotone(w: Weights) -> Weights:
    """Raise m where a higher level would weigh less than a lower one (ties, not reversals)."""
    for f in range(len(FIELD_ORDER)):
        best = -math.inf
        for lvl in range(1, LEVELS):
            if w.weight(f, lvl) < best:
                w.m[f][lvl] = w.u[f][lvl] * 2**best
            best = max(best, w.weight(f, lvl))
    return w


# --- thresholds and clustering ----------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    match: float = 0.95  # posterior at or above: one person
    uncertain: float = 0.3  # between: never merged, counted as uncertainty

    def __post_init__(self) -> None:
        if not 0 < self.uncertain <= self.match < 1:
            raise ValueError("thresholds must satisfy 0 < uncertain <= match < 1")


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
    n: int, matches: Iterable[tuple[int, int]], uncertain: Iterable[tuple[int, int]]
) -> Linkage:
    """Connected components over confident matches; uncertain pairs only measure how many
    more persons might be one."""
    persons = _Union(n)
    for a, b in matches:
        persons.join(a, b)
    labels = [persons.root(i) for i in range(n)]
    count = len(set(labels))
    widened = _Union(n)
    for i, label in enumerate(labels):
        widened.join(i, label)
    merges = open_pairs = 0
    for a, b in uncertain:
        if labels[a] != labels[b]:
            open_pairs += 1
            merges += widened.join(a, b)
    return Linkage(labels, count, count - merges, open_pairs, 0, 0)


def link(
    records: Sequence[Encoding],
    *,
    blocking: Blocking | None = None,
    thresholds: Thresholds | None = None,
    weights: Weights | None = None,
) -> Linkage:
    """Link a batch of encodings (all of one key and scheme) into persons."""
    keys = {(r.scheme, r.key_id) for r in records}
    if len(keys) > 1:
        raise ValueError("encodings of different keys or scheme versions cannot be compared")
    thresholds = thresholds or Thresholds()
    pairs = sorted((blocking or Blocking()).pairs(records))
    vectors = [compare(records[a], records[b]) for a, b in pairs]
    counts: dict[tuple[int, ...], int] = defaultdict(int)
    for v in vectors:
        counts[v] += 1
    weights = weights or estimate(counts)
    probability = {v: weights.probability(v) for v in counts}
    matches, uncertain = [], []
    for (a, b), v in zip(pairs, vectors, strict=True):
        p = probability[v]
        weak = records[a].weak or records[b].weak
        if p >= thresholds.match and not weak:
            matches.append((a, b))
        elif p >= thresholds.uncertain:
            uncertain.append((a, b))  # a weak record's likely match is uncertainty, never a merge
    result = cluster(len(records), matches, uncertain)
    result.weak_records = sum(r.weak for r in records)
    result.candidate_pairs = len(pairs)
    result.weights = weights
    return result
