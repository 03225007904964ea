"""Signed notes (C2SP signed-note, the format of Go's checksum database and of transparency-log
checkpoints): a text, a blank line, then one line per signature, "— <name> <base64>", where the
base64 holds a 4-byte key hash and an Ed25519 signature of the text.

Pure functions (no Django), so an auditor can check a Harbour checkpoint with any signed-note
implementation, given the verifier key that `harbour audit public-key` prints.
"""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_ED25519 = b"\x01"
_DASH = "\u2014 "
MAX_NOTE_BYTES = 1_000_000


class NoteError(ValueError):
    """A text that is not a well-formed signed note."""


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes  # 32 raw bytes

    @property
    def key_hash(self) -> int:
        digest = hashlib.sha256(self.name.encode() + b"\n" + _ED25519 + self.public_key).digest()
        return int(struct.unpack(">I", digest[:4])[0])

    def encoded(self) -> str:
        key = base64.b64encode(_ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_hash:08x}+{key}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signature:
    name: str
    key_hash: int
    signature: bytes


def parse_verifier(encoded: str) -> Verifier:
    """A verifier key as printed by `encoded()`: name+hash+base64(0x01 || public key)."""
    parts = encoded.strip().split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise NoteError("a verifier key reads name+keyhash+key")
    try:
        raw = base64.b64decode(parts[2], validate=True)
        claimed = int(parts[1], 16)
    except ValueError as exc:
        raise NoteError("the verifier key's hash or key is not valid") from exc
    if len(raw) != 33 or raw[:1] != _ED25519:
        raise NoteError("the verifier key is not an Ed25519 key")
    verifier = Verifier(parts[0], raw[1:])
    if verifier.key_hash != claimed:
        raise NoteError("the verifier key's hash does not match its key")
    return verifier


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    if not text.endswith("\n") or "\n\n" in text or not _valid_name(name):
        raise NoteError("a note's text ends with one newline and has no blank line")
    public = key.public_key().public_bytes_raw()
    verifier = Verifier(name, public)
    blob = struct.pack(">I", verifier.key_hash) + key.sign(text.encode())
    return f"{text}\n{_DASH}{name} {base64.b64encode(blob).decode()}\n"


def split(note: str) -> tuple[str, list[Signature]]:
    """The note's text and its signatures, or NoteError naming what is wrong."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    if any(ord(c) < 32 and c != "\n" for c in note):
        raise NoteError("the note holds control characters")
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NoteError("the note has no signature block")
    return text + "\n", [_parse_signature(line) for line in sigs.splitlines()]


def verified_text(note: str, verifiers: list[Verifier]) -> tuple[str, Verifier]:
    """The text of a note signed by one of `verifiers`; NoteError otherwise."""
    text, signatures = split(note)
    for sig in signatures:
        for verifier in verifiers:
            if (sig.name, sig.key_hash) == (verifier.name, verifier.key_hash):
                if not verifier.verifies(text.encode(), sig.signature):
                    raise NoteError("the signature does not match the text: it was altered")
                return text, verifier
    raise UnknownSigner([s.name for s in signatures], [f"{s.key_hash:08x}" for s in signatures])


class UnknownSigner(NoteError):
    """Signed, but by no key this verifier holds."""

    def __init__(self, names: list[str], hashes: list[str]) -> None:
        self.names, self.hashes = names, hashes
        super().__init__(f"signed by {', '.join(names)} ({', '.join(hashes)}): not a key we hold")


def _parse_signature(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise NoteError("a signature line starts with an em dash")
    name, _, encoded = line[len(_DASH) :].partition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise NoteError("a signature is not valid base64") from exc
    if not _valid_name(name) or len(blob) != 4 + 64:
        raise NoteError("a signature line is malformed")
    return Signature(name, int(struct.unpack(">I", blob[:4])[0]), blob[4:])


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)
