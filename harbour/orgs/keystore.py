"""The survivor key store: each survivor's data key, wrapped by their organisation's data key,
kept OUTSIDE the database (ADR 36).

Why outside: a backup of the database taken before an erasure, restored later, holds everything
the database held then. If the survivor's key were in the database, the backup plus the keys that
remain (the master key and the organisation keys) would open their data again. Kept here, the
erased survivor's key is gone from the only place it lived; the database and all its backups hold
ciphertext nobody can open. (The store's own backups must therefore be kept only as long as
erasures may take to reach them; see docs/how-to/deploy.md.)

Two back ends, chosen by HARBOUR_KEYSTORE_URL: a SQLite file (the default, in HARBOUR_VAR_DIR)
or a PostgreSQL database of its own. Each key is written durably before the database
transaction that uses it commits; a destroyed key leaves a tombstone (when, never the key).
"""

import datetime as dt
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TABLE = "harbour_subject_key"
logger = logging.getLogger(__name__)
_COLUMNS = "subject_id, org_id, org_key_version, wrapped, created_at, destroyed_at"


@dataclass(frozen=True)
class StoredKey:
    subject_id: str
    org_id: str
    org_key_version: int
    wrapped: str  # "" once destroyed
    created_at: str
    destroyed_at: str | None = None

    @property
    def destroyed(self) -> bool:
        return self.destroyed_at is not None


class KeyStore(Protocol):
    def get(self, subject_id: str) -> StoredKey | None: ...
    def add(self, key: StoredKey) -> StoredKey: ...
    def add_many(self, keys: list[StoredKey]) -> None: ...
    def rewrap(self, subject_id: str, wrapped: str, org_key_version: int) -> None: ...
    def destroy(self, subject_ids: Iterable[str]) -> int: ...
    def live_keys(self, org_id: str) -> Iterator[StoredKey]: ...
    def versions_in_use(self, org_id: str) -> set[int]: ...
    def close(self) -> None: ...
    def compact(self) -> None: ...


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _values(key: StoredKey) -> tuple[str, str, int, str, str]:
    return (key.subject_id, key.org_id, key.org_key_version, key.wrapped, key.created_at)


def _row(values: Any) -> StoredKey:
    return StoredKey(str(values[0]), str(values[1]), int(values[2]), *values[3:])


def _write_ahead_log(conn: sqlite3.Connection) -> None:
    """Switch a new file to write-ahead logging. The mode is kept in the file, so only the first
    connections of a new key store switch it; SQLite answers "database is locked" at once, not
    after the busy timeout, to one of two connections switching together (threads starting
    side by side): that one waits and asks again."""
    for attempt in range(200):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 199:
                raise
            time.sleep(0.01)


