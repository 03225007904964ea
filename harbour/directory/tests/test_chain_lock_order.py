"""Filling the service regions of hidden locations writes one event per location in its
organisation's chain: the chains are taken in one order (ADR 35), not in the locations' order."""

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from harbour.audit.actions import SystemActor
from harbour.audit.tests.crossing import chains_taken
from harbour.directory import actions
from harbour.directory.models import HiddenRegion, Location

pytestmark = pytest.mark.django_db


def test_filling_regions_takes_the_chains_in_their_order(
    monkeypatch: pytest.MonkeyPatch, make_org: Callable[..., Any], make_hidden_safe_house: Any
) -> None:
    orgs = [make_org(), make_org()]
    for n in count():
        org = orgs[n % 2]
        make_hidden_safe_house(
            org, name=f"House {n}", street=f"{n} King St", postal="M5H 1A1", at=(43.65, -79.38)
        )
        chains = [str(o) for o in Location.objects.order_by("pk").values_list("org_id", flat=True)]
        if chains != sorted(chains):
            break  # the locations' order is not the chains'
    HiddenRegion.objects.all().delete()  # saved before regions existed
    taken = chains_taken(monkeypatch)
    assert actions.fill_regions(by=SystemActor("tests")) == Location.objects.count()
    assert {str(o.pk) for o in orgs} <= set(taken)
    assert taken == sorted(taken)
