"""Two SQLite deployment gaps (issue 13, ADR 45): an API read is not held up by another
connection's write lock (the token's last use is noted best-effort), and the folder of
file-based sessions is private, with a deployment check that says so when it is not."""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.db import OperationalError, connection
from django.test import override_settings

from harbour.accounts.models import ApiToken
from harbour.api import auth
from harbour.core.checks import check_session_folder

READ = "/api/v1/cases"  # authenticated: the token is looked up, and its use noted


@contextmanager
def on_a_file_database(folder: Path) -> Iterator[Path]:
    """The test database, copied to a file that Django's connection then uses, with the
    deployment's options (WAL, 20 s busy timeout, IMMEDIATE transactions): an in-memory test
    database shares its cache between connections and fails at once instead of waiting for a
    lock, so only a file shows how a request behaves while another connection writes."""
    connection.ensure_connection()
    memory, name = connection.connection, connection.settings_dict["NAME"]
    path = folder / "harbour.sqlite3"
    copy = sqlite3.connect(path)
    memory.backup(copy)
    copy.close()
    connection.connection = None  # the in-memory database lives on in `memory`
    connection.settings_dict["NAME"] = str(path)
    try:
        connection.ensure_connection()
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


@contextmanager
def write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's one write lock, as an import does for the
    whole of its transaction."""
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield writer
    finally:
        writer.rollback()
        writer.close()


def last_used(path: Path, token: ApiToken) -> str | None:
    reader = sqlite3.connect(path)
    try:
        table = ApiToken._meta.db_table
        (value,) = reader.execute(
            f"SELECT last_used_at FROM {table} WHERE id = ?",  # noqa: S608 - the model's table
            (token.pk.hex,),  # Django keeps UUIDs on SQLite as 32 hex digits
        ).fetchone()
        return value
    finally:
        reader.close()


sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's one write lock; PostgreSQL keeps the plain UPDATE",
)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_read_is_served_while_another_connection_writes(api_for, caseworker, tmp_path) -> None:
    api = api_for(caseworker)
    token = ApiToken.objects.get(user=caseworker)
    assert token.last_used_at is None
    with on_a_file_database(tmp_path) as path:
        with write_lock_held(path):
            started = time.monotonic()
            response = api.get(READ)
            took = time.monotonic() - started
        assert response.status_code == 200
        assert took < 5, f"the read waited {took:.1f} s for the write lock"
        assert last_used(path, token) is None  # given up, not queued

        # The lock is free: the next request records the use, and the connection's own writes
        # wait as long as configured again.
        assert api.get(READ).status_code == 200
        assert last_used(path, token) is not None
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_touch_inside_a_transaction_gives_up_its_savepoint_only(caseworker, api_for) -> None:
    from django.db import transaction

    api_for(caseworker)
    token = ApiToken.objects.get(user=caseworker)

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    with transaction.atomic():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ApiToken.objects.get_queryset().__class__, "update", locked)
            auth._touch(token)
        ApiToken.objects.filter(pk=token.pk).update(name="still usable")  # not broken
    token.refresh_from_db()
    assert token.name == "still usable" and token.last_used_at is None


@sqlite_only
@pytest.mark.django_db
def test_a_broken_database_is_not_taken_for_a_busy_one(caseworker, api_for, monkeypatch) -> None:
    api_for(caseworker)
    token = ApiToken.objects.get(user=caseworker)

    def broken(*args, **kwargs):
        raise OperationalError("no such table: accounts_apitoken")

    monkeypatch.setattr(ApiToken.objects.get_queryset().__class__, "update", broken)
    with pytest.raises(OperationalError, match="no such table"):
        auth._touch(token)


# --- the sessions folder -----------------------------------------------------------------------


def test_the_sessions_folder_is_made_private_whatever_the_umask(tmp_path) -> None:
    """The settings make the folder on start-up, beside the default SQLite database."""
    env = {k: v for k, v in os.environ.items() if k != "HARBOUR_DATABASE_URL"}
    env["HARBOUR_VAR_DIR"] = str(tmp_path)
    code = "import os; os.umask(0); import config.settings as s; print(s.SESSION_FILE_PATH)"
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    folder = tmp_path / "sessions"
    assert out.stdout.strip() == str(folder)
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700


FILE_SESSIONS = "django.contrib.sessions.backends.file"


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o770, 0o777, 0o701])
def test_the_deploy_check_warns_of_a_folder_others_can_reach(tmp_path, mode) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o700)
    folder.chmod(mode)
    with override_settings(SESSION_ENGINE=FILE_SESSIONS, SESSION_FILE_PATH=str(folder)):
        (warning,) = check_session_folder()
    assert warning.id == "harbour.W108" and warning.level == checks.WARNING
    assert oct(mode)[2:] in warning.msg and str(folder) in warning.msg


def test_the_deploy_check_accepts_a_private_folder_and_database_sessions(tmp_path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    with override_settings(SESSION_ENGINE=FILE_SESSIONS, SESSION_FILE_PATH=str(folder)):
        assert check_session_folder() == []
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o755)
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.db", SESSION_FILE_PATH=str(open_folder)
    ):
        assert check_session_folder() == []


def test_the_session_folder_check_runs_with_deploy_only() -> None:
    assert check_session_folder in checks.registry.registry.get_checks(
        include_deployment_checks=True
    )
    assert check_session_folder not in checks.registry.registry.get_checks()


@pytest.mark.django_db  # the command also runs the database checks (migrations)
def test_harbour_check_deploy_reports_an_open_folder(tmp_path) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    folder = tmp_path / "sessions"
    folder.mkdir()
    folder.chmod(0o755)
    out = StringIO()
    with override_settings(SESSION_ENGINE=FILE_SESSIONS, SESSION_FILE_PATH=str(folder)):
        try:
            call_command("check", deploy=True, stdout=out, stderr=out)
        except SystemCheckError as exc:  # the test settings fail other deploy checks (e-mail)
            out.write(str(exc))
    assert f"harbour.W108) The sessions folder {folder} has mode 755" in out.getvalue()