class SQLiteKeyStore:
    """A file beside the database. Deleted keys are overwritten (secure_delete) and the
    write-ahead log is truncated after a destruction, so the key does not linger in the file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=20, isolation_level=None)
            _write_ahead_log(conn)
            for pragma in ("synchronous=FULL", "secure_delete=ON"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (subject_id TEXT PRIMARY KEY, "
                "org_id TEXT NOT NULL, org_key_version INTEGER NOT NULL, wrapped TEXT NOT NULL, "
                "created_at TEXT NOT NULL, destroyed_at TEXT)"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_org ON {TABLE} (org_id)")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def get(self, subject_id: str) -> StoredKey | None:
        found = (
            self._connection()
            .execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE subject_id = ?", (subject_id,))  # noqa: S608
            .fetchone()
        )
        return _row(found) if found else None

    def add(self, key: StoredKey) -> StoredKey:
        """Insert, unless another writer stored this subject's key first: theirs wins."""
        self._connection().execute(
            f"INSERT OR IGNORE INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",  # noqa: S608
            (key.subject_id, key.org_id, key.org_key_version, key.wrapped, key.created_at),
        )
        stored = self.get(key.subject_id)
        assert stored is not None
        return stored

    def add_many(self, keys: list[StoredKey]) -> None:
        """New survivors' keys in one durable write (a bulk import), not one sync per key.
        Existing subjects are left alone, as `add` leaves them."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                f"INSERT OR IGNORE INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",  # noqa: S608
                [_values(k) for k in keys],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def rewrap(self, subject_id: str, wrapped: str, org_key_version: int) -> None:
        self._connection().execute(
            f"UPDATE {TABLE} SET wrapped = ?, org_key_version = ? "  # noqa: S608
            "WHERE subject_id = ? AND destroyed_at IS NULL",
            (wrapped, org_key_version, subject_id),
        )

    def destroy(self, subject_ids: Iterable[str]) -> int:
        conn = self._connection()
        ids = list(subject_ids)
        conn.execute("BEGIN IMMEDIATE")
        try:
            count = 0
            for subject_id in ids:
                cursor = conn.execute(
                    f"UPDATE {TABLE} SET wrapped = '', destroyed_at = ? "  # noqa: S608
                    "WHERE subject_id = ? AND destroyed_at IS NULL",
                    (_now(), subject_id),
                )
                count += cursor.rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._truncate_log(conn)
        return count

    def _truncate_log(self, conn: sqlite3.Connection) -> None:
        """Old page images (the destroyed keys) stay in the write-ahead log until it is
        checkpointed and truncated; another process reading at that moment makes the checkpoint
        report "busy", so it is retried."""
        for _attempt in range(100):
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(0.05)
        # The erasure itself is done; `harbour orgs sweep-keys` (daily) truncates it later.
        logger.error("the key store's write-ahead log could not be truncated yet: %s", self.path)

    def compact(self) -> None:
        self._truncate_log(self._connection())

    def live_keys(self, org_id: str) -> Iterator[StoredKey]:
        rows = self._connection().execute(
            f"SELECT {_COLUMNS} FROM {TABLE} WHERE org_id = ? AND destroyed_at IS NULL",  # noqa: S608
            (org_id,),
        )
        yield from (_row(r) for r in rows.fetchall())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def versions_in_use(self, org_id: str) -> set[int]:
        rows = self._connection().execute(
            f"SELECT DISTINCT org_key_version FROM {TABLE} "  # noqa: S608
            "WHERE org_id = ? AND destroyed_at IS NULL",
            (org_id,),
        )
        return {int(r[0]) for r in rows.fetchall()}


class PostgresKeyStore:
    """A PostgreSQL database of its own (not the application's, so its dumps are separate)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self._local = threading.local()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or getattr(self._local, "pid", None) != os.getpid():
            conn = psycopg.connect(**self.params, autocommit=True)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (subject_id TEXT PRIMARY KEY, "
                "org_id TEXT NOT NULL, org_key_version INTEGER NOT NULL, wrapped TEXT NOT NULL, "
                "created_at TEXT NOT NULL, destroyed_at TEXT)"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_org ON {TABLE} (org_id)")
            self._local.conn, self._local.pid = conn, os.getpid()
        with conn.cursor() as cursor:
            yield cursor

    def get(self, subject_id: str) -> StoredKey | None:
        with self._cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE subject_id = %s", (subject_id,))  # noqa: S608
            found = cur.fetchone()
        return _row(found) if found else None

    def add(self, key: StoredKey) -> StoredKey:
        with self._cursor() as cur:
            cur.execute(
                f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, NULL) "  # noqa: S608
                "ON CONFLICT (subject_id) DO NOTHING",
                (key.subject_id, key.org_id, key.org_key_version, key.wrapped, key.created_at),
            )
        stored = self.get(key.subject_id)
        assert stored is not None
        return stored

    def add_many(self, keys: list[StoredKey]) -> None:
        with self._cursor() as cur, cur.connection.transaction():
            cur.executemany(
                f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, NULL) "  # noqa: S608
                "ON CONFLICT (subject_id) DO NOTHING",
                [_values(k) for k in keys],
            )

    def rewrap(self, subject_id: str, wrapped: str, org_key_version: int) -> None:
        with self._cursor() as cur:
            cur.execute(
                f"UPDATE {TABLE} SET wrapped = %s, org_key_version = %s "  # noqa: S608
                "WHERE subject_id = %s AND destroyed_at IS NULL",
                (wrapped, org_key_version, subject_id),
            )

    def destroy(self, subject_ids: Iterable[str]) -> int:
        ids = list(subject_ids)
        with self._cursor() as cur:
            cur.execute(
                f"UPDATE {TABLE} SET wrapped = '', destroyed_at = %s "  # noqa: S608
                "WHERE subject_id = ANY(%s) AND destroyed_at IS NULL",
                (_now(), ids),
            )
            count = int(cur.rowcount)
        self.compact()
        return count

    def compact(self) -> None:
        """The old row version of a destroyed key stays in the table file until vacuumed."""
        with self._cursor() as cur:
            cur.execute(f"VACUUM {TABLE}")

    def live_keys(self, org_id: str) -> Iterator[StoredKey]:
        with self._cursor() as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM {TABLE} WHERE org_id = %s AND destroyed_at IS NULL",  # noqa: S608
                (org_id,),
            )
            rows = cur.fetchall()
        yield from (_row(r) for r in rows)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def versions_in_use(self, org_id: str) -> set[int]:
        with self._cursor() as cur:
            cur.execute(
                f"SELECT DISTINCT org_key_version FROM {TABLE} "  # noqa: S608
                "WHERE org_id = %s AND destroyed_at IS NULL",
                (org_id,),
            )
            return {int(r[0]) for r in cur.fetchall()}


_STORES: dict[str, KeyStore] = {}
_LOCK = threading.Lock()


def store() -> KeyStore:
    """The key store HARBOUR_KEYSTORE_URL names (one per process and URL)."""
    url = settings.HARBOUR_KEYSTORE_URL
    with _LOCK:
        if url not in _STORES:
            _STORES[url] = open_store(url)
        return _STORES[url]


def open_store(url: str) -> KeyStore:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return SQLiteKeyStore(unquote(parts.path))
    if parts.scheme in {"postgres", "postgresql"}:
        params = {
            "dbname": unquote(parts.path.lstrip("/")),
            "user": unquote(parts.username or "") or None,
            "password": unquote(parts.password or "") or None,
            "host": parts.hostname,
            "port": parts.port,
        }
        return PostgresKeyStore({k: v for k, v in params.items() if v})
    raise ImproperlyConfigured(
        "HARBOUR_KEYSTORE_URL must be sqlite:///path/to/file or postgres://user@host/database."
    )
