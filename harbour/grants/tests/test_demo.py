"""The demo inventory: enough funders, programs and awards to explore, clearly synthetic."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from harbour.audit.actions import SystemActor
from harbour.grants import demo, queries
from harbour.grants.models import Award, Committee, Funder, FunderKind, Program

pytestmark = pytest.mark.django_db


def test_the_demo_inventory(make_org: Callable[..., Any]) -> None:
    orgs = [
        make_org(type="ngo", province="CA-ON", provinces_served=["CA-ON"]),
        make_org(type="indigenous_led", province="CA-MB", provinces_served=["CA-MB", "CA-NU"]),
        make_org(type="law_enforcement", province="CA-AB", provinces_served=["CA-AB"]),
        make_org(type="survivor_led", province="CA-QC", provinces_served=["CA-QC"]),
    ]
    national = make_org(type="national_coordinating_body")
    today = dt.date(2026, 12, 4)
    counts = demo.load_demo(by=SystemActor("demo"), orgs=orgs, national=national, today=today)
    assert counts["funders"] >= 15 and counts["programs"] >= 40
    assert set(Funder.objects.values_list("kind", flat=True)) == set(FunderKind.values)
    assert not Program.objects.filter(is_synthetic=False).exists()
    assert all(p.name_fr and p.name_en.strip() for p in Program.objects.all())
    years = {d.year for d in Award.objects.values_list("starts_on", flat=True)}
    assert len(years) >= 4
    eligible = queries.eligible_for(orgs[1], Program.objects.all(), today)
    assert any("healing" in p.code for p in eligible)
    assert queries.missing_groups(Committee.objects.get(code="demo-data")) == ["survivors"]
    assert queries.missing_groups(Committee.objects.get(code="demo-national")) == []
