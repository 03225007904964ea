"""Envelope encryption of identifying data, per organisation.

Each organisation has its own data key (AES-256-GCM); data keys are stored wrapped by the master
key, which lives only in the environment. Compromise of one organisation's key exposes only that
organisation; losing the database file alone exposes nothing identifying. The associated data
binds every ciphertext to its record and field, so a ciphertext copied onto another survivor's row
fails to open instead of silently showing the wrong person.
"""

import base64
import hashlib
import hmac
import json
import os
import unicodedata
import uuid
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from harbour.orgs.models import KeyPurpose, OrgKey

PREFIX = "hbr1"
_NONCE = 12


class KeyError_(Exception):
    """A ciphertext that cannot be opened: wrong key, altered data, or wrong record."""


# --- master keys ----------------------------------------------------------------------------


def decode_master_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("HARBOUR_MASTER_KEY is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("HARBOUR_MASTER_KEY must encode exactly 32 bytes.")
    return key


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def master_key_id(key: bytes) -> str:
    return hashlib.sha256(b"harbour-master-key-id" + key).hexdigest()[:16]


def master_keys() -> dict[str, bytes]:
    """The current master key first, then any old ones still needed for unwrapping."""
    keys = [settings.HARBOUR_MASTER_KEY, *settings.HARBOUR_OLD_MASTER_KEYS]
    decoded = [decode_master_key(k) for k in keys]
    return {master_key_id(k): k for k in decoded}


def current_master_key_id() -> str:
    return next(iter(master_keys()))


# --- data keys ------------------------------------------------------------------------------


def wrap(key: bytes, *, org_id: uuid.UUID, purpose: str, version: int) -> tuple[str, str]:
    kid, master = next(iter(master_keys().items()))
    nonce = os.urandom(_NONCE)
    aad = f"{org_id}:{purpose}:{version}".encode()
    sealed = nonce + AESGCM(master).encrypt(nonce, key, aad)
    return base64.b64encode(sealed).decode(), kid


def unwrap(org_key: OrgKey) -> bytes:
    return _unwrap_cached(
        org_key.wrapped,
        org_key.master_key_id,
        str(org_key.org_id),
        org_key.purpose,
        org_key.version,
    )


@cache
def _unwrap_cached(wrapped: str, kid: str, org_id: str, purpose: str, version: int) -> bytes:
    masters = master_keys()
    if kid not in masters:
        raise ImproperlyConfigured(
            f"Master key {kid} is needed to open an organisation key; add it to "
            "HARBOUR_OLD_MASTER_KEYS and run `harbour keys rotate-master`."
        )
    raw = base64.b64decode(wrapped)
    aad = f"{org_id}:{purpose}:{version}".encode()
    try:
        return AESGCM(masters[kid]).decrypt(raw[:_NONCE], raw[_NONCE:], aad)
    except InvalidTag as exc:
        raise KeyError_("organisation key does not open with the master key") from exc


def new_key_material() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def active_key(org_id: uuid.UUID, purpose: str) -> OrgKey:
    try:
        return OrgKey.objects.get(org_id=org_id, purpose=purpose, is_active=True)
    except OrgKey.DoesNotExist:
        raise ImproperlyConfigured(f"organisation {org_id} has no active {purpose} key") from None


# --- sealing records ------------------------------------------------------------------------


def seal(org_id: uuid.UUID, payload: dict[str, Any], *, aad: str) -> str:
    """Encrypt a JSON-able mapping with the organisation's active data key."""
    key = active_key(org_id, KeyPurpose.DATA)
    nonce = os.urandom(_NONCE)
    plain = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ct = AESGCM(unwrap(key)).encrypt(nonce, plain, aad.encode())
    return f"{PREFIX}.{key.version}.{base64.b64encode(nonce + ct).decode()}"


def open_sealed(org_id: uuid.UUID, token: str, *, aad: str) -> dict[str, Any]:
    _prefix, version, body = _split(token)
    raw = base64.b64decode(body)
    try:
        plain = AESGCM(_data_key(org_id, version)).decrypt(raw[:_NONCE], raw[_NONCE:], aad.encode())
    except InvalidTag as exc:
        raise KeyError_("sealed value does not open for this record") from exc
    result: dict[str, Any] = json.loads(plain)
    return result


def _data_key(org_id: uuid.UUID, version: int) -> bytes:
    """A data key version never changes once made (re-wrapping changes only its envelope), so
    the opened key is kept per process; the active version for new writes is always re-read."""
    cached = _OPENED.get((org_id, version))
    if cached is None:
        key = OrgKey.objects.get(org_id=org_id, purpose=KeyPurpose.DATA, version=version)
        cached = _OPENED[(org_id, version)] = unwrap(key)
    return cached


_OPENED: dict[tuple[uuid.UUID, int], bytes] = {}


def _index_key(org_id: uuid.UUID) -> bytes:
    """Index keys never rotate (see OrgKey), so each organisation's is opened once per process."""
    cached = _INDEX_KEYS.get(org_id)
    if cached is None:
        cached = _INDEX_KEYS[org_id] = unwrap(active_key(org_id, KeyPurpose.INDEX))
    return cached


_INDEX_KEYS: dict[uuid.UUID, bytes] = {}


def sealed_version(token: str) -> int:
    return _split(token)[1]


def _split(token: str) -> tuple[str, int, str]:
    prefix, version, body = token.split(".", 2)
    if prefix != PREFIX:
        raise KeyError_(f"unknown sealed format {prefix!r}")
    return prefix, int(version), body


# --- blind index ----------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case-, accent- and spacing-insensitive, so 'Élodie  Tremblay' finds 'elodie tremblay'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split())


def blind_index(org_id: uuid.UUID, purpose: str, text: str) -> str:
    """A keyed hash for equality search on an encrypted value, never reversible without the key."""
    key = _index_key(org_id)
    message = f"{purpose}:{normalise(text)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


# --- records with a `sealed` column -----------------------------------------------------------


def record_aad(record: Any) -> str:
    """Bind a record's ciphertext to the record: model and primary key."""
    return f"{record._meta.label_lower}:{record.pk}"


def seal_record(record: Any, payload: dict[str, Any]) -> str:
    clean = {k: v for k, v in payload.items() if v not in (None, "", [])}
    return seal(record.org_id, clean, aad=record_aad(record)) if clean else ""


def open_record(record: Any) -> dict[str, Any]:
    if not record.sealed:
        return {}
    return open_sealed(record.org_id, record.sealed, aad=record_aad(record))
