"""Clustering matched pairs into persons (ADR 41): connected components over the confident
matches, strongest first, refusing a match that would join two clusters holding a pair scored
clearly two people (the conflict check); uncertain pairs are never merged, only counted.

Pure graph work on record indices: the scores come from `matching`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matching imports this module: the type only, no cycle at run time
    from harbour.linkage.core.matching import Weights

LARGEST_CHECKED = 1000  # clusters above this size are not checked for conflicts (quadratic)


@dataclass
class Linkage:
    """Persons found: a cluster label per record, and how uncertain the count is."""

    labels: list[int]
    persons: int
    persons_if_uncertain_merged: int  # the count if every uncertain pair were one person
    uncertain_pairs: int
    weak_records: int
    candidate_pairs: int
    weights: "Weights | None" = field(default=None, repr=False)
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
