"""Unbiased random rounding to a base (Statistics Canada rounds published counts to base 5).

A count already on the base is published as it is (zeros stay zeros); any other count goes to the
base multiple just below or just above it, upward with probability (remainder / base), so the
expected published value is the true value and no published value is off by the base or more.
Each figure (cells and margins) is rounded on its own: a table's rounded cells need not add up
to its rounded total, which is what keeps a small cell from being worked out by subtraction.
"""

import secrets
from collections.abc import Hashable, Mapping
from random import Random

DEFAULT_BASE = 5
_SYSTEM = secrets.SystemRandom()


def random_round(value: int, base: int = DEFAULT_BASE, rng: Random | None = None) -> int:
    if base < 1:
        raise ValueError("base must be at least 1")
    if value < 0:
        raise ValueError("counts cannot be negative")
    low, remainder = divmod(value, base)
    if remainder == 0:
        return value
    up = (rng or _SYSTEM).randrange(base) < remainder
    return (low + up) * base


def round_table[K: Hashable](
    counts: Mapping[K, int], base: int = DEFAULT_BASE, rng: Random | None = None
) -> dict[K, int]:
    return {k: random_round(v, base, rng) for k, v in counts.items()}
