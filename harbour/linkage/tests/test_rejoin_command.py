"""`harbour linkage rejoin` with an --org that is not an id, or no organisation's: a clear error
that says which, and nothing changes — the organisation that left stays out, nothing is encoded,
nothing is audited (issue #12, review finding 4)."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harbour.audit.models import AuditEvent
from harbour.linkage import queries
from harbour.linkage.models import SurvivorEncoding, Withdrawal

pytestmark = pytest.mark.django_db


@pytest.fixture
def left(make_case, caseworker, org):
    """`org` with two survivors, which has left record linkage."""
    make_case(caseworker)
    make_case(caseworker)
    call_command("linkage_withdraw", "--org", str(org.pk), stdout=StringIO())
    assert queries.has_left(org.pk) and not SurvivorEncoding.objects.filter(org=org).exists()
    return org


def _state(org):
    return (
        list(Withdrawal.objects.values_list("pk", "org_id", "rejoined_at").order_by("pk")),
        SurvivorEncoding.objects.count(),
        AuditEvent.objects.count(),
        queries.has_left(org.pk),
    )


@pytest.mark.parametrize(
    "given",
    ["", "   ", "lakeshore-toronto", "1234", "not-a-uuid", f"{uuid.UUID(int=7)}0", "x" * 300],
)
def test_a_value_that_is_not_an_id_is_refused_and_changes_nothing(left, given):
    before = _state(left)
    with pytest.raises(CommandError) as refused:
        call_command("linkage_rejoin", "--org", given, stdout=StringIO())
    message = str(refused.value)
    assert "--org takes an organisation's id" in message and "Nothing was changed." in message
    assert f"“{given}”" in message, "the error shows the value it refused"
    assert _state(left) == before


def test_an_id_of_no_organisation_is_refused_and_changes_nothing(left):
    before = _state(left)
    unknown = uuid.uuid4()
    with pytest.raises(CommandError, match=f"No organisation has the id {unknown}. Nothing"):
        call_command("linkage_rejoin", "--org", str(unknown), stdout=StringIO())
    assert _state(left) == before


def test_the_organisations_own_id_still_rejoins_it_even_with_spaces_around(left):
    out = StringIO()
    call_command("linkage_rejoin", "--org", f"  {left.pk} ", stdout=out)
    assert "rejoined record linkage: 2 survivors encoded" in out.getvalue()
    assert not queries.has_left(left.pk)
    assert SurvivorEncoding.objects.filter(org=left).count() == 2
