"""Slowing down password guessing without letting anyone lock others out (ADR 9).

- Per account: after `LOGIN_THROTTLE_FAILURES` failures, every further try must wait, and the
  wait doubles with each failure (30 s, 1 min, 2 min, ... up to `LOGIN_THROTTLE_MINUTES`).
- Per address: a limit high enough for a shelter's shared connection
  (`LOGIN_ADDRESS_FAILURES` in `LOGIN_THROTTLE_MINUTES`). Past it, the address may still sign
  in to accounts that have no failures; it can no longer keep guessing at the ones it has
  failed on. So one person's mistakes (or an attacker behind the same address) never block a
  correct password for a different account.
- A browser that signed in to an account before carries a signed device cookie for it (OWASP's
  "device cookies"): neither the account's lock nor the address limit applies to it; its own
  failures are counted and slowed down on their own. Someone guessing elsewhere cannot lock the
  account's owner out of their usual browser.

The table stores keyed hashes only: no e-mail address, IP address or cookie value.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from harbour.accounts.models import LoginThrottle

DEVICE_COOKIE = "harbour_device"
DEVICE_SALT = "harbour.accounts.device"
DEVICE_DAYS = 365
FIRST_WAIT = dt.timedelta(seconds=30)
QUIET_RESETS = dt.timedelta(hours=24)  # an account's count starts again after a quiet day


def _key(purpose: str, value: str) -> str:
    return salted_hmac(f"login-{purpose}", value, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str | None
    device: str | None  # set only when the browser holds a valid device cookie for the account


def attempt_for(email: str, ip: str | None, device_cookie: str | None) -> Attempt:
    account = _key("email", email.strip().lower())
    return Attempt(
        account=account,
        address=_key("ip", ip) if ip else None,
        device=_device_key(device_cookie, account),
    )


def _device_key(cookie: str | None, account: str) -> str | None:
    if not cookie or len(cookie) > 300:
        return None
    try:
        value = signing.loads(cookie, salt=DEVICE_SALT, max_age=DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("a") != account[:24]:
        return None
    return _key("device", str(value.get("d", "")))


def device_cookie(attempt: Attempt) -> str:
    """A new signed cookie that marks this browser as known for the account."""
    return signing.dumps({"a": attempt.account[:24], "d": secrets.token_hex(16)}, salt=DEVICE_SALT)


def wait_seconds(attempt: Attempt) -> int:
    """0 if this attempt may be checked now; otherwise how long to wait."""
    now = timezone.now()
    if attempt.device:
        return _remaining(_row(attempt.device), now)
    account = _row(attempt.account)
    waiting = _remaining(account, now)
    if waiting or attempt.address is None or account is None or not account.failures:
        return waiting
    return _remaining(_row(attempt.address), now)


def _row(key: str) -> LoginThrottle | None:
    return LoginThrottle.objects.filter(key=key).first()


def _remaining(row: LoginThrottle | None, now: dt.datetime) -> int:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, int((row.locked_until - now).total_seconds()))


@transaction.atomic
def register_sign_in_failure(*, attempt: Attempt) -> None:
    now = timezone.now()
    _grow(attempt.device or attempt.account, now)
    if attempt.address and not attempt.device:
        _count_in_window(attempt.address, now, settings.LOGIN_ADDRESS_FAILURES)


def _grow(key: str, now: dt.datetime) -> None:
    """Count a failure; from the limit on, each one doubles the wait."""
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now}
    )
    if now - row.window_started_at > QUIET_RESETS:
        row.failures = 0
    row.failures += 1
    row.window_started_at = now  # the last failure: the quiet day counts from it
    over = row.failures - settings.LOGIN_THROTTLE_FAILURES
    if over >= 0:
        longest = dt.timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
        row.locked_until = now + min(FIRST_WAIT * 2 ** min(over, 20), longest)
    row.save()


@transaction.atomic
def register_sign_in_success(*, attempt: Attempt) -> None:
    """A known browser clears only its own count: the owner signing in must not give whoever is
    guessing elsewhere a fresh set of tries."""
    LoginThrottle.objects.filter(key=attempt.device or attempt.account).delete()


# --- a plain count in a window (receipt-code lookups) ------------------------------------------


def is_locked(keys: list[str]) -> bool:
    now = timezone.now()
    return LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now).exists()


@transaction.atomic
def register_failure(*, keys: list[str], limit: int) -> None:
    """Count a failure against each key; at `limit` the key is locked for the window."""
    now = timezone.now()
    for key in keys:
        _count_in_window(key, now, limit)


def _count_in_window(key: str, now: dt.datetime, limit: int) -> None:
    window = dt.timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now}
    )
    if now - row.window_started_at > window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = row.window_started_at + window
    row.save()


def second_factor_attempt(user_id: object) -> Attempt:
    """Second-factor codes are slowed down like passwords, per account (the password step has
    already been passed, so an address or a device cookie adds nothing)."""
    return Attempt(account=_key("second-factor", str(user_id)), address=None, device=None)
