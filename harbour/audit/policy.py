"""Which checkpoints an organisation sees: those of its own chain. Callers have checked that the
user may read the organisation's trail (Perm.AUDIT_VIEW_ORG); missing and foreign both 404."""

import uuid
from typing import Any

from django.db.models import QuerySet

from harbour.audit.models import Checkpoint
from harbour.core.errors import NotFound


def checkpoints_for(org_id: uuid.UUID) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(scope=str(org_id)).order_by("-issued_at", "-id")


def checkpoint_for(org_id: uuid.UUID, checkpoint_id: Any) -> Checkpoint:
    try:
        found = checkpoints_for(org_id).filter(pk=int(checkpoint_id)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound()
    return found
