"""Crypto-shredding (ADR 36): a backup of the database taken before a survivor's erasure holds
only ciphertext that nobody can open once they are erased, on SQLite and on PostgreSQL.

The backup is a real copy (SQLite: `VACUUM INTO` a file; PostgreSQL: `pg_dump`), searched as
bytes for the survivor's name and read back for their sealed values, which are then tried with
every key that remains: the master key, every organisation key and the key store.
"""

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection

from harbour.audit.models import AuditEvent
from harbour.cases import actions as case_actions
from harbour.cases.models import CaseNote, Survivor
from harbour.cases.values import read_values
from harbour.orgs import actions as org_actions
from harbour.orgs import crypto, keystore
from harbour.orgs.models import OrgKey
from harbour.sharing import actions as sharing_actions

pytestmark = pytest.mark.django_db(transaction=True)
NAME, FAMILY = "Zyxwvutsrq", "Qrstuvwxyz"
NOTE = "Met at the Kestrelford bus depot"


def _backup(tmp_path: Path) -> bytes:
    """A copy of the whole database as an operator would take it."""
    target = tmp_path / "backup"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
        return target.read_bytes()
    settings = connection.settings_dict
    command = ["pg_dump", "--data-only", "-h", settings["HOST"] or "127.0.0.1"]
    command += ["-p", str(settings["PORT"] or 5432), "-U", settings["USER"], settings["NAME"]]
    return subprocess.run(command, check=True, capture_output=True).stdout  # noqa: S603


def _tokens(backup: bytes, survivor_id: Any) -> list[str]:
    """The sealed values about this survivor that the backup holds. In a database file a value
    may run on into the next column's bytes: each candidate comes with its shorter prefixes."""
    pattern = rb"hbr2\." + str(survivor_id).encode() + rb"\.[A-Za-z0-9+/]+={0,2}"
    found = set()
    for match in re.findall(pattern, backup):
        head, body = match.decode().rsplit(".", 1)
        found |= {f"{head}.{body[:n]}" for n in range(len(body) - len(body) % 4, 0, -4)}
        found.add(f"{head}.{body}")
    return sorted(found)


def _with_remaining_keys(token: str, aad: str) -> list[bytes]:
    """Try the ciphertext, with the right associated data, under every key that remains: each
    organisation data key (opened with the master key) and the master key itself. Returns what
    opened (nothing, we hope)."""
    raw = base64.b64decode(token.split(".", 2)[2])
    nonce, body = raw[:12], raw[12:]
    keys = [crypto.unwrap(k) for k in OrgKey.objects.all()]
    keys += list(crypto.master_keys().values())
    opened = []
    for key in keys:
        try:
            opened.append(AESGCM(key).decrypt(nonce, body, aad.encode()))
        except InvalidTag:
            continue
    return opened


@pytest.fixture
def erasable(caseworker, supervisor) -> Any:
    case, _new = case_actions.start_intake(
        by=caseworker,
        survivor_values={"given_name": NAME, "family_name": FAMILY, "birth_date": "1991-03-07"},
        case_values={
            "intake_date": "2026-11-02",
            "intake_province": "CA-ON",
            "consent_to_record": True,
        },
    )
    case_actions.add_record(by=caseworker, case=case, model=CaseNote, values={"body": NOTE})
    return case


def test_a_backup_taken_before_erasure_cannot_be_opened_after_it(
    erasable, supervisor, tmp_path
) -> None:
    survivor = erasable.survivor
    backup = _backup(tmp_path)
    for secret in (NAME, FAMILY, NOTE):
        assert secret.encode() not in backup and secret.encode("utf-16-le") not in backup
    # Before the erasure the backup's ciphertext opens (so the test below could fail) ...
    sealed = _opened_before(_tokens(backup, survivor.pk), erasable)
    assert {v for values in sealed.values() for v in values[1].values()} >= {NAME, FAMILY, NOTE}
    stored = keystore.store().get(str(survivor.pk))
    assert stored is not None and not stored.destroyed

    sharing_actions.erase_survivor(by=supervisor, survivor=survivor)

    # ... and after it nothing that remains opens it: not the key store (the survivor's key is
    # destroyed), not the organisation keys, not the master key.
    assert _key(survivor.pk).destroyed
    crypto._SUBJECT_CACHE.clear()
    for token, (aad, _values) in sealed.items():
        with pytest.raises(crypto.Shredded):
            crypto.open_sealed(survivor.org_id, token, aad=aad)
        assert _with_remaining_keys(token, aad) == []
    assert AuditEvent.objects.filter(
        action="survivor.key_destroyed", target_id=str(survivor.pk)
    ).exists()


