"""Passwords are stored as Argon2id at OWASP's parameters (ADR 47); older PBKDF2 hashes still
sign in and are re-made; the FIPS choice and a wrong value are settled by the settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import override_settings

from harbour.accounts.hashers import Argon2idPasswordHasher
from harbour.testenv import PASSWORD

ARGON2ID = "harbour.accounts.hashers.Argon2idPasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def _hashers_with(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HARBOUR_FAST_PASSWORD_HASHER"}
    env.pop("HARBOUR_PASSWORD_HASHER", None)
    if value is not None:
        env["HARBOUR_PASSWORD_HASHER"] = value
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; print(s.PASSWORD_HASHERS)"],
        env=env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_argon2id_is_preferred_and_pbkdf2_still_verifies() -> None:
    assert _hashers_with(None).stdout.strip() == str([ARGON2ID, PBKDF2])


def test_a_deployment_needing_fips_keeps_pbkdf2_first() -> None:
    assert _hashers_with("pbkdf2").stdout.strip() == str([PBKDF2, ARGON2ID])


def test_an_unknown_hasher_stops_the_server_with_the_choices() -> None:
    result = _hashers_with("md5")
    assert result.returncode != 0
    assert "HARBOUR_PASSWORD_HASHER must be one of argon2id, pbkdf2, not 'md5'" in result.stderr


@override_settings(PASSWORD_HASHERS=[ARGON2ID, PBKDF2])
def test_a_new_password_is_argon2id_with_owasp_parameters() -> None:
    encoded = make_password("a long passphrase of mine")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Argon2idPasswordHasher().verify("a long passphrase of mine", encoded)
    assert not Argon2idPasswordHasher().verify("a long passphrase of mina", encoded)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[ARGON2ID, PBKDF2])
def test_an_old_pbkdf2_hash_signs_in_and_is_remade_as_argon2id(client, caseworker) -> None:
    caseworker.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    caseworker.save(update_fields=["password"])
    page = client.post("/accounts/sign-in/", {"email": caseworker.email, "password": PASSWORD})
    assert page.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[ARGON2ID, PBKDF2])
def test_a_wrong_password_against_an_old_hash_changes_nothing(client, caseworker) -> None:
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    caseworker.password = old
    caseworker.save(update_fields=["password"])
    page = client.post(
        "/accounts/sign-in/", {"email": caseworker.email, "password": "not it at all!"}
    )
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    caseworker.refresh_from_db()
    assert caseworker.password == old
