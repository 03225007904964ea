"""The hint weighs an exactly shared value by the run's term frequencies (issue 12, ADR 41
amended 2026-12-06): a returning survivor with one typo or a swapped day and month, whose other
values are rare, is told "may have been served before" under the strict weights a large hub
learns; a stranger sharing only common values is not. The packed comparison gives what the
reference `matching.pair_probability` gives."""

import datetime as dt
import random

import pytest

from harbour.audit.actions import SystemActor
from harbour.linkage import lookup
from harbour.linkage.actions import run_linkage
from harbour.linkage.core import matching
from harbour.linkage.core.encoding import Encoding, LinkageKey, encode
from harbour.linkage.models import LinkageRun

KEY = LinkageKey(b"k" * 32)
# The prior of a random pair a run learnt at 100,000 encodings (bench_linkage_lookup): the
# levels alone leave a typo or a swapped date under the match threshold.
STRICT_PRIOR = 1.6e-5
MATCH = matching.Thresholds().match


def _person(given: str, family: str, born: dt.date) -> dict:
    return {"given_name": given, "family_name": family, "birth_date": born, "sex": "female"}


def _hub() -> list[Encoding]:
    """600 records, half of them Tremblay, a third born on a placeholder 1 January 1990, and
    one Élodie Nkemelu, whose names and birth date no one else holds."""
    first = dt.date(1980, 1, 1)
    people = [
        _person(
            f"Given{i}",
            "Tremblay" if i % 2 else f"Family{i}",
            dt.date(1990, 1, 1) if i % 3 == 0 else first + dt.timedelta(days=i),
        )
        for i in range(600)
    ]
    people += [
        _person("Élodie", "Nkemelu", dt.date(1998, 4, 2)),
        _person("Marie", "Tremblay", dt.date(1990, 1, 1)),
    ]
    return [encode(KEY, p) for p in people]


def _scoring(hub: list[Encoding], *, frequencies: bool) -> lookup.Scoring:
    defaults = matching.estimate({}, {})
    stored = {"m": defaults.m, "u": defaults.u, "prior": STRICT_PRIOR}
    if frequencies:
        stored["frequencies"] = lookup.frequencies_json(KEY, hub)
    return lookup.Scoring.of(stored)


RETURNING = [
    _person("Élodei", "Nkemelu", dt.date(1998, 4, 2)),  # a typo in the given name
    _person("Élodie", "Nkemelu", dt.date(1998, 2, 4)),  # day and month swapped
]
STRANGERS = [
    _person("Amira", "Tremblay", dt.date(1990, 1, 1)),  # a common name and a common date
    _person("Amira", "Nkemelu", dt.date(1975, 6, 6)),  # a rare name, nothing else
    _person("Joséphine", "Okafor", dt.date(2001, 9, 30)),  # nothing shared
]


@pytest.mark.parametrize("probe", RETURNING)
def test_a_returning_survivor_with_rare_values_is_found_only_with_the_runs_frequencies(probe):
    hub = _hub()
    mine = encode(KEY, probe)
    assert lookup.matches(KEY, mine, hub, _scoring(hub, frequencies=True), MATCH).sum() == 1
    assert lookup.matches(KEY, mine, hub, _scoring(hub, frequencies=False), MATCH).sum() == 0


@pytest.mark.parametrize("probe", STRANGERS)
def test_a_stranger_sharing_common_or_single_values_is_not_found(probe):
    hub = _hub()
    found = lookup.matches(KEY, encode(KEY, probe), hub, _scoring(hub, frequencies=True), MATCH)
    assert found.sum() == 0


def test_the_packed_comparison_gives_the_reference_probabilities():
    """Every candidate of random probes: matched by `lookup.matches` exactly when the
    reference `matching.pair_probability` (with the hub's `Frequencies`) reaches the threshold,
    at several thresholds."""
    hub = _hub()
    scoring = _scoring(hub, frequencies=True)
    frequencies = matching.Frequencies.of(hub)
    rng = random.Random(5)
    for _ in range(30):
        other = rng.choice(hub)
        mine = encode(
            KEY,
            _person(
                rng.choice(["Élodie", "Given3", "Given4", "Amira"]),
                rng.choice(["Tremblay", "Nkemelu", "Family4"]),
                rng.choice([dt.date(1990, 1, 1), dt.date(1998, 4, 2), dt.date(1980, 1, 5)]),
            ),
        )
        for threshold in (0.2, MATCH, 0.95):
            got = lookup.matches(KEY, mine, [*hub[:50], other], scoring, threshold).tolist()
            want = [
                matching.pair_probability(
                    mine, c, matching.compare(mine, c), scoring.weights, frequencies
                )
                >= threshold
                for c in [*hub[:50], other]
            ]
            assert got == want


def test_the_stored_frequencies_hold_counts_under_keyed_digests_only():
    hub = _hub()
    stored = lookup.frequencies_json(KEY, hub)
    assert stored["records"] == len(hub)
    counts = stored["counts"]
    # Only the values held by two records or more, Tremblay (301) and 1 January 1990 (201)
    # among them; a value held once (Nkemelu) is not stored, and reads as once.
    counted = matching.Frequencies.of(hub).counts
    held = [n for name in lookup.TF_FIELDS for n in counted[name].values() if n >= 2]
    assert sorted(counts.values()) == sorted(held)
    assert {201, 301} <= set(held) and 1 not in set(counts.values())
    assert all(len(d) == 16 and int(d, 16) >= 0 for d in counts)
    other = lookup.frequencies_json(LinkageKey(b"o" * 32), hub)["counts"]
    assert not set(counts) & set(other)  # another key, other digests


@pytest.mark.django_db
def test_the_hint_weighs_by_the_frequencies_its_run_stored(
    make_case, make_user, other_org, caseworker, api_for
):
    """End to end: `harbour linkage run` stores the frequencies with its weights, and the hint
    reads them. Under a large hub's strict prior, the identity typed with a typo is "known" by
    its rare family name and birth date; the same weights without the frequencies say "none"."""
    make_case(caseworker)
    api = api_for(make_user("caseworker", other_org))
    typo = {"given_name": "Élodei", "family_name": "Tremblay", "birth_date": "1998-04-02"}
    answers = []
    for frequencies in (True, False):
        run = run_linkage(by=SystemActor("test"))  # a new run each time: the latest is used
        weights = run.weights | {"prior": STRICT_PRIOR}
        assert weights["frequencies"]["records"] == 1
        # As in a hub of 100,000 records where none other holds these values (one record's
        # values are all of its run's: frequencies then add nothing).
        weights["frequencies"]["records"] = 100_000
        if not frequencies:
            del weights["frequencies"]
        LinkageRun.objects.filter(pk=run.pk).update(weights=weights)
        answers.append(
            api.post("/api/v1/linkage/hint", typo, content_type="application/json").json()["answer"]
        )
    assert answers == ["known", "none"]


@pytest.mark.django_db
def test_only_the_current_run_keeps_its_frequencies(make_case, caseworker):
    """An earlier run's counts still count survivors since erased and organisations since
    withdrawn: a new run drops them (its weights and counts of persons stay), and the current
    run is read without its weights where only its counts are wanted."""
    from harbour.linkage.queries import current_run

    make_case(caseworker)
    first = run_linkage(by=SystemActor("test"))
    second = run_linkage(by=SystemActor("test"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert "frequencies" not in first.weights and "prior" in first.weights
    assert "frequencies" in second.weights
    run = current_run()
    assert run is not None and run.pk == second.pk and "weights" in run.get_deferred_fields()
