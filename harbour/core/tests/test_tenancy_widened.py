"""`tenancy.widened` in two round trips (issue 9, the load run: every API request widens for its
token): it reads the scope and widens in one statement, and puts back exactly what was there."""

import pytest
from django.db import DatabaseError, connection, transaction

from harbour.cases.models import Case
from harbour.core import tenancy
from harbour.core.testing import application_role, set_scope

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]


@pytest.mark.parametrize("scope", ["org", "", "none"])
def test_widened_sees_every_row_then_exactly_the_scope_before(two_cases, scope) -> None:
    mine, _theirs = two_cases
    org = "" if scope == "none" else str(mine.org_id)
    with application_role():
        set_scope(org, "" if scope == "none" else scope)
        before = tenancy._current()
        seen = Case.objects.count()
        with tenancy.widened("test"):
            assert tenancy._current() == (before[0], tenancy.ALL)
            assert Case.objects.count() == 2
        assert tenancy._current() == before
        assert Case.objects.count() == seen < 2


def test_two_round_trips_and_one_when_already_widened(two_cases, django_assert_num_queries) -> None:
    mine, _theirs = two_cases
    with application_role():
        set_scope(mine.org_id, "org")
        with (
            django_assert_num_queries(3),  # read-and-widen, the inner one, restore
            tenancy.widened("outer"),
            django_assert_num_queries(1),  # read only: already every row
            tenancy.widened("inner"),
        ):
            pass
        assert tenancy._current() == (str(mine.org_id), "org")


def test_an_error_inside_leaves_the_rollback_to_restore_the_scope(two_cases) -> None:
    mine, _theirs = two_cases
    with application_role():
        set_scope(mine.org_id, "org")
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            tenancy.widened("test"),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1 / 0")
        assert tenancy._current() == (str(mine.org_id), "org")
        assert Case.objects.count() == 1
