"""Row-level security on PostgreSQL: the database refuses what a missed filter would leak (ADR 40).

Run as an ordinary role (superusers bypass row-level security), as production connects.
"""

import os

import pytest
from django.db import DatabaseError, connection, transaction

from harbour.cases.models import Case, Survivor
from harbour.core import tenancy
from harbour.core.testing import application_role, raw_count, set_scope

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]


def test_every_organisation_table_is_under_a_forced_policy() -> None:
    # The tenant tables, and the tables whose model declares its rule (the audit trail).
    tables = sorted(tenancy.secured_tables())
    assert set(tenancy.tenant_tables()) <= set(tables)
    assert {"cases_case", "cases_survivor", "sharing_consent", "sharing_referral"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
            " AND relname = ANY(%s)",
            [tables],
        )
        secured = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [tenancy.POLICY])
        with_policy = {row[0] for row in cursor.fetchall()}
    assert secured == set(tables) == with_policy


def test_a_raw_query_without_an_organisation_set_returns_nothing(two_cases) -> None:
    with application_role():
        set_scope("", "")
        for table in tenancy.tenant_tables():
            assert raw_count(table) == 0, table


def test_an_organisations_scope_sees_only_its_rows_and_all_sees_every_row(two_cases) -> None:
    mine, theirs = two_cases
    with application_role():
        set_scope(mine.org_id, "org")
        assert list(Case.objects.values_list("pk", flat=True)) == [mine.pk]  # no filter at all
        assert Survivor.objects.filter(pk=theirs.survivor_id).count() == 0
        set_scope("", tenancy.ALL)
        assert Case.objects.count() == 2


def test_writing_a_row_for_another_organisation_is_refused(two_cases) -> None:
    mine, theirs = two_cases
    with application_role():
        set_scope(mine.org_id, "org")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET org_id = %s WHERE id = %s", [theirs.org_id, mine.pk]
            )
        # Updating or deleting their rows silently touches nothing: they are not there.
        assert Case.objects.filter(pk=theirs.pk).update(status="closed") == 0


def test_widened_is_scoped_to_its_block_and_restores_the_user_scope(two_cases) -> None:
    mine, _theirs = two_cases
    with application_role():
        set_scope(mine.org_id, "org")
        with tenancy.widened("test"):
            assert Case.objects.count() == 2
        assert Case.objects.count() == 1


def test_the_app_scopes_each_request_to_the_users_organisation(
    two_cases, caseworker, outsider, client_for, api_for
) -> None:
    mine, theirs = two_cases
    with application_role():
        tenancy.reset()
        web, api = client_for(caseworker), api_for(outsider)
        assert web.get(f"/cases/{mine.pk}/").status_code == 200
        assert web.get(f"/cases/{theirs.pk}/").status_code == 404
        listed = api.get("/api/v1/cases").json()
        assert [c["id"] for c in listed["results"]] == [str(theirs.pk)]
        # After each request the connection is back to the process default (every row, here,
        # as the tests act like an operator's command); a web server's default is nothing.
        assert Case.objects.count() == 2


def test_the_deployment_check_warns_when_the_role_bypasses_row_level_security() -> None:
    from harbour.core.checks import check_row_level_security_applies

    if os.environ.get("HARBOUR_TEST_DB_ROLE"):
        pytest.skip("this run already connects as an ordinary role")
    as_superuser = check_row_level_security_applies(databases=["default"])  # tests: postgres
    assert [m.id for m in as_superuser] == ["harbour.W105"]
    with application_role():
        assert check_row_level_security_applies(databases=["default"]) == []
    assert check_row_level_security_applies(databases=None) == []
