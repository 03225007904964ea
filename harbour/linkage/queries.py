"""Reading linkage: who is one person (the statistics seam, ADR 27), the latest run, and which
organisations have left record linkage."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from harbour.core import tenancy
from harbour.linkage.core.encoding import SCHEME
from harbour.linkage.keys import hub_key
from harbour.linkage.models import LinkageRun, SurvivorEncoding, Withdrawal


class NotLinkedYet(Exception):
    """No linkage run with the current key and scheme: there are no persons to give.

    The statistics seam (`stats.queries.person_map`) catches it and falls back to referral
    links, with the doubled differential-privacy sensitivity that assumes records are not
    unduplicated (ADR 27)."""


def person_map(survivor_ids: Iterable[Any]) -> dict[Any, Any]:
    """Survivor record → person key, from the latest linkage run, joined with the records that
    referrals and transfers linked (those are one person for certain).

    Records the run has not seen (encoded since) are their own person until the next run
    (`harbour linkage run`, to be scheduled). Raises NotLinkedYet before any run.
    """
    if current_run() is None:
        raise NotLinkedYet("no record-linkage run with the current key")
    from harbour.sharing.models import SurvivorLink

    ids = list(survivor_ids)
    parent: dict[Any, Any] = {}

    def root(x: Any) -> Any:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    with tenancy.widened("persons from record linkage"):
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for survivor_id, person in (
                SurvivorEncoding.objects.filter(survivor_id__in=chunk, person__isnull=False)
                .values_list("survivor_id", "person")
                .iterator()
            ):
                parent[root(survivor_id)] = root(("person", person))
        for a, b in SurvivorLink.objects.values_list("survivor_a_id", "survivor_b_id").iterator():
            parent[root(a)] = root(b)
    return {i: root(i) for i in ids}


def current_run() -> LinkageRun | None:
    """The latest run made with the hub's current key and scheme, without its weights (which
    hold the run's term frequencies, up to megabytes: the hint reads them through
    `lookup.scoring`; loaded only if asked for)."""
    runs = LinkageRun.objects.filter(scheme=SCHEME, key_id=hub_key().key_id)
    return runs.defer("weights").first()


def current_run_id() -> Any:
    """The id of `current_run`, without its weights (which hold the run's term frequencies:
    the hint reads them once per run, `lookup.scoring`)."""
    return (
        LinkageRun.objects.filter(scheme=SCHEME, key_id=hub_key().key_id)
        .values_list("pk", flat=True)
        .first()
    )


def organisations_left() -> QuerySet[Withdrawal]:
    """The open withdrawals: one per organisation out of record linkage now (ADR 41)."""
    return Withdrawal.objects.filter(rejoined_at__isnull=True)


def has_left(org_id: Any) -> bool:
    """Whether the organisation has left record linkage (and not rejoined): nothing of it is
    encoded, and its staff get no hint. Read in the organisation's own scope."""
    return organisations_left().filter(org_id=org_id).exists()
