"""k-anonymity for research microdata: generalise quasi-identifiers, drop what still stands out.

Every record must share its combination of quasi-identifier values with at least k - 1 others.
Each quasi-identifier has a hierarchy of generalisations (level 0 is the value itself, the last
level says nothing). We search the lattice of levels from the least generalised upward and take
the first combination that leaves at most `max_dropped` of the records in classes smaller than k;
those records are dropped (record suppression). The CTDC publishes with k = 11.
"""

import itertools
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]
Level = Callable[[Any], Hashable]
DEFAULT_K = 11


@dataclass(frozen=True)
class Anonymised:
    rows: list[dict[str, Any]]
    levels: dict[str, int]
    dropped: int


def class_sizes(rows: Sequence[Row], qids: Sequence[str]) -> Counter[tuple[Hashable, ...]]:
    return Counter(tuple(row[q] for q in qids) for row in rows)


def _generalised(
    rows: Sequence[Row], hierarchies: Mapping[str, Sequence[Level]], levels: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [{**row, **{q: hierarchies[q][levels[q]](row[q]) for q in hierarchies}} for row in rows]


def _lattice(hierarchies: Mapping[str, Sequence[Level]]) -> list[dict[str, int]]:
    names = list(hierarchies)
    combos = itertools.product(*(range(len(hierarchies[n])) for n in names))
    return [dict(zip(names, c, strict=True)) for c in sorted(combos, key=lambda c: (sum(c), c))]


def k_anonymise(
    rows: Sequence[Row],
    hierarchies: Mapping[str, Sequence[Level]],
    k: int = DEFAULT_K,
    max_dropped: float = 0.05,
) -> Anonymised:
    if k < 2:
        raise ValueError("k must be at least 2")
    qids = list(hierarchies)
    for levels in _lattice(hierarchies):
        table = _generalised(rows, hierarchies, levels)
        sizes = class_sizes(table, qids)
        small = sum(n for n in sizes.values() if n < k)
        if small <= max_dropped * len(table):
            kept = [row for row in table if sizes[tuple(row[q] for q in qids)] >= k]
            return Anonymised(rows=kept, levels=levels, dropped=len(table) - len(kept))
    # Not reachable when each hierarchy ends in a constant: then everyone shares one class,
    # and fewer than k records are all dropped.
    return Anonymised(rows=[], levels={q: len(hierarchies[q]) - 1 for q in qids}, dropped=len(rows))
