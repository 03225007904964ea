"""The survivor key store, on both back ends: SQLite (a file) and PostgreSQL (a database of its
own; here the test database, through a connection of its own)."""

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from harbour.orgs import keystore

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[keystore.KeyStore]:
    if request.param == "sqlite":
        opened = keystore.open_store(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    else:
        if connection.vendor != "postgresql":
            pytest.skip("the PostgreSQL key store runs with the PostgreSQL suite")
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        opened = keystore.open_store(url)
    yield opened
    opened.close()


def _key(org: str = "org-1", version: int = 1) -> keystore.StoredKey:
    return keystore.StoredKey(str(uuid.uuid4()), org, version, "wrapped-bytes", keystore._now())


def test_keys_are_stored_once_and_read_back(store) -> None:
    key = _key()
    assert store.get(key.subject_id) is None
    assert store.add(key) == key
    rival = keystore.StoredKey(key.subject_id, "org-1", 1, "another", keystore._now())
    assert store.add(rival).wrapped == "wrapped-bytes"  # the first writer wins
    assert store.get(key.subject_id) == key


def test_destroying_leaves_a_tombstone_without_the_key(store) -> None:
    key = store.add(_key())
    assert store.destroy([key.subject_id, str(uuid.uuid4())]) == 1
    gone = store.get(key.subject_id)
    assert gone is not None and gone.destroyed and gone.wrapped == ""
    assert store.destroy([key.subject_id]) == 0
    store.rewrap(key.subject_id, "resurrected", 2)
    assert store.get(key.subject_id).wrapped == ""  # a destroyed key is never written again


def test_rewrapping_and_the_versions_an_organisation_still_needs(store) -> None:
    org = str(uuid.uuid4())
    first, second = store.add(_key(org, 1)), store.add(_key(org, 1))
    store.add(_key(str(uuid.uuid4()), 7))
    assert store.versions_in_use(org) == {1}
    store.rewrap(first.subject_id, "new", 2)
    assert store.versions_in_use(org) == {1, 2}
    store.destroy([second.subject_id])
    assert store.versions_in_use(org) == {2}
    assert [k.subject_id for k in store.live_keys(org)] == [first.subject_id]


def test_concurrent_writers_of_one_subject_agree(store) -> None:
    subject = str(uuid.uuid4())
    results: list[str] = []

    def write(n: int) -> None:
        key = keystore.StoredKey(subject, "org", 1, f"writer-{n}", keystore._now())
        results.append(store.add(key).wrapped)
        store.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 4


def test_a_malformed_key_store_url_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="HARBOUR_KEYSTORE_URL"):
        keystore.open_store("mysql://somewhere/keys")


def test_many_keys_are_stored_in_one_write_and_an_existing_one_is_kept(store) -> None:
    first = store.add(_key())
    rival = keystore.StoredKey(first.subject_id, "org-1", 1, "another", keystore._now())
    many = [_key() for _ in range(50)]
    store.add_many([*many, rival])
    assert [store.get(k.subject_id) for k in many] == many
    assert store.get(first.subject_id) == first
    assert store.versions_in_use("org-1") == {1}


def test_first_connections_to_a_new_file_all_open_it(tmp_path) -> None:
    """Threads opening a new key store side by side all switch it to write-ahead logging (one
    of two connections switching together is told "database is locked" at once, whatever the
    busy timeout: it waits and asks again)."""
    failures: list[BaseException] = []
    for round_ in range(40):
        store = keystore.SQLiteKeyStore(str(tmp_path / f"keys-{round_}.sqlite3"))

        def write(n: int, store: keystore.SQLiteKeyStore = store) -> None:
            try:
                store.add(keystore.StoredKey(str(uuid.uuid4()), "org", 1, f"w{n}", keystore._now()))
            except BaseException as exc:
                failures.append(exc)
            finally:
                store.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
