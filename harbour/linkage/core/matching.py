"""Matching encodings into persons: per-field similarity, Fellegi–Sunter weights learnt by EM
without labels, term frequencies, thresholds and the conflict check, and `link`, the batch run
(ADR 41). Blocking is in `core.blocking`, clustering in `core.clustering` (their names used
elsewhere are importable from here too).

Every function takes encodings of one key and scheme; nothing here can read a name.
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from harbour.linkage.core import packed
from harbour.linkage.core.blocking import Blocking as Blocking
from harbour.linkage.core.blocking import Key as Key
from harbour.linkage.core.blocking import LookupIndex as LookupIndex
from harbour.linkage.core.blocking import block_text as block_text
from harbour.linkage.core.clustering import LARGEST_CHECKED as LARGEST_CHECKED
from harbour.linkage.core.clustering import Linkage as Linkage
from harbour.linkage.core.clustering import cluster as cluster
from harbour.linkage.core.encoding import FIELDS, Encoding
from harbour.linkage.core.thresholds import Thresholds as Thresholds

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

    @property
    def logit(self) -> float:
        """The prior's log2 odds: what every pair's score starts from."""
        return math.log2(self.prior / (1 - self.prior))

    def probability(self, vector: Sequence[int], adjust: float = 0.0) -> float:
        """Posterior probability that the pair is one person; `adjust` (log2) is what the
        values' own frequencies add to the levels' weights (`tf_weight`)."""
        return float(posterior(self.score(vector) + adjust + self.logit))


def posterior[Odds: (float, npt.NDArray[np.float64])](odds: Odds) -> Odds:
    """The probability of log2 odds, clipped to ±60 (the one posterior step: the batch, the
    reference and the hint all use it)."""
    if isinstance(odds, np.ndarray):
        return 1 / (1 + 2 ** -np.clip(odds, -60.0, 60.0))
    return 1 / (1 + 2 ** -max(-60.0, min(60.0, odds)))


def tf_weight[Share: (float, npt.NDArray[np.float64])](
    weights: "Weights", f: int, share: Share
) -> Share:
    """log2 weight to add for field f when a pair holds the very same value, held by `share`
    of the records: the value's own u replaces the level's average u in the top level's
    weight (the one term-frequency adjustment: `Frequencies.adjustment`, the batch's
    `_probabilities` and the hint's `lookup.Scoring.adjustments` all use it)."""
    top = LEVELS - 1
    if isinstance(share, np.ndarray):
        return np.log2(weights.m[f][top] / share) - weights.weight(f, top)
    return math.log2(weights.m[f][top] / share) - weights.weight(f, top)


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
    fixed: Iterable[str] = (),
) -> Weights:
    """Fit m (of the fields in `learn`) and the prior to comparison-vector counts by EM.

    u, how often two different people agree by chance, is measured on `background` (random
    pairs of records, nearly all of different people) with DEFAULT_U as PSEUDO_PAIRS
    pseudo-counts, and not re-learnt: among candidate pairs, chosen for agreeing, different
    people agree far more than by chance. m starts from DEFAULT_M (or `m`), pulled towards it
    by the same pseudo-counts, so a small batch stays sensible. Only the `learn` fields take
    part: a field the candidates were chosen on says nothing there. Missing values (level 0)
    take no part. The weights are made monotone (`Weights`). The `fixed` fields take part
    with their m from `m`, never re-learnt (`learn_weights`: sex and place of birth).
    """
    kept = {f for f, name in enumerate(FIELD_ORDER) if name in set(fixed)}
    learnt = {f for f, name in enumerate(FIELD_ORDER) if name in set(learn)} - kept
    used = sorted(learnt | kept)
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
    *,
    sure: Mapping[tuple[int, ...], int],
) -> Weights:
    """m of every field but birth from the pairs sharing a birth date, m of birth from the
    pairs with similar names, u from random pairs (`estimate`); m of sex and place from the
    `sure` pairs (`traits_m`; empty: DEFAULT_M). Required: the pairs sharing a birth date
    are no substitute (namesakes on a placeholder date differ in sex and place and would
    read as the same person's)."""
    others = [n for n in FIELD_ORDER if n != "birth"]
    not_names = [n for n in FIELD_ORDER if n not in {"given", "family"}]
    start = traits_m(sure)
    first = estimate(by_birth, background, learn=others, m=start, fixed=TRAITS)
    second = estimate(by_names, background, learn=not_names, m=first.m, fixed=TRAITS)
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