def test_the_destroyed_key_is_gone_from_the_key_store_file(erasable, supervisor) -> None:
    """secure_delete and a truncated write-ahead log: the key's bytes are not left behind."""
    store = keystore.store()
    if not isinstance(store, keystore.SQLiteKeyStore):
        pytest.skip("the file check is about the SQLite key store")
    wrapped = _key(erasable.survivor_id).wrapped.encode()
    files = [Path(store.path), Path(store.path + "-wal")]
    assert any(wrapped in f.read_bytes() for f in files if f.exists())
    sharing_actions.erase_survivor(by=supervisor, survivor=erasable.survivor)
    assert not any(wrapped in f.read_bytes() for f in files if f.exists())


def test_a_crash_before_the_key_is_destroyed_is_repaired_by_the_sweep(
    erasable, supervisor, monkeypatch
) -> None:
    from django.core.management import call_command

    with monkeypatch.context() as crash:  # the process dies right after the erasure commits
        crash.setattr(org_actions, "_destroy", lambda *args: 0)
        sharing_actions.erase_survivor(by=supervisor, survivor=erasable.survivor)
    assert not Survivor.objects.filter(pk=erasable.survivor_id).exists()
    assert not _key(erasable.survivor_id).destroyed
    call_command("orgs_sweep_keys")
    assert _key(erasable.survivor_id).destroyed
    assert org_actions.sweep_erased_keys(by=supervisor) == 0  # nothing left to do


def test_data_sealed_before_survivor_keys_moves_to_them(caseworker, org) -> None:
    """Existing data migrates: `harbour orgs reseal` moves a survivor's records from the
    organisation key to their own key, so that erasure reaches backups of it too."""
    from django.core.management import call_command

    case, _new = case_actions.start_intake(
        by=caseworker,
        survivor_values={"given_name": NAME},
        case_values={
            "intake_date": "2026-11-02",
            "intake_province": "CA-ON",
            "consent_to_record": True,
        },
    )
    survivor = case.survivor
    # As Harbour sealed it before ADR 36: with the organisation's data key.
    old = crypto.seal(org.pk, {"given_name": NAME}, aad=crypto.record_aad(survivor))
    Survivor.objects.filter(pk=survivor.pk).update(sealed=old)
    call_command("orgs_reseal")
    survivor.refresh_from_db()
    assert crypto.sealed_subject(survivor.sealed) == str(survivor.pk)
    assert read_values(survivor, with_identity=True)["given_name"] == NAME


def _opened_before(tokens: list[str], case: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each backed-up token with the record it belongs to (its associated data) and what it
    holds, opened while the survivor's key still exists."""
    note = CaseNote.objects.get(case=case)
    candidates = [crypto.record_aad(r) for r in (case.survivor, case, note)]
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for token in tokens:
        for aad in candidates:
            try:
                found[token] = (aad, crypto.open_sealed(case.org_id, token, aad=aad))
            except (crypto.KeyError_, ValueError):
                continue  # not this record's, or a prefix that is not the whole value
    assert len(found) >= 2, "the survivor's and the note's sealed values, at least"
    return found


def _key(survivor_id: Any) -> keystore.StoredKey:
    """The survivor's entry in the key store (typed: `get` answers None for no entry)."""
    stored = keystore.store().get(str(survivor_id))
    assert stored is not None, f"no key stored for survivor {survivor_id}"
    return stored
