"""Identity reads of records of several organisations in one transaction take their chains in
one order (ADR 35), not in the order the records were read. Today's callers read one
organisation's records; this holds the rule should one read across."""

from typing import Any

import pytest

from harbour.audit.tests.crossing import chains_taken
from harbour.cases import actions

pytestmark = pytest.mark.django_db


def test_identity_reads_of_two_organisations_take_their_chains_in_order(
    monkeypatch: pytest.MonkeyPatch, make_case: Any, caseworker: Any, outsider: Any
) -> None:
    cases = sorted(
        (make_case(caseworker), make_case(outsider)), key=lambda c: str(c.org_id), reverse=True
    )
    taken = chains_taken(monkeypatch)
    actions.record_identity_reads(
        by=caseworker, reads=[(c, ["family_name"]) for c in cases], purpose="case_view"
    )
    assert taken == sorted(str(c.org_id) for c in cases)
