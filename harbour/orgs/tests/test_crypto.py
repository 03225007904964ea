"""Envelope encryption: identifying data is never stored in clear, and keys rotate."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from harbour.audit import keys as audit_keys
from harbour.audit.actions import SystemActor
from harbour.audit.queries import verify
from harbour.cases.models import Case, Survivor
from harbour.cases.values import read_values
from harbour.orgs import actions, crypto, keystore
from harbour.orgs.models import KeyPurpose, OrgKey

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("tests")
# Whatever the environment configured (the test default, or a developer's own key).
OLD_MASTER = settings.HARBOUR_MASTER_KEY
NEW_MASTER = crypto.new_master_key()


def _all_text_in_database() -> str:
    """Every row of every Harbour table, as text: what someone with the database file sees."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.split("_")[0] in {"cases", "accounts", "audit", "orgs"}:
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the schema)
                chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def test_identifying_values_are_not_in_the_database_in_clear(case) -> None:
    dump = _all_text_in_database()
    for secret in ("Élodie", "Tremblay", "1998-04-02", "4165550199"):
        assert secret not in dump
    assert read_values(case.survivor, with_identity=True)["given_name"] == "Élodie"


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_file_does_not_contain_a_name(tmp_path, settings) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the file check is about the embedded SQLite database")
    from harbour.cases import actions as case_actions

    # An on-disk copy of the test database, written after an intake with a distinctive name.
    org = actions.create_organisation(
        by=ACTOR,
        name_en="A",
        name_fr="A",
        short_name="a-file",
        type="ngo",
        province="CA-ON",
    )
    from harbour.accounts.actions import create_user
    from harbour.testenv import PASSWORD

    user = create_user(
        by=ACTOR,
        email="f@example.org",
        full_name="F",
        org_id=org.pk,
        role="caseworker",
        password=PASSWORD,
        must_change_password=False,
    )
    case_actions.start_intake(
        by=user,
        survivor_values={"given_name": "Zyxwvutsrq", "family_name": "Qrstuvwxyz"},
        case_values={
            "intake_date": "2026-01-05",
            "intake_province": "CA-ON",
            "consent_to_record": True,
        },
    )
    target = tmp_path / "copy.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(target)])
    raw = target.read_bytes()
    assert b"Zyxwvutsrq" not in raw and "Zyxwvutsrq".encode("utf-16-le") not in raw
    assert b"case.created" in raw  # the copy is real and holds the audit trail


def test_a_ciphertext_moved_to_another_record_does_not_open(make_case, caseworker) -> None:
    first = make_case(caseworker)
    second = make_case(caseworker, survivor={"given_name": "Other"})
    Survivor.objects.filter(pk=second.survivor_id).update(sealed=first.survivor.sealed)
    second.survivor.refresh_from_db()
    with pytest.raises(crypto.KeyError_):
        read_values(second.survivor, with_identity=True)


def test_master_key_rotation_rewraps_every_organisation_key(case) -> None:
    pinned = {"HARBOUR_AUDIT_KEY": audit_keys.secret_in_use()}
    with override_settings(
        HARBOUR_MASTER_KEY=NEW_MASTER, HARBOUR_OLD_MASTER_KEYS=[OLD_MASTER], **pinned
    ):
        changed = actions.rotate_master_key(by=ACTOR)
        assert changed == OrgKey.objects.count() >= 2
        crypto._unwrap_cached.cache_clear()
    with override_settings(HARBOUR_MASTER_KEY=NEW_MASTER, HARBOUR_OLD_MASTER_KEYS=[], **pinned):
        crypto._unwrap_cached.cache_clear()
        survivor = Survivor.objects.get(pk=case.survivor_id)
        assert read_values(survivor, with_identity=True)["family_name"] == "Tremblay"
        assert verify()[1] == []  # the trail still verifies without the old master key
    crypto._unwrap_cached.cache_clear()
    with pytest.raises(ImproperlyConfigured):  # the old master alone no longer opens them
        crypto.unwrap(OrgKey.objects.get(pk=OrgKey.objects.values("pk")[:1]))
    with override_settings(HARBOUR_MASTER_KEY=NEW_MASTER, **pinned):
        crypto._unwrap_cached.cache_clear()
        actions.rotate_master_key(by=ACTOR)  # put things back for other tests
    crypto._unwrap_cached.cache_clear()


