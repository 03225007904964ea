"""What every request pays before and after its view (issue #9, the 5x spike): the queries of
a signed-in page and of an API call are pinned, and the session, user and token reads written
as SQL answer exactly as Django's and the ORM's did, including when they must refuse."""

import sys
import types
import uuid
from typing import Any

import pytest
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db as db_sessions
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone

from harbour.accounts.middleware import SessionStore, model_from_row, session_user
from harbour.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

BARE = "harbour_tests_bare_urls"


def _bare_urlconf() -> str:
    """The project's routes plus a view that does nothing: what the middleware alone costs."""
    from config import urls

    module = types.ModuleType(BARE)
    module.urlpatterns = [path("__bare__/", lambda request: HttpResponse("ok")), *urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules[BARE] = module
    return BARE


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.usefixtures("as_the_web_server")
def test_a_signed_in_page_pays_at_most_its_session_user_scope_step_and_reset(
    caseworker: User, client_for: Any
) -> None:
    client = client_for(caseworker)
    with override_settings(ROOT_URLCONF=_bare_urlconf()):
        assert client.get("/__bare__/").status_code == 200  # the session's first write
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/__bare__/").content == b"ok"
    sql = _sql(queries)
    if connection.vendor == "postgresql":
        # the session, its user with the scope, the second-factor step (not passed), the reset
        assert len(sql) <= 4, sql
    else:
        # SQLite keeps sessions in files: the user and the second-factor step at most
        assert len(sql) <= 2, sql
    assert not any("django_session" in s and "UPDATE" in s for s in sql)


SEEN: list[tuple[str, str]] = []


def _scope_seen(request: Any) -> HttpResponse:
    from harbour.core import tenancy

    SEEN.append(tenancy._current())
    return HttpResponse("ok")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")
@pytest.mark.parametrize("end", ["none", "re-keyed", "deactivated", "forged"])
def test_the_view_runs_in_its_users_scope_and_in_nobodys_once_refused(
    caseworker: User, make_user: Any, client_for: Any, end: str
) -> None:
    from harbour.core import tenancy

    user = make_user("caseworker", caseworker.org)
    client = client_for(user)
    module: Any = types.ModuleType(BARE + "_scope")
    module.urlpatterns = [
        path("__scope__/", _scope_seen),
        *sys.modules[_bare_urlconf()].urlpatterns,
    ]
    sys.modules[BARE + "_scope"] = module
    after: list[tuple[str, str]] = []
    before = tenancy.process_default()
    tenancy.set_process_default(tenancy.NONE)  # as in the web server
    try:
        with override_settings(ROOT_URLCONF=BARE + "_scope"):
            SEEN.clear()
            client.get("/__scope__/")
            after.append(tenancy._current())
            if end == "re-keyed":
                User.objects.filter(pk=user.pk).update(security_stamp=uuid.uuid4().hex)
            elif end == "deactivated":
                User.objects.filter(pk=user.pk).update(is_active=False)
            elif end == "forged":
                session = client.session
                session[auth.HASH_SESSION_KEY] = "forged"
                session.save()
            client.get("/__scope__/")
            after.append(tenancy._current())
    finally:
        tenancy.set_process_default(before)
    assert SEEN[0] == (str(user.org_id), "org")
    assert SEEN[1] == ((str(user.org_id), "org") if end == "none" else ("", "")), end
    assert after == [("", ""), ("", "")]  # and after each request: nobody's


@pytest.fixture
def as_the_web_server() -> Any:
    """A web process's connections see nothing outside a request (tests' see everything)."""
    from harbour.core import tenancy

    default = tenancy.process_default()
    tenancy.set_process_default(tenancy.NONE)
    if connection.vendor == "postgresql":
        tenancy._set("", tenancy.NONE)
    yield
    tenancy.set_process_default(default)
    if connection.vendor == "postgresql":
        tenancy._set("", default)


@pytest.mark.usefixtures("as_the_web_server")
def test_an_api_call_reads_no_session_and_pays_widen_token_reset(
    caseworker: User, client_for: Any
) -> None:
    from harbour.core import tenancy

    with tenancy.widened("tests: a token issued outside a request"):
        _token, plain = _issue(caseworker)
    client = client_for(caseworker)  # the browser's session cookie goes along, as in the load run
    client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")  # the token's first use: touched
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    assert response.json()["id"] == str(caseworker.pk)
    assert response.json()["organisation"] == caseworker.org.name
    sql = _sql(queries)
    assert not any("django_session" in s for s in sql), sql
    # PostgreSQL: widen, the token with its user and organisation and the user's scope, reset
    assert len(sql) == (3 if connection.vendor == "postgresql" else 1), sql


def test_the_api_ignores_the_session_cookie(caseworker: User, client_for: Any) -> None:
    client = client_for(caseworker)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def _issue(user: User) -> tuple[ApiToken, str]:
    from harbour.accounts.actions import issue_token

    return issue_token(by=user, name="overhead")


def test_a_token_stops_at_its_next_request_when_revoked_expired_or_its_user_deactivated(
    caseworker: User, make_user: Any
) -> None:
    for end in ("revoked", "expired", "deactivated", "must_change_password"):
        user = make_user("caseworker", caseworker.org)
        token, plain = _issue(user)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        assert api.get("/api/v1/me").status_code == 200
        if end == "revoked":
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        elif end == "expired":
            ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
        else:
            field = "is_active" if end == "deactivated" else "must_change_password"
            User.objects.filter(pk=user.pk).update(**{field: end != "deactivated"})
        assert api.get("/api/v1/me").status_code == 401, end


def test_a_session_stops_at_its_next_request_when_ended_or_its_user_deactivated(
    caseworker: User, make_user: Any, client_for: Any
) -> None:
    for end in ("flushed", "expired", "deactivated", "re-keyed", "deleted"):
        user = make_user("caseworker", caseworker.org)
        client = client_for(user)
        assert client.get("/cases/").status_code == 200
        key = client.cookies["sessionid"].value if "sessionid" in client.cookies else None
        if end == "flushed":
            client.session.flush() if key is None else _end_session(key)
        elif end == "expired":
            _expire_session(client, key)
        elif end == "deactivated":
            User.objects.filter(pk=user.pk).update(is_active=False)
        elif end == "re-keyed":
            User.objects.filter(pk=user.pk).update(security_stamp=uuid.uuid4().hex)
        else:
            user.delete()
        response = client.get("/cases/")
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], end


