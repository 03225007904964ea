"""Helpers shared by the sharing actions."""

from typing import Any

from harbour.accounts.policy import Perm, can
from harbour.audit.actions import Actor, record_event
from harbour.core.errors import Forbidden
from harbour.standard.dictionary import current


def require(by: Any, perm: Perm) -> None:
    if not can(by, perm):
        raise Forbidden()


def audit(by: Actor, action: str, org_id: Any, target: Any, **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        org_id=org_id,
        target_type=target._meta.model_name,
        target_id=target.pk,
        context=context or None,
    )


def category_ids() -> set[str]:
    return {c.id for c in current().categories}