def test_data_key_rotation_rewraps_survivor_keys_and_retires_the_old_key(case, org) -> None:
    """Records about a survivor keep their ciphertext (their own key seals them); the survivor
    keys are re-wrapped under the new organisation key, and the old one is destroyed."""
    old_token = Survivor.objects.get(pk=case.survivor_id).sealed
    assert crypto.sealed_subject(old_token) == str(case.survivor_id)
    actions.start_data_key_rotation(by=ACTOR, org=org)
    assert actions.reseal_records(by=ACTOR, org=org) == 0
    stored = keystore.store().get(str(case.survivor_id))
    assert stored is not None and stored.org_key_version == 2
    assert actions.retire_old_data_keys(by=ACTOR, org=org) == 1
    assert not OrgKey.objects.filter(org=org, purpose=KeyPurpose.DATA, version=1).exists()
    crypto._SUBJECT_CACHE.clear()
    survivor = Survivor.objects.get(pk=case.survivor_id)
    assert survivor.sealed == old_token
    assert read_values(survivor, with_identity=True)["given_name"] == "Élodie"
    assert Case.objects.filter(org=org).count() == 1


def test_data_key_rotation_reseals_records_under_the_organisation_key(org, caseworker) -> None:
    """A draft for someone not yet recorded belongs to no survivor: the organisation key seals
    it, and rotation re-encrypts it."""
    from harbour.cases.actions import draft_data, save_draft

    draft = save_draft(by=caseworker, data={"given_name": "Zed"})
    assert crypto.sealed_version(draft.sealed) == 1
    actions.start_data_key_rotation(by=ACTOR, org=org)
    assert actions.reseal_records(by=ACTOR, org=org) == 1
    draft.refresh_from_db()
    assert crypto.sealed_version(draft.sealed) == 2
    assert actions.retire_old_data_keys(by=ACTOR, org=org) == 1
    assert draft_data(draft) == {"given_name": "Zed"}


def test_key_commands(case, org, capsys) -> None:
    call_command("orgs_rotate_data_key", org.short_name)
    out = capsys.readouterr().out
    assert "re-encrypted" in out
    assert read_values(Survivor.objects.get(pk=case.survivor_id), with_identity=True)
    call_command("orgs_new_master_key")
    assert len(capsys.readouterr().out.strip()) >= 43


def test_blind_index_ignores_case_and_accents(org) -> None:
    assert crypto.blind_index(org.pk, "name", "Élodie") == crypto.blind_index(
        org.pk, "name", "ELODIE"
    )
    assert crypto.blind_index(org.pk, "name", "Élodie") != crypto.blind_index(
        org.pk, "name", "Elodia"
    )


def test_master_key_rotation_waits_until_the_audit_key_is_pinned(case, capsys) -> None:
    """Unpinned, the audit key is derived from the master key: rotating would strand the
    events chained so far. The command says what to do; `audit key` prints the line to add."""
    with override_settings(HARBOUR_MASTER_KEY=NEW_MASTER, HARBOUR_OLD_MASTER_KEYS=[OLD_MASTER]):
        crypto._unwrap_cached.cache_clear()
        with pytest.raises(CommandError, match="harbour audit key"):
            call_command("orgs_rotate_master_key")
        call_command("audit_key")
        line = capsys.readouterr().out.strip()
    crypto._unwrap_cached.cache_clear()
    assert line == f"HARBOUR_AUDIT_KEY={audit_keys.secret_in_use()}"  # the old master's
    assert OrgKey.objects.filter(master_key_id=crypto.current_master_key_id()).count() >= 2