def _end_session(key: str) -> None:
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore(key).delete()


def _expire_session(client: Client, key: str | None) -> None:
    from django.conf import settings
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE.endswith(".db"):
        Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    else:  # the file store reads the file's age
        import os

        store = client.session
        file = store._key_to_file()  # type: ignore[attr-defined]
        os.utime(file, (0, 0))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")
def test_a_session_check_that_fails_leaves_the_connection_in_nobodys_scope(
    caseworker: User, make_user: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's read scopes the connection before the session is verified: if the refusal
    itself fails (here the flush of a re-keyed session), the next request on this connection
    (the sign-in page, a public page) must not see that organisation's rows."""
    from harbour.core import tenancy

    user = make_user("caseworker", caseworker.org)
    client = client_for(user)
    client.raise_request_exception = False
    User.objects.filter(pk=user.pk).update(security_stamp=uuid.uuid4().hex)

    def broken(self: Any) -> None:
        raise RuntimeError("the session's row could not be deleted")

    monkeypatch.setattr(SessionStore, "flush", broken)
    before = tenancy.process_default()
    tenancy.set_process_default(tenancy.NONE)  # as in the web server
    try:
        with override_settings(ROOT_URLCONF=_bare_urlconf()):
            assert client.get("/__bare__/").status_code == 500
            assert tenancy._current() == ("", "")
    finally:
        tenancy.set_process_default(before)


def _request_with(session: Any) -> Any:
    request = RequestFactory().get("/")
    request.session = session
    return request


@pytest.mark.parametrize("case", ["valid", "inactive", "deleted", "re-keyed", "no hash", "none"])
def test_session_user_answers_as_djangos_get_user(
    caseworker: User, make_user: Any, case: str
) -> None:
    user = make_user("caseworker", caseworker.org)
    session = SessionStore()
    if case != "none":
        session[auth.SESSION_KEY] = str(user.pk)
        session[auth.BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    if case == "no hash":
        del session[auth.HASH_SESSION_KEY]
    session.save()
    if case == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif case == "deleted":
        user.delete()
    elif case == "re-keyed":
        User.objects.filter(pk=user.pk).update(security_stamp=uuid.uuid4().hex)
    # Each reads its own copy of the session: the first to refuse it flushes its row, and the
    # second would then refuse an empty session, whatever it made of the hash.
    copy = SessionStore()
    copy.update(SessionStore(session.session_key).load())
    copy.save()
    djangos = auth.get_user(_request_with(SessionStore(copy.session_key)))
    ours = session_user(_request_with(SessionStore(session.session_key)))
    assert type(ours) is type(djangos)
    if case == "valid":
        assert ours.pk == djangos.pk == user.pk
        assert {f.attname: getattr(ours, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(djangos, f.attname) for f in User._meta.concrete_fields
        }
    else:
        assert isinstance(ours, AnonymousUser), case


def test_the_session_store_reads_djangos_sessions_and_django_reads_its(caseworker: User) -> None:
    theirs = db_sessions.SessionStore()
    theirs["x"] = 1
    theirs.save()
    assert SessionStore(theirs.session_key).load() == {"x": 1}
    ours = SessionStore()
    ours["y"] = 2
    ours.save()
    assert db_sessions.SessionStore(ours.session_key).load() == {"y": 2}
    assert SessionStore("a" * 32).load() == {}  # unknown: empty, as Django's
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=ours.session_key).update(expire_date=timezone.now())
    ended = SessionStore(ours.session_key)
    assert ended.load() == {} and ended.session_key is None


def test_a_row_becomes_the_instance_the_orm_makes(caseworker: User) -> None:
    names = [str(f.column) for f in User._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(names)} FROM accounts_user WHERE email = %s",  # noqa: S608
            [caseworker.email],
        )
        row = cursor.fetchone()
    ours = model_from_row(User, "default", row)
    orm = User.objects.get(pk=caseworker.pk)
    for field in User._meta.concrete_fields:
        assert getattr(ours, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(ours, field.attname)) is type(getattr(orm, field.attname)), field.name
    assert ours._state.adding is False and ours._state.db == "default"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")
def test_a_refused_token_leaves_the_scope_as_it_was_and_a_good_one_scopes_to_its_user(
    caseworker: User, make_user: Any
) -> None:
    from harbour.core import tenancy

    user = make_user("caseworker", caseworker.org)
    _token, plain = _issue(user)
    default = tenancy.process_default()
    request = RequestFactory().get("/api/v1/me")
    try:
        for start in (tenancy.NONE, tenancy.ALL):  # the web server's, and inside a wider block
            tenancy.set_process_default(start)
            tenancy._set("", start)
            _refused_then_accepted(user, plain, request)
    finally:
        tenancy.set_process_default(default)
        tenancy._set("", default)


def _refused_then_accepted(user: User, plain: str, request: Any) -> None:
    from harbour.api.auth import TokenAuth
    from harbour.core import tenancy

    before = tenancy._current()
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    assert TokenAuth().authenticate(request, plain) is None
    assert tenancy._current() == before
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    found = TokenAuth().authenticate(request, plain)
    assert found is not None and found.pk == user.pk and found.org.pk == user.org_id
    assert tenancy._current() == (str(user.org_id), "org")
    tenancy.reset()
    assert tenancy._current() == before


def test_a_django_upgrade_that_changes_get_user_is_noticed() -> None:
    """`session_user` is Django 6.1's `get_user` with the user's row read by SQL (ADR 37, third
    amendment): when an upgrade changes `get_user` (a security fix, say), this fails, so that
    the copy is brought up to date by someone who read the change, and then this digest."""
    import hashlib
    import inspect

    source = inspect.getsource(auth.get_user).encode()
    assert hashlib.sha256(source).hexdigest() == (
        "08a852f701f765bc91f251764cc682d2d3f59d5d0fdfa2e1fc6fb9bba45ba960"
    ), "django.contrib.auth.get_user changed: compare it with accounts.middleware.session_user"
