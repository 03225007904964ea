"""Writing audit events. Only actions call this, inside their own transaction (invariant 2)."""

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from harbour.audit.chain import GENESIS, event_hash
from harbour.audit.models import AuditEvent, ChainHead, Outcome

SYSTEM_CHAIN = "system"

# Context values are ids and codes only: no spaces, so free text (a name, a note) cannot ride along.
_CODE = re.compile(r"^[\w.:@/-]{0,80}$")


class Actor(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def org_id(self) -> Any: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """A command or job acting without a person (the demo loader, a scheduled expiry)."""

    name: str
    pk: None = None
    org_id: None = None

    @property
    def role(self) -> str:
        return f"system:{self.name}"


class NotInTransaction(RuntimeError):
    pass


def record_event(
    *,
    by: Actor,
    action: str,
    org_id: uuid.UUID | None = None,
    target_type: str = "",
    target_id: Any = "",
    fields: Iterable[str] = (),
    outcome: str = Outcome.OK,
    context: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain of the organisation that owns the target.

    Must run inside the caller's transaction: if the caller rolls back, so does the event, and if
    the event cannot be written, the caller's change is rolled back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"audit event {action!r} written outside a transaction")
    ctx = _clean_context(context or {})
    chain = str(org_id or by.org_id or SYSTEM_CHAIN)
    head = _locked_head(chain)
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor_id=by.pk,
        actor_org_id=by.org_id,
        actor_role=str(by.role),
        action=action,
        outcome=str(outcome),
        target_type=target_type,
        target_id=str(target_id or ""),
        org_id=org_id,
        fields=sorted(set(fields)),
        context=ctx,
        prev_hash=head.hash,
    )
    event.hash = event_hash(event.hashed_content())
    event.save(force_insert=True)
    ChainHead.objects.filter(chain=chain).update(seq=event.seq, hash=event.hash)
    return event


def _locked_head(chain: str) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            ChainHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # another writer created it first; lock theirs
    return ChainHead.objects.select_for_update().get(chain=chain)


def _clean_context(context: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in context.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, bool | int) or item is None:
                continue
            if not _CODE.match(str(item)):
                raise ValueError(f"audit context {key!r} must hold ids or codes, not free text")
        clean[key] = (
            [_plain(v) for v in value] if isinstance(value, list | tuple) else _plain(value)
        )
    return clean


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int) or value is None else str(value)
