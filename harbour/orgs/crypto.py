"""Envelope encryption of identifying data, per organisation and per survivor.

Each organisation has its own data key (AES-256-GCM); data keys are stored wrapped by the master
key, which lives only in the environment. Compromise of one organisation's key exposes only that
organisation; losing the database file alone exposes nothing identifying. The associated data
binds every ciphertext to its record and field, so a ciphertext copied onto another survivor's row
fails to open instead of silently showing the wrong person.

Records about a survivor (a model declaring `sealed_subject`) are sealed under that survivor's own
data key, wrapped by the organisation's data key and kept in the key store outside the database
(ADR 36): erasing the survivor destroys it, so every backup of the database holds only ciphertext
nobody can open ("crypto-shredding"). Tokens say which: `hbr1.<org key version>.<ciphertext>`
(organisation key) and `hbr2.<survivor id>.<ciphertext>` (survivor key).
"""

import base64
import hashlib
import hmac
import json
import os
import threading
import unicodedata
import uuid
from collections import OrderedDict
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from harbour.orgs import keystore
from harbour.orgs.models import KeyPurpose, OrgKey

PREFIX = "hbr1"
SUBJECT_PREFIX = "hbr2"
_NONCE = 12


class KeyError_(Exception):
    """A ciphertext that cannot be opened: wrong key, altered data, or wrong record."""


class Shredded(KeyError_):
    """The survivor's key was destroyed when they were erased: their data is gone for good."""


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
    prefix, key_ref, body = _split(token)
    if prefix == SUBJECT_PREFIX:
        key = subject_key(org_id, uuid.UUID(key_ref))
    else:
        key = _data_key(org_id, int(key_ref))
    raw = base64.b64decode(body)
    try:
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], aad.encode())
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


def sealed_version(token: str) -> int | None:
    """The organisation key version a token is sealed with; None for a survivor-key token."""
    prefix, key_ref, _body = _split(token)
    return int(key_ref) if prefix == PREFIX else None


def sealed_subject(token: str) -> str | None:
    """The survivor whose key seals this token, if any."""
    prefix, key_ref, _body = _split(token)
    return key_ref if prefix == SUBJECT_PREFIX else None


def _split(token: str) -> tuple[str, str, str]:
    try:
        prefix, key_ref, body = token.split(".", 2)
    except ValueError:
        raise KeyError_("not a sealed value") from None
    if prefix not in {PREFIX, SUBJECT_PREFIX}:
        raise KeyError_(f"unknown sealed format {prefix!r}")
    return prefix, key_ref, body


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


def subject_of(record: Any) -> uuid.UUID | None:
    """The survivor a record is about, by the model's `sealed_subject` path ("pk",
    "survivor_id", "case.survivor_id"); None for records about nobody in particular."""
    path = getattr(type(record), "sealed_subject", "")
    if not path:
        return None
    value: Any = record
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return uuid.UUID(str(value))


def seal_record(record: Any, payload: dict[str, Any]) -> str:
    clean = {k: v for k, v in payload.items() if v not in (None, "", [])}
    if not clean:
        return ""
    subject = subject_of(record)
    if subject is None:
        return seal(record.org_id, clean, aad=record_aad(record))
    return seal_for_subject(record.org_id, subject, clean, aad=record_aad(record))


def open_record(record: Any) -> dict[str, Any]:
    if not record.sealed:
        return {}
    return open_sealed(record.org_id, record.sealed, aad=record_aad(record))


# --- survivor keys (ADR 36) -------------------------------------------------------------------


def seal_for_subject(
    org_id: uuid.UUID, subject_id: uuid.UUID, payload: dict[str, Any], *, aad: str
) -> str:
    """Encrypt with the survivor's own key (made, and stored durably, on first use)."""
    key = subject_key(org_id, subject_id, create=True)
    nonce = os.urandom(_NONCE)
    plain = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ct = AESGCM(key).encrypt(nonce, plain, aad.encode())
    return f"{SUBJECT_PREFIX}.{subject_id}.{base64.b64encode(nonce + ct).decode()}"


def subject_key(org_id: uuid.UUID, subject_id: uuid.UUID, *, create: bool = False) -> bytes:
    cached = _subject_cache_get(str(subject_id))
    if cached is not None:
        return cached
    stored = keystore.store().get(str(subject_id))
    if stored is None and create:
        stored = keystore.store().add(_new_subject_key(org_id, subject_id))
    if stored is None:
        raise KeyError_("no key for this survivor's data")
    if stored.destroyed:
        raise Shredded("this survivor was erased: their key was destroyed")
    if stored.org_id != str(org_id):
        raise KeyError_("the survivor's key belongs to another organisation")
    raw = _unwrap_subject(stored)
    _subject_cache_put(str(subject_id), raw)
    return raw


