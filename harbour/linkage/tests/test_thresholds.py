"""The linkage thresholds (issue 12, ADR 41 amended 2026-12-06): a run merges at `merge` (½),
the returning-survivor hint says "known" at `match` (0.7); the thresholds are ordered, a run
records the ones it ran with, and `harbour linkage run` takes `--merge`."""

import dataclasses
import datetime as dt
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.linkage import lookup
from harbour.linkage.actions import run_linkage
from harbour.linkage.core import matching
from harbour.linkage.core.encoding import Encoding, LinkageKey, encode
from harbour.linkage.management.commands.linkage_run import Command
from harbour.linkage.models import LinkageRun
from harbour.linkage.tests.namesakes import one_person_among_others

KEY = LinkageKey(b"t" * 32)
DEFAULTS = {"match": 0.7, "uncertain": 0.2, "merge": 0.5, "conflict": 0.001}


# --- the ordering -------------------------------------------------------------------------------


def test_the_defaults_merge_at_a_half_and_tell_known_at_0_7():
    thresholds = matching.Thresholds()
    assert dataclasses.asdict(thresholds) == DEFAULTS
    assert thresholds.merging == thresholds.merge == 0.5


@pytest.mark.parametrize(
    "given",
    [
        {"merge": 0.1},  # below uncertain: used to be raised to it without a word
        {"merge": 0.19999},
        {"uncertain": 0.6},  # above the default merge
        {"merge": 1.0},
        {"merge": 1.5},
    ],
)
def test_a_merge_below_uncertain_or_not_below_one_is_refused_naming_merge(given):
    with pytest.raises(ValueError, match=r"^merge \("):
        matching.Thresholds(**given)


@pytest.mark.parametrize(
    "given",
    [
        {"match": 0.2, "uncertain": 0.5},  # the hint's below the uncertain band
        {"conflict": 0.3},  # above uncertain
        {"conflict": 0.0},
        {"match": 1.0},
    ],
)
def test_the_other_orderings_are_still_refused(given):
    with pytest.raises(ValueError, match="conflict <= uncertain <= match"):
        matching.Thresholds(**given)


@pytest.mark.parametrize(
    "given",
    [
        {"merge": 0.2},  # equal to uncertain: no uncertain band
        {"merge": 0.7},  # as every run before 71c41e6
        {"merge": 0.9},  # above the hint's: a stricter run, a different question
        {"uncertain": 0.6, "merge": 0.6},
    ],
)
def test_merge_between_uncertain_and_one_is_accepted_whatever_match(given):
    thresholds = matching.Thresholds(**given)
    assert thresholds.merging == given["merge"]


# --- the hint keeps its own threshold -----------------------------------------------------------


def _hub() -> list:
    return one_person_among_others(KEY)


def _weights_at(records: list, posterior: float) -> matching.Weights:
    """The default weights with the prior moved so that the first two records score
    `posterior` (with the batch's term frequencies, as a run and the hint weigh them)."""
    defaults = matching.estimate({}, {})
    frequencies = matching.Frequencies.of(records)
    prior = _prior_for(records[0], records[1], defaults, frequencies, posterior)
    return matching.Weights(m=defaults.m, u=defaults.u, prior=prior)


def test_a_pair_scored_between_merge_and_match_is_merged_by_a_run_but_not_known_to_the_hint():
    """The hint decides with `lookup.matches(..., matching.Thresholds().match)`
    (hints._matching_elsewhere), scoring with exactly what a run stores (`_weights_json`: its
    weights and the frequencies of its batch), so here the posterior is the run's, among 200
    other records. The next test goes through `hints.returning_hint`."""
    records = _hub()
    weights = _weights_at(records, 0.6)
    frequencies = matching.Frequencies.of(records)
    vector = matching.compare(records[0], records[1])
    p = matching.pair_probability(records[0], records[1], vector, weights, frequencies)
    assert matching.Thresholds().merge < p < matching.Thresholds().match

    linked = matching.link(records, weights=weights)
    assert linked.labels[0] == linked.labels[1]  # one person for the statistics

    stored = {
        "m": weights.m,
        "u": weights.u,
        "prior": weights.prior,
        "frequencies": lookup.frequencies_json(KEY, records),
    }
    scoring = lookup.Scoring.of(stored)
    hint = lookup.matches(KEY, records[0], records[1:], scoring, matching.Thresholds().match)
    assert not hint[0]  # not "known": a false "known" costs more than a missed one
    # The threshold alone makes the difference: at the run's, the hint would say "known".
    at_merge = lookup.matches(KEY, records[0], records[1:], scoring, matching.Thresholds().merge)
    assert at_merge[0]


# --- a run records its thresholds ---------------------------------------------------------------


def _run_event(run: LinkageRun) -> AuditEvent:
    return AuditEvent.objects.get(action="linkage.run", target_id=str(run.pk))


