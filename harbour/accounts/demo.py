"""Second factors of the demo accounts (ADR 39).

Every demo account whose role needs a second factor has an authenticator enrolled, with a
secret derived from the demo password and the e-mail address: `harbour demo` prints it beside
the logins (add it to any authenticator app), and `harbour accounts demo-code EMAIL` prints
the current code for a newcomer without one. Caseworkers of the demo organisations have none:
for them it is optional, as in a real organisation that has not required it. Nothing is
exempted: the demo signs in exactly as a deployment does.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable

from harbour.accounts import actions
from harbour.accounts.models import User
from harbour.accounts.policy import second_factor_required
from harbour.audit.actions import SystemActor

DEVICE_NAME = "Demo authenticator"


def demo_totp_secret(password: str, email: str) -> str:
    """The demo account's TOTP secret (base32), reproducible from the demo password."""
    key = f"harbour-demo-totp:{email.strip().lower()}".encode()
    digest = hmac.new(password.encode(), key, hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode()


def enrol_demo_staff(*, by: SystemActor, password: str, report: Callable[[str], None]) -> int:
    """Enrol the demo accounts that need a second factor; returns how many."""
    users = User.objects.filter(org__is_synthetic=True, is_active=True).select_related("org")
    count = 0
    for user in users:
        if second_factor_required(user) and not actions.has_second_factor(user):
            secret = demo_totp_secret(password, user.email)
            actions.enrol_known_totp(by=by, user=user, secret=secret, name=DEVICE_NAME)
            count += 1
    report(f"Enrolled an authenticator for {count} demo accounts (keys: `harbour demo`).")
    return count
