"""Reading linkage: who is one person (the statistics seam, ADR 27) and the latest run."""

from collections.abc import Iterable
from typing import Any

from harbour.core import tenancy
from harbour.linkage.models import LinkageRun, SurvivorEncoding


def person_map(survivor_ids: Iterable[Any]) -> dict[Any, Any]:
    """Survivor record → person key, from the latest linkage run.

    Records the run has not seen (not yet encoded, or encoded since) are their own person: a
    count may still hold them twice until the next run (`harbour linkage_run`).
    """
    ids = list(survivor_ids)
    found: dict[Any, Any] = {}
    with tenancy.widened("persons from record linkage"):
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            found.update(
                SurvivorEncoding.objects.filter(survivor_id__in=chunk, person__isnull=False)
                .values_list("survivor_id", "person")
                .iterator()
            )
    return {i: found.get(i, i) for i in ids}


def latest_run() -> LinkageRun | None:
    return LinkageRun.objects.order_by("-created_at").first()
