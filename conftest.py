"""Shared test fixtures. Everything is created through actions, as the application would."""

import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from harbour.accounts.actions import create_user, issue_token
from harbour.accounts.models import User
from harbour.audit.actions import SystemActor
from harbour.cases import actions as case_actions
from harbour.cases.models import Case
from harbour.core import tenancy
from harbour.core.testing import application_role
from harbour.orgs.actions import create_organisation
from harbour.orgs.models import Organisation
from harbour.testenv import PASSWORD

SYSTEM = SystemActor("tests")
# As harbour.core.testing creates it: an ordinary role, which row-level security applies to.
CREATE_ROLE = """
DO $$ BEGIN
  CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$
"""


@pytest.fixture(autouse=True)
def english_after_each_test() -> Any:
    """A request in French activates French in this thread; the next test starts in English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def force_login_passes_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that sign someone in with `force_login` skip the password, so they skip the second
    factor too: the session is marked as having passed it. The real two-step sign-in is tested
    through the sign-in form (accounts/tests/test_second_factor_web.py)."""
    from harbour.accounts.middleware import mark_second_factor_passed

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        mark_second_factor_passed(session, user, "tests")
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


_counter = itertools.count(1)

# Fixtures and test code act as an operator would (commands see every organisation); the
# requests they make are scoped to the signed-in user by the middleware (ADR 40).
tenancy.set_process_default(tenancy.ALL)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """pytest-django's test database, and on PostgreSQL the ordinary roles the tests switch to,
    created once and committed.

    A role belongs to the whole server, not to a database: created inside a test's transaction
    (which is rolled back), it was created again by every test, and each test's CREATE ROLE
    waited for the other worker's (or another checkout's) open test transaction to end, so the
    workers took turns. Created here, `application_role` finds it and only grants and switches."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        roles = {"harbour_app_test", os.environ.get("HARBOUR_TEST_DB_ROLE") or "harbour_app_test"}
        with connection.cursor() as cursor:
            for role in sorted(roles):
                cursor.execute(CREATE_ROLE.format(role=connection.ops.quote_name(role)))


@pytest.fixture(autouse=True)
def _as_application_role(request: pytest.FixtureRequest) -> Any:
    """With HARBOUR_TEST_DB_ROLE set (PostgreSQL), every database test runs as that ordinary
    role, so row-level security applies to everything the test and the app do."""
    role = os.environ.get("HARBOUR_TEST_DB_ROLE", "")
    wants_db = request.node.get_closest_marker("django_db") or "db" in request.fixturenames
    if not role or not wants_db:
        yield
        return
    request.getfixturevalue("db")
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with application_role(role):
        yield


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    def make(**fields: Any) -> Organisation:
        n = next(_counter)
        values = {
            "name_en": f"Test organisation {n}",
            "name_fr": f"Organisme d'essai {n}",
            "short_name": f"test-org-{n}",
            "type": "ngo",
            "province": "CA-ON",
            "city": "Toronto",
            "provinces_served": ["CA-ON"],
        } | fields
        return create_organisation(by=SYSTEM, **values)

    return make


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org()


@pytest.fixture
def other_org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(province="CA-BC", city="Vancouver", provinces_served=["CA-BC"])


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str, org: Organisation, **fields: Any) -> User:
        n = next(_counter)
        values: dict[str, Any] = {
            "email": f"user{n}@example.org",
            "full_name": f"Test User {n}",
            "password": PASSWORD,
            "must_change_password": False,
        } | fields
        return create_user(by=SYSTEM, org_id=org.pk, role=role, **values)

    return make


@pytest.fixture
def caseworker(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user("caseworker", org)


@pytest.fixture
def supervisor(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user("supervisor", org)


@pytest.fixture
def org_admin(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user("org_admin", org)


@pytest.fixture
def outsider(make_user: Callable[..., User], other_org: Organisation) -> User:
    """A caseworker of another organisation: must never see `org`'s records."""
    return make_user("caseworker", other_org)


SURVIVOR = {
    "given_name": "Élodie",
    "family_name": "Tremblay",
    "birth_date": "1998-04-02",
    "gender_identity": "woman",
    "mobile_phone": "+14165550199",
}
CASE = {
    "intake_date": "2026-11-02",
    "intake_province": "CA-ON",
    "consent_to_record": True,
    "exploitation_types": ["sexual_exploitation"],
    "current_needs": ["safe_housing"],
    "trafficking_status": "possible",
}


@pytest.fixture
def make_case(db: Any) -> Callable[..., Case]:
    def make(
        by: User,
        survivor: dict[str, Any] | None = None,
        case: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Case:
        created, _new = case_actions.start_intake(
            by=by,
            survivor_values=SURVIVOR | (survivor or {}),
            case_values=CASE | (case or {}),
            **kwargs,
        )
        return created

    return make


@pytest.fixture
def case(make_case: Callable[..., Case], caseworker: User) -> Case:
    return make_case(caseworker)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return signed_in


@pytest.fixture
def api_for(db: Any) -> Callable[[User], Client]:
    """A test client that sends the user's bearer token on every request."""

    def make(user: User) -> Client:
        _token, plain = issue_token(by=user, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")

    return make


@pytest.fixture
def make_hidden_safe_house(db: Any) -> Callable[..., Any]:
    """A safe house of `org` whose location is hidden: its address must never leave `org`."""
    from harbour.directory import actions as directory

    def make(org: Organisation, *, name: str, street: str, postal: str, at: tuple) -> Any:
        directory.ensure_taxonomy(by=SYSTEM)
        provider = directory.create_provider(by=SYSTEM, name=f"{name} House", org=org)
        service = directory.create_service(
            by=SYSTEM,
            provider=provider,
            values={"name": f"{name} Safe House"},
            terms=["safe_house"],
            languages=["eng"],
            areas=[],
            phone="+1 416 555 0100",
        )
        location = directory.save_location(
            by=SYSTEM,
            service=service,
            values={
                "name": name,
                "confidentiality": "hidden",
                "latitude": at[0],
                "longitude": at[1],
                "location_type": "physical",
            },
            address={
                "address_1": street,
                "city": "Toronto",
                "state_province": "CA-ON",
                "postal_code": postal,
            },
        )
        return service, location

    return make
