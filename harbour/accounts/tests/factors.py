"""Test helpers: give an account an authenticator app, and sign in the way a person does."""

import pyotp
from django.test import Client

from harbour.accounts import actions
from harbour.accounts.models import TotpDevice, User
from harbour.testenv import PASSWORD


def enrol_totp(user: User) -> tuple[str, list[str]]:
    """An authenticator app enrolled and confirmed for `user`: (secret, recovery codes)."""
    device, secret = actions.start_totp(by=user, name="Phone")
    codes = actions.confirm_totp(by=user, device_id=device.pk, code=pyotp.TOTP(secret).now())
    # The confirming code is now used; let the test's sign-in use the current one again.
    TotpDevice.objects.filter(pk=device.pk).update(last_step=0)
    return secret, codes


def sign_in(
    client: Client, user: User, secret: str | None = None, password: str = PASSWORD
) -> None:
    """Both steps through the forms: the password, then (if given) a code from the app."""
    response = client.post("/accounts/sign-in/", {"email": user.email, "password": password})
    assert response.status_code == 302, response
    if secret is not None:
        code = pyotp.TOTP(secret).now()
        passed = client.post("/accounts/second-factor/", {"code": code})
        assert passed.status_code == 302 and "second-factor" not in passed["Location"]
