"""Small-cell suppression for published counts. Pure Python: no Django, property-tested.

A count between 1 and threshold-1 could point at a real person ("the one Inuit survivor in the
territory"), so it is withheld (primary suppression). If exactly one cell of a table is withheld
while the total is published, it could be recovered by subtraction, so the smallest other
non-zero cell is withheld too (secondary suppression).
"""

from collections.abc import Hashable, Mapping

DEFAULT_THRESHOLD = 10


def suppress[K: Hashable](
    counts: Mapping[K, int], threshold: int = DEFAULT_THRESHOLD
) -> dict[K, int | None]:
    """Return the table with withheld cells as None. Zero counts are published."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if any(v < 0 for v in counts.values()):
        raise ValueError("counts cannot be negative")
    out: dict[K, int | None] = {k: (None if 0 < v < threshold else v) for k, v in counts.items()}
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        candidates = sorted((v, str(k), k) for k, v in out.items() if v)
        if candidates:
            out[candidates[0][2]] = None
    return out


def safe_total(counts: Mapping[Hashable, int], threshold: int = DEFAULT_THRESHOLD) -> int | None:
    total = sum(counts.values())
    return None if 0 < total < threshold else total
