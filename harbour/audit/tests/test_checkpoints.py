"""Signed checkpoints: the signed-note format, the commands, the organisation's page and API, and
every checkpoint that must be refused (another key, from the future, malformed, altered)."""

import base64
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from harbour.audit import keys, note
from harbour.audit.actions import SystemActor, record_event, sign_checkpoint, signer_name
from harbour.audit.checkpoint import Body
from harbour.audit.models import AuditEvent, Checkpoint

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("tests")
OTHER_AUDIT_KEY = base64.urlsafe_b64encode(b"another installation's audit key").decode()

# From the signed-note specification's reference implementation (golang.org/x/mod/sumdb/note).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNED = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2p"
    "ZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_notes_are_interoperable_with_the_reference_implementation() -> None:
    verifier = note.parse_verifier(GO_VKEY)
    assert note.verified_text(GO_SIGNED, [verifier])[0] == GO_TEXT
    seed = base64.b64decode(GO_SKEY_SEED)[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    assert note.sign(GO_TEXT, "PeterNeumann", key) == GO_SIGNED  # Ed25519 is deterministic


def _trail(org_id: Any = None) -> None:
    with transaction.atomic():
        for i in range(3):
            record_event(by=ACTOR, action="case.updated", org_id=org_id, target_id=i)


def _foreign_checkpoint(key: Ed25519PrivateKey) -> str:
    """The current heads, truthfully stated, but signed by another installation's key."""
    from harbour.audit.queries import heads

    now = timezone.now().replace(microsecond=0)
    body = Body(signer_name(), now, "", heads())
    return note.sign(body.text(), signer_name(), key)


def _verify(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "checkpoint.txt"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--checkpoint", str(path), stdout=io.StringIO())
    return str(refused.value)


def _future_checkpoint() -> str:
    """Signed with the right key by a machine whose clock is a day ahead."""
    key = keys.current_key()
    later = timezone.now() + dt.timedelta(days=1)
    body = Body(signer_name(), later.replace(microsecond=0), "", {"system": (1, "0" * 64)})
    return note.sign(body.text(), signer_name(), key.signing_key)


def test_a_checkpoint_signed_with_another_key_is_refused(tmp_path) -> None:
    _trail()
    foreign = _foreign_checkpoint(Ed25519PrivateKey.generate())
    assert "not signed by this Harbour's audit key" in _verify(tmp_path, foreign)


def test_a_checkpoint_from_the_future_is_refused(tmp_path) -> None:
    _trail()
    assert "dated in the future" in _verify(tmp_path, _future_checkpoint())


@pytest.mark.parametrize(
    "damage",
    [
        "not a checkpoint at all",
        "truncated",
        "signature stripped",
        "altered text",
        "not UTF-8",
        "control characters",
        "too large",
    ],
)
def test_a_malformed_or_altered_checkpoint_is_refused(tmp_path, damage: str) -> None:
    _trail()
    good = sign_checkpoint(by=ACTOR).note
    damaged: dict[str, str | bytes] = {
        "not a checkpoint at all": "hello\n",
        "truncated": good[: len(good) // 2],
        "signature stripped": good.rpartition("\n\n")[0] + "\n",
        "altered text": good.replace(" 3 ", " 2 ", 1),
        "not UTF-8": good.encode() + b"\xff\xfe",
        "control characters": good.replace("scope", "sc\x00ope"),
        "too large": good + "x" * 2_000_001,
    }
    message = _verify(tmp_path, damaged[damage])
    assert "refused" in message
    if damage == "altered text":
        assert "signature does not match its text" in message


def test_a_well_formed_signed_text_that_is_not_a_checkpoint_is_refused(tmp_path) -> None:
    signed = note.sign("hello\n", signer_name(), keys.current_key().signing_key)
    assert "not a well-formed Harbour audit checkpoint" in _verify(tmp_path, signed)


def test_checkpoints_from_an_old_audit_key_still_verify_after_rotation(tmp_path) -> None:
    _trail()
    old = keys.secret_in_use()
    path = tmp_path / "old.txt"
    path.write_text(sign_checkpoint(by=ACTOR).note)
    with override_settings(HARBOUR_AUDIT_KEY=OTHER_AUDIT_KEY, HARBOUR_OLD_AUDIT_KEYS=[old]):
        _trail()  # new events under the new key
        out = io.StringIO()
        call_command("audit_verify", "--checkpoint", str(path), stdout=out)
        assert "extends 1 checkpoint" in out.getvalue()
        assert len({e.key_id for e in AuditEvent.objects.all()}) == 2
    with (
        override_settings(HARBOUR_AUDIT_KEY=OTHER_AUDIT_KEY, HARBOUR_OLD_AUDIT_KEYS=[]),
        pytest.raises(CommandError, match="NOT intact"),
    ):
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())


def test_an_explicit_verifier_key_is_accepted(tmp_path) -> None:
    _trail()
    key = Ed25519PrivateKey.generate()
    foreign = _foreign_checkpoint(key)
    assert "not signed" in _verify(tmp_path, foreign)  # our keys alone refuse it ...
    vkey = note.Verifier(signer_name(), key.public_key().public_bytes_raw()).encoded()
    out = io.StringIO()  # ... the verifier key given opens it
    call_command("audit_verify", "--checkpoint", str(tmp_path / "checkpoint.txt"),
                 "--public-key", vkey, stdout=out)  # fmt: skip
    assert "extends 1 checkpoint" in out.getvalue()
    with pytest.raises(CommandError, match="--public-key"):
        call_command("audit_verify", "--public-key", "not+a+key")


def test_the_public_key_command_prints_the_verifier_of_our_checkpoints() -> None:
    _trail()
    out = io.StringIO()
    call_command("audit_public_key", stdout=out)
    verifier = note.parse_verifier(out.getvalue())
    assert note.verified_text(sign_checkpoint(by=ACTOR).note, [verifier])


def test_the_checkpoint_command_writes_read_only_files_that_verify(tmp_path) -> None:
    _trail()
    out = io.StringIO()
    call_command("audit_checkpoint", "--out", str(tmp_path), stdout=out)
    files = list(tmp_path.glob("harbour-audit-checkpoint-*.txt"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o222 == 0
    call_command("audit_checkpoint", "--out", str(tmp_path), stdout=out)
    assert len(list(tmp_path.glob("*.txt"))) == 2  # never overwritten
    verified = io.StringIO()
    call_command("audit_verify", "--checkpoint", str(tmp_path), stdout=verified)
    assert "extends 2 checkpoint(s)" in verified.getvalue()


def test_auditors_receive_their_organisations_checkpoint_by_email(
    org, other_org, make_user, case, tmp_path
) -> None:
    auditor = make_user("auditor", org, preferred_language="fr")
    err = io.StringIO()
    call_command(
        "audit_checkpoint", "--email", "--out", str(tmp_path), stdout=io.StringIO(), stderr=err
    )
    assert other_org.short_name in err.getvalue()  # no auditor there: said, not skipped silently
    [message] = mail.outbox
    assert message.to == [auditor.email] and "point de contrôle" in message.subject
    assert "Élodie" not in message.body
    name, content, _kind = message.attachments[0]
    assert org.short_name in name and f"scope chain {org.pk}" in content
    assert Checkpoint.objects.filter(scope=str(org.pk)).count() == 1
