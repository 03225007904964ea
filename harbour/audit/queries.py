"""Reading the audit trail."""

import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from harbour.audit.chain import Problem, verify_chain
from harbour.audit.models import AuditEvent, ChainHead


def events_for_org(org_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """What happened to the organisation's records, and what its own people did elsewhere."""
    return AuditEvent.objects.filter(Q(org_id=org_id) | Q(actor_org_id=org_id)).order_by(
        "-occurred_at", "-id"
    )


def events_for_target(target_type: str, target_id: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by(
        "occurred_at", "id"
    )


def verify(batch_size: int = 5000) -> tuple[int, list[Problem]]:
    """Verify every chain; returns how many events were checked and the problems found."""
    heads = {h.chain: (h.seq, h.hash) for h in ChainHead.objects.all()}
    chains = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    checked, problems = 0, []
    for chain in sorted(chains):
        events = list(_events_in_chain(chain, batch_size))
        checked += len(events)
        problems += verify_chain(chain, events, heads.get(chain, (0, "missing head")))
    return checked, problems


def _events_in_chain(chain: str, batch_size: int) -> Iterator[dict[str, Any]]:
    # Ordered by insertion id, not seq: swapping two events' contents must show as a break.
    qs = AuditEvent.objects.filter(chain=chain).order_by("id")
    for event in qs.iterator(chunk_size=batch_size):
        yield event.hashed_content() | {"hash": event.hash}
