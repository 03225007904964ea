"""Passkeys and security keys (WebAuthn), checked on the server with py_webauthn (ADR 38).

The relying party is Harbour's own site (`HARBOUR_SITE_URL`): its host name is the RP id and
its origin the only origin accepted, so a passkey made for another site (or a phishing copy of
this one) never signs in here. The challenge of each ceremony is kept in the session by the
view and used once. A credential belongs to exactly one account: registering one that another
account holds, or signing in with another account's, is refused and audited.
"""

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from harbour.accounts import notify
from harbour.accounts.actions.common import staff_event
from harbour.accounts.actions.second_factor import (
    check_not_throttled,
    checked_name,
    has_recovery_codes,
    has_second_factor,
    new_recovery_codes,
    record_failure,
)
from harbour.accounts.actions.throttle import register_sign_in_success, second_factor_attempt
from harbour.accounts.models import Passkey, User
from harbour.core.errors import InvalidInput

MSG_NOT_ACCEPTED = _("The passkey was not accepted. Try again, or use a code instead.")
MSG_TAKEN = _("This passkey is already registered to an account. Use another one.")
MSG_NOT_YOURS = _("This passkey is not registered to this account.")
MSG_CLONED = _("This passkey's counter went backwards: it may have been copied. It was refused.")
MAX_CREDENTIAL_BYTES = 64_000


def relying_party() -> tuple[str, str]:
    """(RP id, origin) from the site's own address."""
    url = urlsplit(settings.HARBOUR_SITE_URL)
    return url.hostname or "localhost", f"{url.scheme}://{url.netloc}"


def passkeys_available() -> bool:
    """WebAuthn needs a domain name as relying party: a site reached by an IP address (the
    default http://127.0.0.1:8000) cannot use passkeys; authenticator apps work anywhere."""
    host = urlsplit(settings.HARBOUR_SITE_URL).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host)
    return False


def registration_options(user: User) -> tuple[str, bytes]:
    """The options for the browser's `navigator.credentials.create`, and the challenge."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Harbour",
        user_id=user.pk.bytes,
        user_name=user.email,
        user_display_name=user.full_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), options.challenge


def authentication_options(user: User) -> tuple[str, bytes]:
    """The options for `navigator.credentials.get`, limited to this account's passkeys."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
        for p in Passkey.objects.filter(user=user)
    ]


@transaction.atomic
def register_passkey(
    *, by: User, name: str, credential: str, challenge: bytes
) -> tuple[Passkey, list[str]]:
    """Keep a new passkey for `by` once the browser's answer to `challenge` verifies. Returns
    it with the first recovery codes when it is the account's first factor (shown once)."""
    name = checked_name(name)
    rp_id, origin = relying_party()
    try:
        _check_size(credential)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput({"credential": [MSG_NOT_ACCEPTED]}) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise InvalidInput({"credential": [MSG_TAKEN]})
    first = not has_second_factor(by)
    passkey = Passkey.objects.create(
        user=by,
        name=name,
        credential_id=credential_id,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=_transports(credential),
    )
    codes = new_recovery_codes(by) if first or not has_recovery_codes(by) else []
    staff_event(by, "second_factor.enrolled", by, kind="passkey")
    notify.factor_changed(by, "added", passkey.name)
    return passkey, codes


def _check_size(credential: str) -> None:
    if not isinstance(credential, str) or len(credential) > MAX_CREDENTIAL_BYTES:
        raise ValueError("credential too large")


def _transports(credential: str) -> list[str]:
    try:
        found = json.loads(credential).get("response", {}).get("transports", [])
    except (ValueError, AttributeError):
        return []
    known = {"usb", "nfc", "ble", "internal", "hybrid", "smart-card", "cable"}
    return [t for t in found if isinstance(t, str) and t in known][:6]


def verify_passkey(*, user: User, credential: str, challenge: bytes) -> None:
    """Check the browser's signed answer to `challenge` for `user`'s sign-in. Raises
    InvalidInput (not accepted, another account's passkey, a copied key) or TooManyAttempts;
    each failure is counted and audited."""
    check_not_throttled(user)
    with transaction.atomic():
        problem = _use_passkey(user, credential, challenge)
        if problem is None:
            register_sign_in_success(attempt=second_factor_attempt(user.pk))
            staff_event(user, "user.second_factor_passed", user, kind="passkey")
            return
    record_failure(user=user, problem=problem)
    messages = {"not_yours": MSG_NOT_YOURS, "cloned": MSG_CLONED}
    raise InvalidInput({"credential": [messages.get(problem, MSG_NOT_ACCEPTED)]})


def _use_passkey(user: User, credential: str, challenge: bytes) -> str | None:
    rp_id, origin = relying_party()
    try:
        _check_size(credential)
        raw_id = str(json.loads(credential).get("rawId") or json.loads(credential).get("id"))
    except (ValueError, TypeError, AttributeError):
        return "wrong"
    found: Any = Passkey.objects.select_for_update().filter(credential_id=raw_id).first()
    if found is None:
        return "wrong"
    if found.user_id != user.pk:
        return "not_yours"
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(found.public_key),
            credential_current_sign_count=found.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        return "cloned" if "sign count" in str(exc).lower() else "wrong"
    found.sign_count, found.last_used_at = verified.new_sign_count, timezone.now()
    found.save(update_fields=["sign_count", "last_used_at", "updated_at"])
    return None
