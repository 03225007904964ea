"""The audit trail's keys (ADR 35): one secret kept with the master key, never in the database.

From it come, by HKDF with distinct labels, the HMAC key that chains events (someone who can
write to the database but does not hold the secret cannot recompute a valid chain) and the
Ed25519 key that signs checkpoints of every chain's head (which auditors keep outside the
database, so even someone who holds the secret cannot rewrite history they have seen).

The secret is `HARBOUR_AUDIT_KEY` when set, otherwise it is derived from the master key. Old
secrets stay configured (`HARBOUR_OLD_AUDIT_KEYS`, and secrets derived from
`HARBOUR_OLD_MASTER_KEYS`) because events keyed with them must still verify.
"""

import base64
import hashlib
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_CHAIN_LABEL = b"harbour audit chain hmac v1"
_SIGNING_LABEL = b"harbour audit checkpoint ed25519 v1"
_FROM_MASTER_LABEL = b"harbour audit secret from master key v1"


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    hmac_key: bytes
    signing_key: Ed25519PrivateKey
    derived_from_master: bool

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )


def _decode(text: str, name: str) -> bytes:
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must encode exactly 32 bytes.")
    return key


def _hkdf(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


@cache
def _build(secret: bytes, derived: bool) -> AuditKey:
    key_id = hashlib.sha256(b"harbour-audit-key-id" + secret).hexdigest()[:16]
    signing = Ed25519PrivateKey.from_private_bytes(_hkdf(secret, _SIGNING_LABEL))
    return AuditKey(key_id, _hkdf(secret, _CHAIN_LABEL), signing, derived)


def _configured() -> list[tuple[bytes, bool]]:
    """(secret, derived from a master key?) for the current secret first, then the old ones."""
    return _secrets(
        settings.HARBOUR_AUDIT_KEY,
        tuple(settings.HARBOUR_OLD_AUDIT_KEYS),
        settings.HARBOUR_MASTER_KEY,
        tuple(settings.HARBOUR_OLD_MASTER_KEYS),
    )


@cache
def _secrets(
    explicit: str, old: tuple[str, ...], master: str, old_masters: tuple[str, ...]
) -> list[tuple[bytes, bool]]:
    """Decoded and derived once per configuration (every audit event asks)."""
    current = (
        (_decode(explicit, "HARBOUR_AUDIT_KEY"), False)
        if explicit
        else (_hkdf(_decode(master, "HARBOUR_MASTER_KEY"), _FROM_MASTER_LABEL), True)
    )
    olds = [(_decode(k, "HARBOUR_OLD_AUDIT_KEYS"), False) for k in old]
    from_old_masters = [
        (_hkdf(_decode(k, "HARBOUR_OLD_MASTER_KEYS"), _FROM_MASTER_LABEL), True)
        for k in old_masters
    ]
    return [current, *olds, *from_old_masters]


def current_key() -> AuditKey:
    """The key new events are chained with and new checkpoints are signed with."""
    secret, derived = _configured()[0]
    return _build(secret, derived)


def known_keys() -> dict[str, AuditKey]:
    """Every key this installation holds, by id: the current one first."""
    keys: dict[str, AuditKey] = {}
    for secret, derived in _configured():
        key = _build(secret, derived)
        keys.setdefault(key.key_id, key)
    return keys


def hmac_keys() -> dict[str, bytes]:
    return {key_id: key.hmac_key for key_id, key in known_keys().items()}


def secret_in_use(key_id: str | None = None) -> str:
    """A secret (the current one, or the one with this id) as base64url, for pinning it in
    HARBOUR_AUDIT_KEY before the master key is rotated (printed only by `audit key`)."""
    for secret, derived in _configured():
        if key_id is None or _build(secret, derived).key_id == key_id:
            return base64.urlsafe_b64encode(secret).decode().rstrip("=")
    raise ImproperlyConfigured(f"the audit key {key_id} is not configured")
