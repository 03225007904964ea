"""The linkage benchmark's generated population (benchmarks/bench_linkage.py, issue 12).

Its names decide how many namesakes the linkage sides must tell apart, so the figures in
benchmarks/README.md depend on them: the realistic draw must keep the shares it was set from,
and the heavy draw (every figure before --names) must stay the same population,
record for record, so that those figures can be reproduced.
"""

import hashlib
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench_linkage import (
    FAMILY,
    GIVEN,
    SHARES,
    draw_realistic,
    name_statistics,
    population,
    zipf_exponent,
)

# sha256 of repr(population(3000, seed=7)) made by the code before --names (f16b315).
HEAVY_3000 = "e7a279ece1bab3c36a54af5a3a0c3f58d5ff91e3dc4deb9d693bc040a9be1cd1"


def test_the_heavy_population_is_the_one_of_the_earlier_figures() -> None:
    drawn = population(3000, seed=7, names="heavy")
    assert hashlib.sha256(repr(drawn).encode()).hexdigest() == HEAVY_3000


def test_the_default_population_is_the_realistic_one() -> None:
    assert population(500, seed=7) == population(500, seed=7, names="realistic")
    assert population(500, seed=7) != population(500, seed=7, names="heavy")
    with pytest.raises(ValueError, match="names"):
        population(10, names="zipf")


@pytest.mark.parametrize("lang", sorted(SHARES))
@pytest.mark.parametrize("kind", [0, 1])
def test_a_language_s_names_hold_the_shares_they_were_set_from(lang: str, kind: int) -> None:
    first, listed = SHARES[lang][kind]
    common = (GIVEN, FAMILY)[kind][lang]
    rng = random.Random(11)
    draws = 40_000
    counts = Counter(draw_realistic(rng, kind, lang) for _ in range(draws))
    # Binomial noise at 40,000 draws: under 0.2 points at 7 %, under 0.6 points at 50 %.
    assert counts[common[0]] / draws == pytest.approx(first, abs=0.003)
    assert sum(counts[name] for name in set(common)) / draws == pytest.approx(listed, abs=0.01)
    # Zipf-like: the first name of the list is the commonest, the last one the rarest listed.
    assert counts.most_common(1)[0][0] == common[0]
    assert counts[common[-1]] < counts[common[1]]


def test_the_zipf_exponent_gives_the_first_name_its_share() -> None:
    s = zipf_exponent(0.2, 16)
    assert 1 / sum(i**-s for i in range(1, 17)) == pytest.approx(0.2, abs=1e-9)
    assert zipf_exponent(1 / 16, 16) == pytest.approx(0.0, abs=1e-6)  # uniform


def test_the_header_counts_namesakes_over_people_not_records() -> None:
    born = "2000-01-01"
    records = [
        {"given_name": "Ana", "family_name": "Cruz", "birth_date": born},
        {"given_name": "ANA", "family_name": "Cruz", "birth_date": born},  # the same person
        {"given_name": "Ana", "family_name": "Cruz", "birth_date": born},  # a namesake
        {"given_name": "Ana", "family_name": "Cruz", "birth_date": "2001-01-01"},
        {"given_name": "Wei", "family_name": "Li", "birth_date": born},
    ]
    lines = name_statistics(records, [0, 0, 1, 2, 3])
    assert lines[0] == "  top given names: Ana 75.00%, Wei 25.00%"
    assert "another: 3 (75.00%); full name and birth date: 2 (50.000%)" in lines[3]