# Fields whose m is counted on the pairs the other fields make sure, not learnt by EM: among
# all candidates EM reads the different people sharing a common name and date (who differ in
# sex and place) as matches, more of them the larger the batch (m of a different country of
# birth 0.002 at 100,000 records, 0.035 at 1,000,000), and a disagreement there then weighs
# ever less (ADR 41, amended 2026-12-06, fourth session).
TRAITS = ("sex", "place")
_SURE_BY = tuple(FIELD_ORDER.index(name) for name in ("given", "family", "birth"))


def traits_m(vectors: Mapping[tuple[int, ...], int]) -> list[list[float]]:
    """DEFAULT_M for every field, except the m of each of TRAITS: its levels' shares among the
    pairs of `vectors` that agree at the top level on both names and the birth date (nearly
    all one person however large the batch), with DEFAULT_M as PSEUDO_PAIRS pseudo-counts."""
    top = LEVELS - 1
    rows = [[PSEUDO_PAIRS * x for x in DEFAULT_M] for _ in FIELD_ORDER]
    for vector, count in vectors.items():
        if all(vector[f] == top for f in _SURE_BY):
            for name in TRAITS:
                f = FIELD_ORDER.index(name)
                rows[f][vector[f]] += count
    traits = {FIELD_ORDER.index(name) for name in TRAITS}
    return [
        _normalise([0.0, *row[1:]]) if f in traits else list(DEFAULT_M)
        for f, row in enumerate(rows)
    ]


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
        out = 0.0
        for f, name in _TF_INDEX:
            value = a.filters.get(name)
            if value is None or value != b.filters.get(name):
                continue
            share = max(self.counts[name].get(value, 0), 1) / max(self.records, 1)
            out += tf_weight(weights, f, share)
        return out


# --- thresholds and the conflict check ----------------------------------------------------------


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
    pairs, found_by = _candidates(batch, blocking)
    compared = _compare_all(batch, pairs)
    if weights is None:
        sampled = np.array(background_pairs(n, min(50_000, 20 * n)), dtype=np.int64)
        sampled = sampled.reshape(-1, 2)
        background = packed.compare(batch, sampled[:, 0], sampled[:, 1], _CUTS).pattern
        weights = learn_weights(
            packed.counts(compared.pattern[found_by[0]]),
            packed.counts(compared.pattern[found_by[1]]),
            packed.counts(background),
            sure=packed.counts(compared.pattern[_rare_and_same(batch, pairs, compared)]),
        )
    del found_by
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    kept = _Kept()
    kept.score(batch, pairs, compared, weights, table, thresholds)
    del compared
    # Then the pairs only the recovery found (`Blocking.recovered_pairs`), compared once the
    # others' comparisons are dropped: uncertain at most (same names, a date changed or
    # missing, are as often two people with a common name).
    extra = packed.recovered_pairs(batch, packed.Keys.of(batch, blocking), blocking)
    extra = extra[~packed.among(extra, pairs)]
    candidates = len(pairs) + len(extra)
    del pairs  # the clustering reads only the pairs kept: 0.5 GB at 1,000,000
    kept.score(batch, extra, None, weights, table, thresholds, merge=False)
    del extra
    matches, strengths = kept.matches, kept.strengths
    uncertain, chances = kept.uncertain, kept.chances
    first = cluster(n, matches, [])
    conflicts = _conflicts(batch, first.labels, weights, table, thresholds.conflict)
    result = cluster(n, matches, uncertain, chances, strengths=strengths, conflicts=conflicts)
    result.weak_records = int(batch.weak.sum())
    result.candidate_pairs = candidates
    result.weights = weights
    return result


