"""Multi-model reads for statistics: which cases may be counted, and one row per person.

THE RULE (ADR 27), enforced here and nowhere else: a case counts in de-identified national
statistics when, at the moment of counting,
  - its organisation is an active party to a live agreement (the national protocol or another)
    whose purposes include "statistics", or
  - its survivor has a live consent for national statistics (recipient "national_statistics",
    purpose "statistics"),
and its survivor has not been erased. Research microdata need more: a live research consent
(recipient "research", purpose "research") of that survivor.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from harbour.cases.models import Case
from harbour.linkage import queries as linkage
from harbour.sharing.models import Agreement, Consent, Party, Referral, SurvivorLink
from harbour.stats.models import PrivacyBudget

CASE_COLUMNS = (
    "id",
    "survivor_id",
    "org_id",
    "intake_date",
    "intake_province",
    "intake_method",
    "trafficking_status",
    "exploitation_types",
    "forced_labour_industries",
    "recruitment_methods",
    "control_methods",
    "relationship_to_trafficker",
    "survivor__gender_identity",
    "survivor__estimated_age",
    "survivor__citizenship",
    "recruitment_platforms",
    "current_needs",
)


def _with_purpose[T](rows: Iterable[T], purpose: str) -> list[T]:
    return [r for r in rows if purpose in (getattr(r, "purposes", None) or [])]


def statistics_orgs(today: dt.date) -> set[Any]:
    """Organisations bound by a live agreement whose purposes include statistics."""
    agreements = _agreements_for("statistics", today)
    parties = Party.objects.filter(
        agreement__in=agreements, accepted_at__isnull=False, left_at__isnull=True
    )
    return set(parties.values_list("org_id", flat=True))


def _agreements_for(purpose: str, today: dt.date) -> list[Any]:
    live = Agreement.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        terminated_at__isnull=True,
        valid_from__lte=today,
    )
    # JSON containment differs between SQLite and PostgreSQL: filter the few agreements here.
    return [a.pk for a in _with_purpose(live, purpose)]


def _consenting_survivors(kind: str, purpose: str, today: dt.date) -> set[Any]:
    live = Consent.objects.filter(
        recipient_kind=kind,
        withdrawn_at__isnull=True,
        starts_on__lte=today,
        expires_on__gt=today,
    ).only("survivor_id", "purposes")
    return {c.survivor_id for c in _with_purpose(live.iterator(), purpose)}


def statistics_cases(today: dt.date | None = None) -> QuerySet[Case]:
    """The cases that may be counted in national statistics (THE RULE, above)."""
    today = today or timezone.localdate()
    consented = _consenting_survivors("national_statistics", "statistics", today)
    return Case.objects.filter(
        Q(org_id__in=statistics_orgs(today)) | Q(survivor_id__in=consented),
        survivor__erased_at__isnull=True,
    )


def research_cases(today: dt.date | None = None) -> QuerySet[Case]:
    """The cases whose survivors agreed to research: the only ones in research microdata."""
    today = today or timezone.localdate()
    consented = _consenting_survivors("research", "research", today)
    return Case.objects.filter(survivor_id__in=consented, survivor__erased_at__isnull=True)


def in_period(cases: QuerySet[Case], first: int | None, last: int | None) -> QuerySet[Case]:
    if first:
        cases = cases.filter(intake_date__year__gte=first)
    if last:
        cases = cases.filter(intake_date__year__lte=last)
    return cases


# --- persons, not records ---------------------------------------------------------------------


def person_map(survivor_ids: Iterable[Any]) -> tuple[dict[Any, Any], bool]:
    """Survivor record → person key, and whether the key is an unduplicated person.

    The seam for record linkage: once linkage has run with the current key,
    `harbour.linkage.queries.person_map` gives the persons (and each person counts once).
    Until then (it raises NotLinkedYet), the records that referrals and transfers linked
    (SurvivorLink) are joined, and records of one person at organisations that never linked
    them may still count separately: the second value is then False and the noise of
    differential privacy grows to cover it (see `records_per_person`).
    """
    ids = list(survivor_ids)
    try:
        clusters = linkage.person_map(ids)
    except linkage.NotLinkedYet:
        return _linked_by_referrals(ids), False
    return dict(clusters), True


def _linked_by_referrals(ids: list[Any]) -> dict[Any, Any]:
    parent = {i: i for i in ids}

    def root(x: Any) -> Any:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in SurvivorLink.objects.values_list("survivor_a_id", "survivor_b_id").iterator():
        parent[root(a)] = root(b)
    return {i: root(i) for i in ids}


def records_per_person(linked: bool) -> int:
    """How many unlinked records of one person a table may hold (ADR 27): 1 once linkage
    unduplicates people, 2 before (a survivor served by two organisations that never referred)."""
    return 1 if linked else 2


class LinkageMoved(Exception):
    """A record-linkage run finished while a table was being counted: the persons may come from
    either run, so the count cannot say which. Counting again is safe."""


RECORD_LINKAGE = "record_linkage"
REFERRAL_LINKS = "referral_links"


def counted_persons(cases: QuerySet[Case]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`person_rows`, and how its persons were unduplicated: what a release records (ADR 27).

    The run is read before and after counting; a run finishing in between (a run stores its
    persons and itself in one transaction) raises LinkageMoved rather than record a run that
    did not give these persons.
    """
    before = linkage.current_run()
    people, linked = person_rows(cases)
    after = linkage.current_run()
    if _run_id(before) != _run_id(after) or linked != (after is not None):
        raise LinkageMoved()
    return people, persons_method(after)