def make_subject_keys(org_id: uuid.UUID, subject_ids: list[uuid.UUID]) -> None:
    """Keys for many new survivors, stored in one write (a bulk import): `seal_for_subject`
    then finds each one opened in the cache instead of writing the store once per survivor.
    Call with at most _SUBJECT_CACHE_SIZE survivors at a time."""
    version = active_key(org_id, KeyPurpose.DATA).version  # once, not once per survivor
    made = [_new_subject_key(org_id, s, version) for s in subject_ids]
    keystore.store().add_many(made)
    for stored in made:
        _subject_cache_put(stored.subject_id, _unwrap_subject(stored))


def _subject_aad(org_id: str, subject_id: str, version: int) -> bytes:
    return f"subject:{org_id}:{subject_id}:{version}".encode()


def _new_subject_key(
    org_id: uuid.UUID, subject_id: uuid.UUID, version: int | None = None
) -> keystore.StoredKey:
    if version is None:
        version = active_key(org_id, KeyPurpose.DATA).version
    wrapped = _wrap_subject(new_key_material(), str(org_id), str(subject_id), version)
    return keystore.StoredKey(str(subject_id), str(org_id), version, wrapped, keystore._now(), None)


def _wrap_subject(raw: bytes, org_id: str, subject_id: str, version: int) -> str:
    nonce = os.urandom(_NONCE)
    org_key = _data_key(uuid.UUID(org_id), version)
    sealed = nonce + AESGCM(org_key).encrypt(nonce, raw, _subject_aad(org_id, subject_id, version))
    return base64.b64encode(sealed).decode()


def _unwrap_subject(stored: keystore.StoredKey) -> bytes:
    raw = base64.b64decode(stored.wrapped)
    org_key = _data_key(uuid.UUID(stored.org_id), stored.org_key_version)
    aad = _subject_aad(stored.org_id, stored.subject_id, stored.org_key_version)
    try:
        return AESGCM(org_key).decrypt(raw[:_NONCE], raw[_NONCE:], aad)
    except InvalidTag as exc:
        raise KeyError_("the survivor's key does not open with the organisation key") from exc


def rewrap_subject_keys(org_id: uuid.UUID) -> int:
    """Re-wrap the organisation's survivor keys under its active data key (after a data-key
    rotation): the records themselves do not change. Returns how many were re-wrapped."""
    active = active_key(org_id, KeyPurpose.DATA).version
    changed = 0
    for stored in keystore.store().live_keys(str(org_id)):
        if stored.org_key_version == active:
            continue
        raw = _unwrap_subject(stored)
        wrapped = _wrap_subject(raw, stored.org_id, stored.subject_id, active)
        keystore.store().rewrap(stored.subject_id, wrapped, active)
        changed += 1
    return changed


def destroy_subject_keys(subject_ids: list[str]) -> int:
    for subject_id in subject_ids:
        _subject_cache_drop(subject_id)
    return keystore.store().destroy(subject_ids) if subject_ids else 0


# Opened survivor keys, per process: a page of one case reads several records of one survivor.
# Bounded, and dropped on erasure in this process; other processes forget theirs as they fill.
_SUBJECT_CACHE: OrderedDict[str, bytes] = OrderedDict()
_SUBJECT_CACHE_SIZE = 2048
_SUBJECT_LOCK = threading.Lock()


def _subject_cache_get(subject_id: str) -> bytes | None:
    with _SUBJECT_LOCK:
        found = _SUBJECT_CACHE.get(subject_id)
        if found is not None:
            _SUBJECT_CACHE.move_to_end(subject_id)
        return found


def _subject_cache_put(subject_id: str, raw: bytes) -> None:
    with _SUBJECT_LOCK:
        _SUBJECT_CACHE[subject_id] = raw
        while len(_SUBJECT_CACHE) > _SUBJECT_CACHE_SIZE:
            _SUBJECT_CACHE.popitem(last=False)


def _subject_cache_drop(subject_id: str) -> None:
    with _SUBJECT_LOCK:
        _SUBJECT_CACHE.pop(subject_id, None)
