"""The spike's sign-ins (issue #9): after the password, one redirect straight to the person's
first page, and that page does not write the session again (sign-in wrote what it needs)."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from harbour.accounts.middleware import SESSION_WRITTEN_AT, SIGNED_IN_AT
from harbour.accounts.models import User
from harbour.testenv import PASSWORD
from harbour.web.views import LANDING

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(LANDING))
def test_sign_in_goes_straight_to_the_first_page(make_user: Any, org: Any, role: str) -> None:
    user: User = make_user(role, org)
    client = Client()
    answer = client.post("/accounts/sign-in/", {"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    if role == "caseworker":  # the roles without a second factor to set up first
        from django.urls import reverse

        assert answer["Location"] == reverse(LANDING[role])
        session = client.session
        assert session[SIGNED_IN_AT] == session[SESSION_WRITTEN_AT]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(answer["Location"]).status_code == 200
        assert not any("UPDATE" in q["sql"] and "session" in q["sql"] for q in queries), queries
    else:  # every other role sets up its second factor first (ADR 38)
        assert answer["Location"] == "/accounts/security/"


def test_next_is_still_followed(caseworker: User) -> None:
    answer = Client().post(
        "/accounts/sign-in/?next=/cases/search/", {"email": caseworker.email, "password": PASSWORD}
    )
    assert answer["Location"] == "/cases/search/"
