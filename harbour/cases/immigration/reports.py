"""What the immigration timelines add up to: an organisation's TRP report (the evidence an NGO
brings to the immigration department and to funders) and, for the statistics releases, the same
counts by province with small cells suppressed. Pure functions over timelines (one list of steps
per survivor record); the database reads are in cases/queries.py.

Counts are of survivors, not of steps, except where a step is the unit (permits issued, renewals,
refusals by reason). National counts are per record: a survivor served in two provinces counts in
both until the statistics releases unduplicate them through linkage.
"""

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harbour.cases.immigration import steps as im
from harbour.stats.core.suppression import DEFAULT_THRESHOLD, suppress


@dataclass
class TrpReport:
    survivors: int = 0  # with at least one step
    pending: int = 0  # waiting for a TRP decision today
    issued: int = 0  # TRPs issued (initial and longer)
    renewed: int = 0
    refused: int = 0
    refused_by_reason: Counter[str] = field(default_factory=Counter)
    lapsed: int = 0  # survivors whose TRP has expired today
    family_members_covered: int = 0
    waits: list[int] = field(default_factory=list)  # days from TRP application to decision
    pr_applied: int = 0  # survivors who applied for permanent residence
    pr_granted: int = 0

    @property
    def median_wait(self) -> float | None:
        return statistics.median(self.waits) if self.waits else None

    @property
    def longest_wait(self) -> int | None:
        return max(self.waits) if self.waits else None

    def as_dict(self) -> dict[str, Any]:
        """Plain values (for the API and the command line)."""
        out = {k: v for k, v in vars(self).items() if k != "waits"}
        return out | {
            "refused_by_reason": dict(self.refused_by_reason),
            "median_wait_days": self.median_wait,
            "longest_wait_days": self.longest_wait,
            "decided_applications": len(self.waits),
        }


def organisation_report(timelines: Iterable[Sequence[im.Step]], today: dt.date) -> TrpReport:
    report = TrpReport()
    for steps in timelines:
        if steps:
            _add(report, steps, today)
    return report


def _add(report: TrpReport, steps: Sequence[im.Step], today: dt.date) -> None:
    kinds = Counter(s.step for s in steps)
    found = im.standing(steps, today)
    report.survivors += 1
    report.pending += found.trp_stage == "application_pending"
    report.issued += kinds["trp_issued_initial"] + kinds["trp_issued_subsequent"]
    report.renewed += kinds["trp_renewed"]
    report.refused += kinds["trp_refused"]
    report.refused_by_reason.update(
        s.refusal_reason or "unknown" for s in steps if s.step == "trp_refused"
    )
    report.lapsed += found.trp_stage == "expired"
    report.family_members_covered += max((s.family_members or 0 for s in steps), default=0)
    report.waits += _trp_waits(steps)
    report.pr_applied += kinds["pr_applied"] > 0
    report.pr_granted += kinds["pr_granted"] > 0


def _trp_waits(steps: Sequence[im.Step]) -> list[int]:
    return im.waiting_days([s for s in steps if s.step not in {"pr_applied", "pr_granted",
                                                                "pr_refused"}])  # fmt: skip


# What the national release counts, by province: survivors in each situation.
NATIONAL_MEASURES = (
    "survivors", "pending", "issued", "renewed", "refused", "refused_forced_criminality",
    "lapsed", "pr_applied", "pr_granted",
)  # fmt: skip


def national_counts_by_province(
    timelines: Iterable[tuple[str, Sequence[im.Step]]],
    today: dt.date,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, dict[str, int | None]]:
    """measure → province → count of survivors, each measure's table small-cell suppressed
    (None = withheld). `timelines` holds (province code, steps) per survivor record: pass
    `cases.queries.immigration_timelines().values()` (every organisation, columns only).
    A national total must go through `stats.core.suppression.safe_total` too."""
    tables: dict[str, Counter[str]] = {m: Counter() for m in NATIONAL_MEASURES}
    provinces: set[str] = set()
    for province, steps in timelines:
        if not steps:
            continue
        provinces.add(province)
        for measure in measures_of(steps, today):
            tables[measure][province] += 1
    return {m: suppress({p: tables[m][p] for p in sorted(provinces)}, threshold) for m in tables}


def measures_of(steps: Sequence[im.Step], today: dt.date) -> set[str]:
    """The NATIONAL_MEASURES one survivor's timeline counts in (statistics releases use it
    as a variable of their own, under their disclosure control)."""
    kinds = {s.step for s in steps}
    stage = im.standing(steps, today).trp_stage
    found = {"survivors"}
    found |= {"pending"} if stage == "application_pending" else set()
    found |= {"lapsed"} if stage == "expired" else set()
    found |= {"issued"} if kinds & {"trp_issued_initial", "trp_issued_subsequent"} else set()
    found |= {m for m, k in _BY_KIND.items() if k in kinds}
    if any(s.refusal_reason == "criminality_forced_by_trafficker" for s in steps):
        found.add("refused_forced_criminality")
    return found


_BY_KIND: Mapping[str, str] = {
    "renewed": "trp_renewed",
    "refused": "trp_refused",
    "pr_applied": "pr_applied",
    "pr_granted": "pr_granted",
}
