"""Every write to accounts: invitations and staff management, a person's own credentials, API
tokens, and sign-in throttling. Grouped by subject in this package; import them from here."""

from harbour.accounts.actions.credentials import (
    change_own_password,
    issue_token,
    revoke_token,
    set_language,
)
from harbour.accounts.actions.signin import record_sign_in
from harbour.accounts.actions.staff import (
    accept_invitation,
    create_user,
    invite,
    live_link,
    request_password_reset,
    require_password_reset,
    revoke_invitation,
    set_active,
    update_user,
    use_reset_link,
)
from harbour.accounts.actions.throttle import (
    DEVICE_COOKIE,
    Attempt,
    attempt_for,
    device_cookie,
    is_locked,
    register_failure,
    register_sign_in_failure,
    register_sign_in_success,
    wait_seconds,
)

__all__ = [
    "DEVICE_COOKIE",
    "Attempt",
    "accept_invitation",
    "attempt_for",
    "change_own_password",
    "create_user",
    "device_cookie",
    "invite",
    "is_locked",
    "issue_token",
    "live_link",
    "record_sign_in",
    "register_failure",
    "register_sign_in_failure",
    "register_sign_in_success",
    "request_password_reset",
    "require_password_reset",
    "revoke_invitation",
    "revoke_token",
    "set_active",
    "set_language",
    "update_user",
    "use_reset_link",
    "wait_seconds",
]
