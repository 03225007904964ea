"""Differentially private counts: discrete Laplace noise, its error bounds and post-processing.

The mechanism is OpenDP's discrete Laplace measurement when the `opendp` package is installed.
Without it, the same distribution is sampled exactly with the algorithm of Canonne, Kamath and
Steinke ("The Discrete Gaussian for Differential Privacy", 2020, algorithm 2) on rational numbers
and the operating system's random source (`secrets`): no floating point touches the sampler, so it
has none of the floating-point attacks of a textbook Laplace sampler (Mironov 2012). Either way,
P(noise = k) is proportional to exp(-|k| / scale), with scale = sensitivity / epsilon.

Post-processing (clamping at zero, totals as sums of the noisy cells) costs no privacy.
"""

import math
import secrets
from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from random import Random
from typing import Protocol

_SYSTEM = secrets.SystemRandom()


class Source(Protocol):
    def randrange(self, stop: int, /) -> int: ...


def as_fraction(value: Decimal | Fraction | int | str) -> Fraction:
    """Epsilon as an exact rational (a Decimal or decimal string "0.5"; never a binary float)."""
    return Fraction(value) if not isinstance(value, str) else Fraction(Decimal(value))


def scale_for(epsilon: Decimal | Fraction | str, sensitivity: int = 1) -> Fraction:
    eps = as_fraction(epsilon)
    if eps <= 0:
        raise ValueError("epsilon must be positive")
    if sensitivity < 1:
        raise ValueError("sensitivity must be at least 1")
    return Fraction(sensitivity) / eps


def _bernoulli(p: Fraction, rng: Source) -> bool:
    return rng.randrange(p.denominator) < p.numerator


def _bernoulli_exp_neg(gamma: Fraction, rng: Source) -> bool:
    """True with probability exp(-gamma), exactly (CKS20 algorithm 1)."""
    while gamma > 1:
        if not _bernoulli_exp_neg(Fraction(1), rng):
            return False
        gamma -= 1
    k = 1
    while _bernoulli(gamma / k, rng):
        k += 1
    return k % 2 == 1


def sample_discrete_laplace(scale: Fraction, rng: Source | None = None) -> int:
    """One draw with P(k) proportional to exp(-|k| / scale) (CKS20 algorithm 2, s/t = 1/scale)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    source = rng or _SYSTEM
    t, s = scale.numerator, scale.denominator
    while True:
        u = source.randrange(t)
        if not _bernoulli_exp_neg(Fraction(u, t), source):
            continue
        v = 0
        while _bernoulli_exp_neg(Fraction(1), source):
            v += 1
        y = (u + t * v) // s
        negative = source.randrange(2) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


def _opendp_noise(scale: Fraction, size: int) -> list[int] | None:
    """OpenDP's discrete Laplace on a vector of zeros, when OpenDP is installed."""
    try:
        import opendp.prelude as dp  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=float(scale))
    return list(measurement([0] * size))


def mechanism_name() -> str:
    try:
        import opendp  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        return "discrete_laplace_cks20"
    return "opendp_discrete_laplace"


def noisy_counts[K: Hashable](
    counts: Mapping[K, int], scale: Fraction, rng: Random | None = None
) -> dict[K, int]:
    """Each count plus independent discrete Laplace noise, clamped at zero (post-processing).
    A seeded `rng` (tests only) forces the exact sampler so draws can be replayed."""
    keys = list(counts)
    noise = None if rng is not None else _opendp_noise(scale, len(keys))
    if noise is None:
        noise = [sample_discrete_laplace(scale, rng) for _k in keys]
    return {k: max(0, counts[k] + n) for k, n in zip(keys, noise, strict=True)}


def tail_probability(scale: Fraction | float, t: int) -> float:
    """P(|noise| > t) for the discrete Laplace of this scale."""
    alpha = math.exp(-1 / float(scale))
    return 2 * alpha ** (t + 1) / (1 + alpha)


def error_bound(scale: Fraction | float, confidence: float = 0.95) -> int:
    """The smallest t with P(|noise| <= t) >= confidence (before clamping at zero)."""
    t = 0
    while tail_probability(scale, t) > 1 - confidence:
        t += 1
    return t
