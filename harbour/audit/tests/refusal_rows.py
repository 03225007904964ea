"""Rows of refusal counts of a given age, and the prune command's output, for the tests of the
refusal counts' retention (ADR 8)."""

import datetime as dt
import io
import uuid

from django.core.management import call_command
from django.utils import timezone

from harbour.audit.models import RefusalTally


def tally(days_ago: int, org_id: uuid.UUID | None = None, count: int = 1) -> RefusalTally:
    """One person's count of a day `days_ago` days ago (`org_id`: the person's organisation)."""
    return RefusalTally.objects.create(
        actor_id=uuid.uuid4(),
        actor_org_id=org_id or uuid.uuid4(),
        owner_org_id=uuid.uuid4(),
        day=timezone.localdate() - dt.timedelta(days=days_ago),
        count=count,
        last_target_type="case",
        last_target_id=str(uuid.uuid4()),
    )


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_prune_refusals", *args, stdout=out)
    return out.getvalue()