@pytest.mark.django_db
def test_a_run_records_its_thresholds_with_its_weights_and_in_its_event(make_case, caseworker):
    make_case(caseworker)
    first = run_linkage(by=SystemActor("test"))
    thresholds = matching.Thresholds(uncertain=0.3, merge=0.65)
    second = run_linkage(by=SystemActor("test"), thresholds=thresholds)
    first.refresh_from_db()
    second.refresh_from_db()
    # The earlier run loses its frequencies (ADR 41), never its thresholds.
    assert "frequencies" not in first.weights
    assert first.weights["thresholds"] == DEFAULTS
    assert second.weights["thresholds"] == {**DEFAULTS, "uncertain": 0.3, "merge": 0.65}
    context = _run_event(second).context
    assert {k: v for k, v in context.items() if k.startswith("threshold_")} == {
        "threshold_match": "0.7",
        "threshold_uncertain": "0.3",
        "threshold_merge": "0.65",
        "threshold_conflict": "0.001",
    }
    assert _run_event(first).context["threshold_merge"] == "0.5"
    # The run's counts keep their names beside them.
    assert context["persons"] == str(second.persons)


# --- the command --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_merges_at_merge_and_records_it(make_case, caseworker):
    make_case(caseworker)
    out = StringIO()
    call_command("linkage_run", "--merge", "0.6", "--uncertain", "0.25", stdout=out)
    run = LinkageRun.objects.get()
    assert run.weights["thresholds"] == {**DEFAULTS, "merge": 0.6, "uncertain": 0.25}
    assert "Persons: 1" in out.getvalue()
    LinkageRun.objects.all().delete()
    call_command("linkage_run", stdout=StringIO())
    assert LinkageRun.objects.get().weights["thresholds"] == DEFAULTS


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--match", "0.9"], "give --merge instead"),  # no longer changes a run: refused
        (["--match", "0.5", "--merge", "0.5"], "--match no longer changes"),
        (["--merge", "0.1"], r"given: uncertain 0\.2, merge 0\.1"),
        (["--merge", "1"], r"uncertain ≤ merge < 1"),
        (["--uncertain", "0.6"], r"given: uncertain 0\.6, merge 0\.5"),
        (["--uncertain", "0.8", "--merge", "0.9"], r"uncertain ≤ 0\.7, the hint's threshold"),
        (["--uncertain", "0.0001"], r"0\.001 ≤ uncertain"),
    ],
)
def test_the_command_refuses_bad_thresholds_clearly_and_changes_nothing(
    make_case, caseworker, argv, said
):
    make_case(caseworker)
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=said):
        call_command("linkage_run", *argv, stdout=StringIO())
    assert not LinkageRun.objects.exists()
    assert AuditEvent.objects.count() == events


def test_the_command_help_says_what_each_threshold_does():
    text = " ".join(Command().create_parser("harbour", "linkage_run").format_help().split())
    assert "--merge MERGE Posterior at or above which two records are one person" in text
    assert "(default: 0.5)" in text and "(default: 0.2; at most --merge)" in text
    assert "Refused: the returning-survivor hint's threshold" in text


def _prior_for(a, b, weights: matching.Weights, frequencies, posterior: float) -> float:
    """The prior under which `weights` score the pair (a, b) at `posterior`."""
    p = matching.pair_probability(a, b, matching.compare(a, b), weights, frequencies)
    assert 1e-12 < p < 1 - 1e-12  # neither the same for sure nor clipped (±60 in log2 odds)
    logit = weights.logit + math.log2(posterior / (1 - posterior)) - math.log2(p / (1 - p))
    return 2**logit / (1 + 2**logit)


@pytest.mark.django_db
def test_the_hint_end_to_end_is_not_known_at_a_posterior_a_run_merges_at(
    make_case, make_user, other_org, caseworker
):
    """Through `hints.returning_hint` with a run's stored weights: the identity typed with a
    typo in the given name, scored 0.6 against the stored record, is not "known" (at 0.8 it
    is: the record is among the hint's candidates); the run's kernel merges the same pair at
    0.6. The prior is set by hand each time (a run learns its own from the records, which no
    test can steer) and the kernel is given it (it scores with its batch's frequencies, of
    both records, where the hint's run stored those of the stored record only)."""
    from harbour.linkage import hints
    from harbour.linkage.keys import hub_key
    from harbour.linkage.models import SurvivorEncoding

    make_case(caseworker)  # Élodie Tremblay, 1998-04-02 (conftest's SURVIVOR)
    asker = make_user("caseworker", other_org)
    typo = {"given_name": "Élodei", "family_name": "Tremblay", "birth_date": "1998-04-02"}
    key = hub_key()
    stored = Encoding.from_text(SurvivorEncoding.objects.get().encoding, key_id=key.key_id)
    probe = encode(key, {**typo, "birth_date": dt.date(1998, 4, 2)})
    answers = {}
    for posterior in (0.6, 0.8):
        run = run_linkage(by=SystemActor("test"))  # a new run each time: the latest is read
        learnt = matching.Weights(
            m=run.weights["m"], u=run.weights["u"], prior=run.weights["prior"]
        )
        prior = _prior_for(probe, stored, learnt, matching.Frequencies.of([stored]), posterior)
        LinkageRun.objects.filter(pk=run.pk).update(weights=run.weights | {"prior": prior})
        answers[posterior] = hints.returning_hint(by=asker, values=typo).answer
    assert answers == {0.6: hints.Answer.NONE, 0.8: hints.Answer.KNOWN}

    both = [stored, probe]
    prior = _prior_for(probe, stored, learnt, matching.Frequencies.of(both), 0.6)
    weights = matching.Weights(m=learnt.m, u=learnt.u, prior=prior)
    assert matching.link(both, weights=weights).persons == 1
