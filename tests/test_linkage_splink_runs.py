"""splink, the plaintext reference of the linkage benchmark, still runs and still links.

The reference is only run by hand (benchmarks/linkage_splink.py, and bench_linkage.py beside our
kernel); a splink upgrade that changes its API, or a change to the generated population, would
otherwise go unnoticed until the next measurement. A few hundred generated records, in-process.
"""

import sys
from pathlib import Path

from django.conf import settings

sys.path.insert(0, str(Path(settings.BASE_DIR) / "benchmarks"))

from bench_linkage import population, scores
from linkage_splink import link_splink


def test_splink_links_a_small_generated_population() -> None:
    records, truth = population(300, seed=7)
    labels = link_splink(records)
    assert len(labels) == len(records)
    found = scores(labels, truth)
    # splink on plaintext finds most duplicates; 0.7 leaves room for a small population's noise
    # while failing if the model stops learning (every record alone scores F1 = 0).
    assert found["f1"] > 0.7, found
    assert abs(found["count_error"]) < 0.1, found
