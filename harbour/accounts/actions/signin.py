"""The audit trail of signing in."""

from django.db import transaction

from harbour.accounts.models import User
from harbour.audit.actions import record_event


@transaction.atomic
def record_sign_in(*, user: User, succeeded: bool) -> None:
    action = "user.signed_in" if succeeded else "user.sign_in_failed"
    record_event(by=user, action=action, org_id=user.org_id, target_type="user", target_id=user.pk)
