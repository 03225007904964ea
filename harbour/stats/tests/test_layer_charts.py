"""Charts of three-way tables (ADR 46): small multiples, one two-way chart per layer on a shared
scale, titled with the layer's name; withheld figures drawn as such, rounded ones marked; on the
published release page and the analysts' preview, in both languages."""

import re
from typing import Any

import pytest
from django.test import Client

from harbour.stats import actions, layer_charts
from harbour.stats.layer_charts import Panel
from harbour.stats.tests.conftest import intake

pytestmark = pytest.mark.django_db
CONFIG: dict[str, Any] = {
    "title": "Exploitation by recruitment, per region",
    "row_variable": "exploitation_type",
    "col_variable": "recruitment_method",
    "layer_variable": "province",
    "method": "rounding",
}
PANEL = re.compile(r'<figure class="chart-figure layer-chart">.*?</figure>', re.S)
BAR = re.compile(
    r'<g data-value="(?P<value>[^"]*)"><title>(?P<title>[^<]*)</title>.*?'
    r'<rect class="(?P<css>[^"]+)" x="\d+" y="\d+" width="(?P<width>\d+)"',
    re.S,
)


def bars(svg: str) -> dict[str, tuple[str, str, int]]:
    """A panel's bars by their tooltip's "row · column" part: (value, css class, width)."""
    return {
        m["title"].rsplit(":", 1)[0]: (m["value"], m["css"], int(m["width"]))
        for m in BAR.finditer(svg)
    }


def panel_title(panel: str) -> str:
    """A panel's visible heading, which is also its chart's accessible name."""
    found = re.search(
        r'<h3>([^<]*)</h3><svg [^>]*aria-label="([^"]*)"><title>([^<]*)</title>', panel
    )
    assert found is not None and found.group(1) == found.group(2) == found.group(3)
    return found.group(1)


@pytest.fixture
def regions(make_case: Any, caseworker: Any, statistics_agreement: Any) -> None:
    """Ontario: 20 sexual exploitation recruited online, 10 forced labour at work; Manitoba: 5
    forced labour at work. Multiples of 5, so rounding keeps every figure as it is."""
    online = {"exploitation_types": ["sexual_exploitation"]}
    at_work = {"exploitation_types": ["forced_labour"], "recruitment_methods": ["at_work"]}
    intake(make_case, caseworker, 20, **online, recruitment_methods=["online_social_network"])
    intake(make_case, caseworker, 10, **at_work)
    intake(make_case, caseworker, 5, **at_work, intake_province="CA-MB")


def _published(analyst: Any, reviewer: Any) -> Any:
    draft = actions.create_release(by=analyst, **CONFIG)
    return actions.publish_release(by=reviewer, release=draft)


def test_a_three_way_release_has_one_chart_per_layer_on_one_scale(
    regions, analyst, reviewer, client
) -> None:
    release = _published(analyst, reviewer)
    page = client.get(f"/statistics/releases/{release.pk}/").content.decode()
    panels = PANEL.findall(page)
    assert [panel_title(p) for p in panels] == ["Ontario", "Manitoba"]
    ontario, manitoba = bars(panels[0]), bars(panels[1])
    # Only the categories someone is counted under: the same two rows and columns in each.
    assert set(ontario) == set(manitoba) and len(ontario) == 4
    online = "Sexual exploitation · Through online social networks, apps or games"
    work = "Forced labour · At work"
    assert ontario[online][:2] == ("20", "bar") and ontario[work][:2] == ("10", "bar")
    assert manitoba[online][:2] == ("0", "bar") and manitoba[work][:2] == ("5", "bar")
    # One scale: the largest cell (20) is a full bar everywhere, 10 half of it, 5 a quarter.
    full = ontario[online][2]
    assert full == layer_charts.ROOM
    assert ontario[work][2] == round(full / 2) and manitoba[work][2] == round(full / 4)
    assert manitoba[online][2] == 0
    assert "≈20" in panels[0] and "≈5" in panels[1]  # rounded figures are marked...
    assert "a 0 may stand for 1 to 4" in page  # ...and the mark is explained
    assert "one chart per value of “Province or territory” (same scale)" in page
    assert "<desc>" in panels[0] and f"{work}: ≈10" in panels[0]  # the figures as text too
    assert page.count("<caption>") == 4  # and still as data tables
    assert "<script" not in "".join(panels)


