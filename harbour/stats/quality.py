"""Data quality and information-sharing gaps, for national analysts (contributors are named here
and nowhere public): how complete and timely each organisation's countable cases are, which core
fields stay empty, referrals that never closed their loop, agreements that carry no referrals,
and provinces where people come in but no referral leaves.

Counts here are about organisations' records and referrals, never about a survivor's attributes;
they are shown to analysts only (Perm.STATS_NATIONAL), never on public pages or in releases.
"""

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from harbour.core import tenancy
from harbour.orgs.models import Organisation
from harbour.sharing.models import Agreement, Party, Referral
from harbour.stats import queries

OPEN_LOOP_DAYS = 30
REASON = "data quality and sharing gaps (analysts)"


@dataclass(frozen=True)
class Contributor:
    name: str
    cases: int
    completeness: int  # mean % of the case fields filled in (sealed ones aside)
    emptiest: str  # the core field most often left empty
    median_days_to_record: int | None  # from intake to the record being entered
    open_loops: int  # referrals sent more than OPEN_LOOP_DAYS ago, never completed or closed


def _contributors(today: dt.date | None = None) -> list[Contributor]:
    cases = queries.statistics_cases(today)
    loops = _open_loops()
    rows = []
    org_ids = cases.values_list("org_id", flat=True).distinct()
    for org in Organisation.objects.filter(pk__in=list(org_ids)).order_by("name_en"):
        own = cases.filter(org=org)
        filled = queries.completeness(own, core_only=False)
        least = min(filled, key=lambda fp: fp[1]) if filled else ("", 100)
        rows.append(
            Contributor(
                name=org.name,
                cases=own.count(),
                completeness=round(statistics.mean(p for _f, p in filled)) if filled else 0,
                emptiest=least[0] if least[1] < 100 else "",
                median_days_to_record=_median_delay(own),
                open_loops=loops.get(org.pk, 0),
            )
        )
    return rows


def _median_delay(cases: Any) -> int | None:
    delays = [
        (created.date() - intake).days
        for intake, created in cases.values_list("intake_date", "created_at").iterator()
    ]
    return round(statistics.median(delays)) if delays else None


def _open_loops() -> dict[Any, int]:
    cutoff = timezone.now() - dt.timedelta(days=OPEN_LOOP_DAYS)
    rows = (
        Referral.objects.filter(status__in=["sent", "accepted"], created_at__lt=cutoff)
        .values("org_id")
        .annotate(n=Count("id"))
    )
    return {r["org_id"]: r["n"] for r in rows}


def _emptiest_fields(today: dt.date | None = None) -> list[tuple[str, int]]:
    """Core fields by how often they are filled in, least first, over all countable cases."""
    filled = queries.completeness(queries.statistics_cases(today), core_only=False)
    return sorted(filled, key=lambda fp: fp[1])


def _idle_agreements(today: dt.date | None = None) -> list[str]:
    """Live bilateral agreements under which no referral has gone between the parties."""
    today = today or timezone.localdate()
    live = Agreement.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        is_national_protocol=False,
        terminated_at__isnull=True,
    )
    idle = []
    for agreement in live:
        parties = list(
            Party.objects.filter(agreement=agreement, accepted_at__isnull=False).values_list(
                "org_id", flat=True
            )
        )
        used = Referral.objects.filter(org_id__in=parties, receiving_org_id__in=parties).exists()
        if len(parties) >= 2 and not used:
            idle.append(agreement.title)
    return idle


def _silent_provinces(today: dt.date | None = None) -> list[str]:
    """Provinces or territories with countable intakes but no referral sent from an organisation
    based there."""
    intake = set(
        queries.statistics_cases(today).values_list("intake_province", flat=True).distinct()
    )
    referring = set(
        Organisation.objects.filter(
            pk__in=Referral.objects.values_list("org_id", flat=True)
        ).values_list("province", flat=True)
    )
    return sorted(intake - referring)


def _completeness_trend(today: dt.date | None = None) -> list[tuple[str, int]]:
    """Mean completeness of core fields by year of intake: is data quality improving?"""
    cases = queries.statistics_cases(today)
    years = sorted({d.year for d in cases.values_list("intake_date", flat=True)})
    trend = []
    for year in years[-6:]:
        filled = queries.completeness(cases.filter(intake_date__year=year), core_only=False)
        trend.append((str(year), round(statistics.mean(p for _f, p in filled)) if filled else 0))
    return trend


# Every organisation's records, on purpose (row-level security, ADR 40): analysts only.
def contributors(today: dt.date | None = None) -> list[Contributor]:
    with tenancy.widened(REASON):
        return _contributors(today)


def emptiest_fields(today: dt.date | None = None) -> list[tuple[str, int]]:
    with tenancy.widened(REASON):
        return _emptiest_fields(today)


def idle_agreements(today: dt.date | None = None) -> list[str]:
    with tenancy.widened(REASON):
        return _idle_agreements(today)


def silent_provinces(today: dt.date | None = None) -> list[str]:
    with tenancy.widened(REASON):
        return _silent_provinces(today)


def completeness_trend(today: dt.date | None = None) -> list[tuple[str, int]]:
    with tenancy.widened(REASON):
        return _completeness_trend(today)