def _run_id(run: Any) -> str | None:
    return None if run is None else str(run.pk)


def persons_method(run: Any) -> dict[str, Any]:
    """The record of how persons were found: the linkage run with its figures (all the records
    it matched, not only those counted), or the fallback to referral links."""
    if run is None:
        return {"by": REFERRAL_LINKS, "records_per_person": records_per_person(False)}
    return {
        "by": RECORD_LINKAGE,
        "records_per_person": records_per_person(True),
        "run": str(run.pk),
        "run_at": run.created_at.isoformat(),
        "records": run.records,
        "persons": run.persons,
        "persons_expected": run.persons_expected,  # None for runs made before it was estimated
        "persons_if_uncertain_merged": run.persons_if_uncertain_merged,
        "uncertain_pairs": run.uncertain_pairs,
        "weak_records": run.weak_records,
        "stale_records": run.stale_records,
        # What the run merged at (ADR 41, sixth session); None for a run made before it was kept
        # or one without weights (too few records to learn them: its audit event has them).
        "thresholds": (run.weights or {}).get("thresholds"),
    }


def persons_now() -> dict[str, Any]:
    """How persons would be found if a table were counted now (the analysts' previews): the
    current run, or the fallback. Publishing reads the run again (`counted_persons`)."""
    return persons_method(linkage.current_run())


def _attach_services_and_referrals(rows: list[dict[str, Any]]) -> None:
    """Per case: the needs its services addressed, and what became of its referrals."""
    from harbour.cases.models import ServiceProvided

    ids = [r["id"] for r in rows]
    served: dict[Any, set[str]] = {}
    outcomes: dict[Any, set[str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for case_id, need in ServiceProvided.objects.filter(case_id__in=chunk).values_list(
            "case_id", "need_addressed"
        ):
            if need:
                served.setdefault(case_id, set()).add(need)
        for case_id, status, outcome in Referral.objects.filter(case_id__in=chunk).values_list(
            "case_id", "status", "outcome"
        ):
            outcomes.setdefault(case_id, set()).add(outcome or status)
    for row in rows:
        row["served_needs"] = sorted(served.get(row["id"], ()))
        row["referral_outcomes"] = sorted(outcomes.get(row["id"], ()))


def _attach_immigration(rows: list[dict[str, Any]]) -> None:
    """Per person: the immigration status and TRP stage their timeline gives today (computed
    from the steps, issue 14; a permit lapses by itself), and the path measures it counts in."""
    from harbour.cases.immigration import reports
    from harbour.cases.immigration import steps as immigration
    from harbour.cases.queries import immigration_timelines

    today = timezone.localdate()
    # A survivor record and its steps belong to one organisation: an organisation's own
    # dashboard reads its own timelines only, not the country's.
    orgs = {r["org_id"] for r in rows}
    timelines = immigration_timelines(org_id=orgs.pop() if len(orgs) == 1 else None)
    for row in rows:
        steps = timelines.get(row["survivor_id"], ("", []))[1]
        found = immigration.standing(steps, today)
        row["immigration_status"] = found.status
        row["trp_stage"] = found.trp_stage
        row["immigration_path"] = sorted(reports.measures_of(steps, today) - {"survivors"})


def person_rows(cases: QuerySet[Case]) -> tuple[list[dict[str, Any]], bool]:
    """One row per person: the columns of their latest case in `cases`."""
    rows = list(cases.order_by().values(*CASE_COLUMNS).iterator(chunk_size=5000))
    persons, linked = person_map({r["survivor_id"] for r in rows})
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = persons.get(row["survivor_id"], row["survivor_id"])
        kept = latest.get(key)
        if kept is None or (row["intake_date"], str(row["id"])) > (
            kept["intake_date"],
            str(kept["id"]),
        ):
            latest[key] = row
    people = list(latest.values())
    _attach_services_and_referrals(people)
    _attach_immigration(people)
    return people, linked


def completeness(cases: QuerySet[Case], *, core_only: bool = True) -> list[tuple[str, int]]:
    """Share (%) of cases with each case field filled in (core fields, or every field that is
    not sealed): the data-quality view. One read, counted here (portable JSON handling)."""
    from harbour.standard.dictionary import current

    fields = [
        f for f in current().entity("case").fields if not f.is_sealed and (f.core or not core_only)
    ]
    columns = [f"{f.id}_id" if f.type in {"staff", "organisation"} else f.id for f in fields]
    filled = [0] * len(columns)
    total = 0
    for row in cases.order_by().values_list(*columns).iterator(chunk_size=5000):
        total += 1
        for i, value in enumerate(row):
            filled[i] += value not in (None, "", [], {})
    return [
        (str(f.label), round(100 * n / (total or 1))) for f, n in zip(fields, filled, strict=True)
    ]


# --- privacy budgets --------------------------------------------------------------------------


def budget(dataset: str) -> dict[str, Any] | None:
    """A privacy budget and its ledger: the national one (releases) or the research one
    (synthetic extracts, ADR 29); None when none is set. One read for the analysts' page and the
    API, so both show the same figures."""
    found = PrivacyBudget.objects.filter(dataset=dataset).first()
    if found is None:
        return None
    spends = found.spends.select_related("release", "extract__requested_by", "spent_by")
    ledger = list(spends.defer("extract__synthetic_csv"))  # the stored rows: not for a list
    spent = sum((s.epsilon for s in ledger), start=found.epsilon_total * 0)
    return {
        "dataset": dataset,
        "total": found.epsilon_total,
        "spent": spent,
        "left": found.epsilon_total - spent,
        "ledger": ledger,
    }
