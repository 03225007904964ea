"""Small-cell suppression for published counts. Pure Python: no Django, property-tested.

A count between 1 and threshold-1 could point at a real person ("the one Inuit survivor in the
territory"), so it is withheld (primary suppression). A withheld cell must not be recoverable by
subtraction from what is published beside it (the totals and margins), so more cells are withheld
(complementary or secondary suppression) until none can be worked out.

For a two-way table with its margins, a withheld cell can be worked out exactly if and only if it
is a *bridge* of the graph whose nodes are the rows and columns (the margins being one more row
and one more column) and whose edges are the withheld cells: a cell on a cycle can be moved by
+1/-1 around the cycle without changing any published figure. Withheld cells are never zeros
(a zero does not point at anyone), so every cell on a cycle can move both ways.
"""

import heapq
import itertools
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_THRESHOLD = 10
TOTAL = "__total__"  # the margins' row or column in the augmented table


def check_counts(values: list[int], threshold: int) -> None:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if any(v < 0 for v in values):
        raise ValueError("counts cannot be negative")


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def suppress[K: Hashable](
    counts: Mapping[K, int], threshold: int = DEFAULT_THRESHOLD
) -> dict[K, int | None]:
    """A one-way table whose total is published: withheld cells as None. Zeros are published."""
    check_counts(list(counts.values()), threshold)
    out: dict[K, int | None] = {
        k: (None if is_small(v, threshold) else v) for k, v in counts.items()
    }
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        candidates = sorted((v, str(k), k) for k, v in out.items() if v)
        if candidates:
            out[candidates[0][2]] = None
    return out


def safe_total(counts: Mapping[Hashable, int], threshold: int = DEFAULT_THRESHOLD) -> int | None:
    total = sum(counts.values())
    return None if is_small(total, threshold) else total


@dataclass(frozen=True)
class CrossTable:
    """A published two-way table: None marks a withheld cell or margin."""

    rows: tuple[Hashable, ...]
    cols: tuple[Hashable, ...]
    cells: dict[tuple[Hashable, Hashable], int | None]
    row_totals: dict[Hashable, int | None]
    col_totals: dict[Hashable, int | None]
    total: int | None

    def withheld(self) -> int:
        figures = [*self.cells.values(), *self.row_totals.values(), *self.col_totals.values()]
        return sum(1 for v in [*figures, self.total] if v is None)


Cell = tuple[Any, Any]
Node = tuple[str, Hashable]


def augmented(
    cells: Mapping[Cell, int], rows: tuple[Hashable, ...], cols: tuple[Hashable, ...]
) -> dict[Cell, int]:
    """The table with its margins as one more row and column (TOTAL)."""
    full = {(r, c): cells.get((r, c), 0) for r in rows for c in cols}
    for r in rows:
        full[(r, TOTAL)] = sum(full[(r, c)] for c in cols)
    for c in cols:
        full[(TOTAL, c)] = sum(full[(r, c)] for r in rows)
    full[(TOTAL, TOTAL)] = sum(full[(r, TOTAL)] for r in rows)
    return full


def bridges(hidden: set[Cell]) -> set[Cell]:
    """The withheld cells that lie on no cycle (Tarjan's bridge search, iterative)."""
    graph: dict[tuple[str, Hashable], list[tuple[tuple[str, Hashable], Cell]]] = {}
    for r, c in hidden:
        a, b = ("r", r), ("c", c)
        graph.setdefault(a, []).append((b, (r, c)))
        graph.setdefault(b, []).append((a, (r, c)))
    order: dict[tuple[str, Hashable], int] = {}
    low: dict[tuple[str, Hashable], int] = {}
    found: set[Cell] = set()
    for start in graph:
        if start in order:
            continue
        order[start] = low[start] = len(order)
        stack: list[tuple[Node, Cell | None, Iterator[tuple[Node, Cell]]]] = [
            (start, None, iter(graph[start]))
        ]
        while stack:
            node, via, edges = stack[-1]
            step = next(edges, None)
            if step is None:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(via)
                continue
            nxt, edge = step
            if edge == via:
                continue
            if nxt in order:
                low[node] = min(low[node], order[nxt])
            else:
                order[nxt] = low[nxt] = len(order)
                stack.append((nxt, edge, iter(graph[nxt])))
    return found