_CUTS = tuple(LEVEL_CUTS[name] for name in FIELD_ORDER)


@dataclass
class _Kept:
    """The pairs scored at or above the uncertain threshold, as Python tuples for the
    clustering: confident matches with their probabilities (strengths), uncertain pairs with
    theirs (chances)."""

    matches: list[tuple[int, int]] = field(default_factory=list)
    strengths: list[float] = field(default_factory=list)
    uncertain: list[tuple[int, int]] = field(default_factory=list)
    chances: list[float] = field(default_factory=list)

    def score(
        self,
        batch: packed.Packed,
        pairs: npt.NDArray[np.int64],
        compared: packed.Compared | None,
        weights: Weights,
        table: npt.NDArray[np.float64],
        thresholds: Thresholds,
        *,
        merge: bool = True,
    ) -> None:
        """Score the pairs chunk by chunk (compared here when `compared` is None) and keep
        them; with `merge=False` none is a confident match, a likely one is uncertain."""
        for part, a, b in packed.chunks(pairs, batch.n):
            if compared is None:
                chunk = packed.compare(batch, a, b, _CUTS)
            else:
                chunk = packed.Compared(
                    compared.pattern[part], compared.shared[part], compared.equal[part]
                )
            p = _probabilities(batch, a, b, chunk, weights, table)
            # A weak record's likely match is uncertainty, never a merge.
            sure = (p >= thresholds.merging) & ~(batch.weak[a] | batch.weak[b]) & merge
            unsure = ~sure & (p >= thresholds.uncertain)
            self.matches += zip(a[sure].tolist(), b[sure].tolist(), strict=True)
            self.strengths += p[sure].tolist()
            self.uncertain += zip(a[unsure].tolist(), b[unsure].tolist(), strict=True)
            self.chances += p[unsure].tolist()


def _candidates(
    batch: packed.Packed, blocking: Blocking
) -> tuple[npt.NDArray[np.int64], tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]:
    """The two rules' candidate pairs (codes), and which of them each rule found (for the
    weights: two boolean arrays instead of the rules' codes, 0.3 GB at 1,000,000 records)."""
    by_birth, by_names = packed.candidate_pairs(batch, packed.Keys.of(batch, blocking), blocking)
    pairs = packed.merge(by_birth, by_names)
    return pairs, (packed.among(pairs, by_birth), packed.among(pairs, by_names))


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


# A pair holding the same given name, family name and birth date is one person for sure when
# so few records would share all three by chance: holders(given) · holders(family) ·
# holders(birth) / n² (the expected number of records holding the three values if they were
# independent) below this. Common names on a placeholder date are not sure.
RARE = 0.01


def _rare_and_same(
    batch: packed.Packed, pairs: npt.NDArray[np.int64], compared: packed.Compared
) -> npt.NDArray[np.bool_]:
    """Which pairs hold the very same, jointly rare, given name, family name and birth date
    (what `traits_m` counts m of sex and place on)."""
    fields = [FIELD_ORDER.index(name) for name in ("given", "family", "birth")]
    bits = np.uint8(sum(1 << f for f in fields))
    out = np.zeros(len(pairs), dtype=bool)
    scale = float(max(batch.n, 1)) ** 2
    for part, a, _b in packed.chunks(pairs, batch.n):
        same = (compared.equal[part] & bits) == bits
        chance = np.ones(len(a), dtype=np.float64)
        for f in fields:
            chance *= batch.holders[f][a]
        out[part] = same & (chance / scale < RARE)
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
    for f, _name in _TF_INDEX:
        equal = (compared.equal & np.uint8(1 << f)) > 0
        share = np.maximum(batch.holders[f][a], 1) / max(batch.n, 1)
        odds = odds + np.where(equal, tf_weight(weights, f, share), 0.0)
    p = posterior(odds + weights.logit)
    p[packed.sure(compared)] = 1.0
    return p