def test_the_preview_shows_the_charts(regions, analyst) -> None:
    client = Client()
    client.force_login(analyst)
    url = "/national/?row=exploitation_type&col=recruitment_method&layer=province"
    page = client.get(url).content.decode()
    assert [panel_title(p) for p in PANEL.findall(page)] == ["Ontario", "Manitoba"]


def test_a_two_way_preview_is_one_panel_with_its_withheld_cells_marked(
    counted_cases, analyst
) -> None:
    """Suppressed two-way tables are charted too, their withheld cells drawn as such."""
    client = Client()
    client.force_login(analyst)
    page = client.get("/national/?row=exploitation_type&col=province").content.decode()
    (panel,) = PANEL.findall(page)
    assert panel_title(panel) == "Type of exploitation by Province or territory"
    drawn = bars(panel)
    # The 3 is withheld, and Ontario's 25 with it (else the totals would give the 3 away):
    # both drawn as withheld, the true zeros as zeros.
    assert drawn["Forced labour · Manitoba"] == ("", "bar suppressed", 24)
    assert drawn["Sexual exploitation · Ontario"] == ("", "bar suppressed", 24)
    assert (
        drawn["Forced labour · Ontario"]
        == drawn["Sexual exploitation · Manitoba"]
        == ("0", "bar", 0)
    )
    assert "Forced labour · Manitoba: suppressed" in panel
    assert "≈" not in panel and "withheld, not zeros" in page


def test_withheld_cells_are_drawn_as_withheld_not_as_zero() -> None:
    panels = [
        Panel("Ontario", ["A", "B"], [("X", [None, 8]), ("Y", [0, 0])]),
        Panel("Quebec", ["A", "B"], [("X", [4, 0]), ("Y", [0, 0])]),
    ]
    charts = layer_charts.small_multiples(panels, {"method": "suppression", "threshold": 10})
    assert charts["scale"] == 10  # 8, rounded up to a scale end a reader can use
    ontario, quebec = (bars(str(p)) for p in charts["panels"])
    assert set(ontario) == {"X · A", "X · B"}  # row Y is 0 everywhere: left out
    assert ontario["X · A"] == ("", "bar suppressed", 24)
    assert "X · A: suppressed" in str(charts["panels"][0])
    assert ontario["X · B"] == ("8", "bar", round(layer_charts.ROOM * 0.8))
    assert quebec["X · A"] == ("4", "bar", round(layer_charts.ROOM * 0.4))
    assert "≈" not in str(charts["panels"][0])  # suppressed tables are exact where shown
    assert any("withheld, not zeros" in line for line in charts["notes"])
    assert any("left out of the charts" in line for line in charts["notes"])


def test_a_column_withheld_in_every_layer_is_kept() -> None:
    panels = [
        Panel("A", ["c1", "c2"], [("r", [None, 0])]),
        Panel("B", ["c1", "c2"], [("r", [0, 0])]),
    ]
    kept, left_out = layer_charts.drop_empty(panels)
    assert [p.header for p in kept] == [["c1"], ["c1"]] and left_out == 1


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1), (1, 1), (3, 5), (20, 20), (21, 25), (26, 50), (120, 200), (999, 1000)],
)
def test_the_scale_ends_on_a_readable_number(value, top) -> None:
    assert layer_charts.nice_top(value) == top


def test_the_charts_speak_french(regions, analyst, reviewer, client) -> None:
    """Needs the French catalogues (the lead merges /work/tr/charts.json)."""
    release = _published(analyst, reviewer)
    page = client.get(f"/statistics/releases/{release.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    panels = PANEL.findall(text)
    assert [panel_title(p) for p in panels] == ["Ontario", "Manitoba"]
    assert "Exploitation sexuelle" in panels[0]
    assert "un graphique par valeur de «\u00a0Province ou territoire\u00a0»" in text
    assert "un 0 peut représenter de 1 à 4 personnes" in text