def suppress_crosstab(
    cells: Mapping[Cell, int],
    rows: tuple[Hashable, ...],
    cols: tuple[Hashable, ...],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    forced: frozenset[Cell] = frozenset(),
    locked: frozenset[Cell] = frozenset(),
) -> CrossTable:
    """Withhold small cells and margins, then more cells until none can be worked out.

    `forced` figures are withheld whatever their value, and `locked` ones keep the state they are
    given (withheld if forced, published otherwise): margins that another release publishes as a
    one-way table must be withheld exactly where that table withholds them, or the two releases
    together would give away what each hides (margin keys use TOTAL)."""
    full = augmented(cells, rows, cols)
    check_counts(list(full.values()), threshold)
    hidden = {k for k, v in full.items() if is_small(v, threshold) and k not in locked}
    hidden |= {k for k in forced if full.get(k)}
    fixed = set(locked) - hidden
    while open_ := bridges(hidden):
        path = _cheapest_cycle(min(open_, key=str), hidden, full, fixed)
        if not path:
            hidden = _withhold_everything(full, hidden, fixed)
            break
        hidden |= path
    shown = {k: (None if k in hidden else v) for k, v in full.items()}
    return CrossTable(
        rows=rows,
        cols=cols,
        cells={(r, c): shown[(r, c)] for r in rows for c in cols},
        row_totals={r: shown[(r, TOTAL)] for r in rows},
        col_totals={c: shown[(TOTAL, c)] for c in cols},
        total=shown[(TOTAL, TOTAL)],
    )


def _withhold_everything(
    full: Mapping[Cell, int], hidden: set[Cell], fixed: set[Cell]
) -> set[Cell]:
    """When no cycle can protect a figure: every non-zero count; with margins fixed by other
    releases, the whole body of the table, zeros too (a published zero would pin the rest)."""
    if not fixed:
        return {k for k, v in full.items() if v}
    body = {k for k in full if TOTAL not in k}
    return (hidden | body) - fixed


def _cheapest_cycle(
    bridge: Cell, hidden: set[Cell], full: Mapping[Cell, int], fixed: set[Cell] | None = None
) -> set[Cell]:
    """The published cells to withhold so that `bridge` lies on a cycle: the cheapest path from
    its row to its column through non-zero cells (withheld ones cost nothing, others their value,
    so the least information is lost), Dijkstra's algorithm. Empty if there is no such path."""
    start, goal = ("r", bridge[0]), ("c", bridge[1])
    graph: dict[tuple[str, Hashable], list[tuple[tuple[str, Hashable], Cell]]] = {}
    for key, value in full.items():
        if value and key != bridge and key not in (fixed or ()):
            a, b = ("r", key[0]), ("c", key[1])
            graph.setdefault(a, []).append((b, key))
            graph.setdefault(b, []).append((a, key))
    best: dict[tuple[str, Hashable], int] = {start: 0}
    came: dict[tuple[str, Hashable], tuple[tuple[str, Hashable], Cell]] = {}
    queue: list[tuple[int, int, tuple[str, Hashable]]] = [(0, 0, start)]
    tie = itertools.count(1)
    while queue:
        cost, _n, node = heapq.heappop(queue)
        if node == goal:
            return _walk_back(came, start, goal, hidden)
        if cost > best.get(node, cost):
            continue
        for nxt, key in graph.get(node, []):
            step = cost + (0 if key in hidden else full[key])
            if step < best.get(nxt, step + 1):
                best[nxt], came[nxt] = step, (node, key)
                heapq.heappush(queue, (step, next(tie), nxt))
    return set()


def _walk_back(
    came: Mapping[tuple[str, Hashable], tuple[tuple[str, Hashable], Cell]],
    start: tuple[str, Hashable],
    goal: tuple[str, Hashable],
    hidden: set[Cell],
) -> set[Cell]:
    path: set[Cell] = set()
    node = goal
    while node != start:
        node, key = came[node]
        path.add(key)
    return path - hidden
