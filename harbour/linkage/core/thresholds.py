"""The posteriors at which a record pair is a match for the hint, merged by a batch run,
uncertain, or clearly two people (ADR 41)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    # Posterior at or above: "may have been served before" for the hint, whose error costs
    # more one way (a caseworker asks a survivor about someone else's past).
    match: float = 0.7
    uncertain: float = 0.2  # below `merge`, at or above this: never merged, counted as uncertainty
    # A batch run joins two records at or above this: more likely one person than two (the
    # Bayes decision when a false merge and a missed one cost the same, as for the persons a
    # statistic counts). At 0.7, true pairs scored 0.5-0.7 were left apart: 85 % of them were
    # one person at 100,000 records, and the count published was 2.4 % over at 1,000,000
    # (ADR 41, amended 2026-12-06, sixth session). Never below `uncertain` (refused): the
    # pairs a run leaves apart but counts as uncertainty are those in [uncertain, merge).
    # Not tied to `match`: the two answer different questions at different costs.
    merge: float = 0.5
    # Below: clearly two people. Two clusters holding such a pair are never merged, however
    # strong the match that would join them (`cluster`): single linkage otherwise chains
    # different people through a third record with a common name and date.
    conflict: float = 0.001

    def __post_init__(self) -> None:
        # A merge below `uncertain` used to be raised to it silently (`merging`): a run then
        # merged at another posterior than the one asked for and recorded (ADR 41, amended
        # 2026-12-06, sixth session, after review). Refused instead, naming the threshold at fault.
        if not 0 < self.conflict <= self.uncertain <= self.match < 1:
            raise ValueError("thresholds must satisfy 0 < conflict <= uncertain <= match < 1")
        if not self.uncertain <= self.merge < 1:
            raise ValueError(
                f"merge ({self.merge}) must satisfy uncertain ({self.uncertain}) <= merge < 1"
            )

    @property
    def merging(self) -> float:
        """The posterior at or above which a batch run merges: `merge` (never below
        `uncertain`, refused at construction)."""
        return self.merge
