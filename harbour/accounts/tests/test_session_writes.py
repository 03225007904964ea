"""Sessions are re-written at most once a minute, not on every request (issue #12: the idle
limit was kept by SESSION_SAVE_EVERY_REQUEST, a database write per page), and the idle limit
still holds: an idle person is signed out, a person at work is not. Run with both session stores
Harbour uses (files on SQLite, the database on PostgreSQL), whatever the test database is."""

import datetime as dt
import os
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from harbour.accounts.middleware import SESSION_WRITTEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

STORES = {
    "db": "django.contrib.sessions.backends.db",
    "file": "django.contrib.sessions.backends.file",
}


@pytest.fixture(params=sorted(STORES))
def store(request, settings, tmp_path):
    settings.SESSION_ENGINE = STORES[request.param]
    settings.SESSION_FILE_PATH = str(tmp_path)
    return request.param


def _store_class():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _saves():
    """Counts the session writes made while it is open."""
    cls = _store_class()
    return mock.patch.object(cls, "save", autospec=True, side_effect=cls.save)


def _age(client, store, seconds):
    """Make the client's session look `seconds` older: its time stamps and its store's expiry
    (the database row's expire_date, or the file's modification time), as if that long had
    passed since it was last written."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = _store_class()(key)
    if store == "db":
        expires = Session.objects.get(session_key=key).expire_date
    else:
        path = session._key_to_file()
        written = os.stat(path).st_mtime
    for stamp in (SESSION_WRITTEN_AT, SIGNED_IN_AT):
        if stamp in session:
            session[stamp] = session[stamp] - seconds
    session.save()
    if store == "db":
        earlier = expires - dt.timedelta(seconds=seconds)
        Session.objects.filter(session_key=key).update(expire_date=earlier)
    else:
        os.utime(path, (written - seconds, written - seconds))


def _signed_in(client):
    return client.get("/cases/").status_code == 200


def test_requests_within_a_minute_write_the_session_once(store, client_for, caseworker):
    client = client_for(caseworker)
    with _saves() as saves:
        assert _signed_in(client) and _signed_in(client) and _signed_in(client)
        assert saves.call_count == 1, "the session was written on every request"
        _age(client, store, settings.SESSION_REFRESH_SECONDS)
        saves.reset_mock()
        assert _signed_in(client) and _signed_in(client)
    assert saves.call_count == 1, "a session a minute old is written again, once"


def test_an_idle_person_is_still_signed_out(store, client_for, caseworker):
    client = client_for(caseworker)
    assert _signed_in(client)
    _age(client, store, settings.SESSION_IDLE_MINUTES * 60 + 1)
    page = client.get("/cases/")
    assert page.status_code == 302 and page.url.startswith(reverse("accounts:login"))


def test_a_person_at_work_stays_signed_in_past_the_idle_limit(store, client_for, caseworker):
    client = client_for(caseworker)
    step = settings.SESSION_REFRESH_SECONDS - 10
    elapsed = 0
    while elapsed <= settings.SESSION_IDLE_MINUTES * 60 + step:
        assert _signed_in(client), f"signed out after {elapsed} s of work"
        _age(client, store, step)
        elapsed += step


def test_a_visitor_gets_no_session(store, client):
    with _saves() as saves:
        assert client.get(reverse("accounts:login")).status_code == 200
    assert saves.call_count == 0
