"""Three-way releases (row × column × layer) end to end: actions, pages, downloads, API and
commands; suppression refused with a translated reason (ADR 46)."""

import io
import json
from io import StringIO
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import resolve
from django.utils import translation

from harbour.core import tenancy
from harbour.core.errors import InvalidInput
from harbour.stats import actions, layered, queries
from harbour.stats.layered import LayeredTable, load
from harbour.stats.models import BudgetSpend, Release
from harbour.stats.tables import Spec

pytestmark = pytest.mark.django_db
API = "/api/v1/statistics"
THREE_WAY: dict[str, Any] = {
    "title": "Exploitation by recruitment, per region",
    "row_variable": "exploitation_type",
    "col_variable": "recruitment_method",
    "layer_variable": "province",
}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _publish(analyst: Any, reviewer: Any, **config: Any) -> Release:
    draft = actions.create_release(by=analyst, **(THREE_WAY | {"method": "rounding"} | config))
    return actions.publish_release(by=reviewer, release=draft)


def _figures(table: LayeredTable) -> list[int | None]:
    """Every published figure, in a fixed order (layer by layer, then the summed table)."""
    out: list[int | None] = []
    for part in [*(table.tables[g] for g in table.layers), table.summed]:
        out += [*part.cells.values(), *part.row_totals.values(), *part.col_totals.values()]
        out.append(part.total)
    return out


def _exact(spec: Spec, **kwargs: Any) -> LayeredTable:
    """The exact three-way table of the counted persons, before disclosure control."""
    with tenancy.widened("tests: the exact counts behind a release"):
        people, _linked = queries.person_rows(queries.statistics_cases())
    return layered.as_table(spec, layered.count(spec, people, **kwargs), {})


def test_a_rounded_three_way_release_has_one_table_per_region(
    counted_cases, analyst, reviewer
) -> None:
    release = _publish(analyst, reviewer)
    table = load(release.result)
    assert isinstance(table, LayeredTable)
    assert table.layers == ["CA-ON", "CA-MB"]  # the regions the data holds, in code-list order
    assert all(v is not None and v % 5 == 0 for v in _figures(table))
    # Manitoba's 3 persons: rounded to 0 or 5, never shown as 3.
    assert table.layer_totals["CA-MB"] in {0, 5}
    assert table.layer_totals["CA-ON"] == 25  # already a multiple of 5: unchanged
    exact = _exact(table.spec)
    assert exact.layers == table.layers
    assert exact.layer_totals == {"CA-ON": 25, "CA-MB": 3}  # one code each: totals are persons
    for g in exact.layers:  # a layer's total is the sum of its cells, and of its margins
        part = exact.tables[g]
        assert exact.layer_totals[g] == sum(v or 0 for v in part.cells.values())
        assert exact.layer_totals[g] == sum(v or 0 for v in part.row_totals.values())
    assert exact.total == sum(v or 0 for v in exact.summed.cells.values()) == 28
    for published, true in zip(_figures(table), _figures(exact), strict=True):
        assert published is not None and true is not None
        assert abs(published - true) < 5  # each figure rounded from its own exact count
        assert true % 5 != 0 or published == true
    assert release.config["table"] == ["exploitation_type", "recruitment_method", "province"]
    assert release.spec().ids() == ("exploitation_type", "recruitment_method", "province")
    one_way = _publish(analyst, reviewer, layer_variable="", col_variable="", method="rounding")
    assert one_way.spec().ids() == ("exploitation_type",)
    assert one_way.config["table"] == ["exploitation_type", ""]  # recorded as it always was
    assert release.layer_variable == "province"


def test_a_private_three_way_release_is_consistent_and_spends_the_budget(
    counted_cases, analyst, reviewer, budget
) -> None:
    release = _publish(analyst, reviewer, method="dp", epsilon="1")
    table = load(release.result)
    assert isinstance(table, LayeredTable)
    assert BudgetSpend.objects.get(release=release).epsilon == 1
    assert len(table.layers) >= 13  # every province and territory: which exist is no secret
    records = queries.records_per_person(table.meta["persons_unduplicated"])
    assert table.meta["sensitivity"] == 3 * 3 * 1 * records  # codes per person, 1 region
    assert all(isinstance(v, int) and v >= 0 for v in _figures(table))
    assert sum(v or 0 for v in table.layer_totals.values()) == table.total
    for g in table.layers:  # noisy cells, margins summed from them (post-processing)
        part = table.tables[g]
        assert table.layer_totals[g] == sum(v or 0 for v in part.cells.values())
        assert table.layer_totals[g] == sum(v or 0 for v in part.col_totals.values())
    assert table.total == sum(v or 0 for v in table.summed.cells.values())
    for r in table.summed.rows:
        for c in table.summed.cols:
            by_layer = sum(table.tables[g].cells[(r, c)] or 0 for g in table.layers)
            assert table.summed.cells[(r, c)] == by_layer


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"method": "suppression"}, "method"),
        ({"layer_variable": "control_method", "method": "rounding"}, "layer_variable"),
        ({"layer_variable": "exploitation_type", "method": "rounding"}, "layer_variable"),
        ({"layer_variable": "given_name", "method": "rounding"}, "layer_variable"),
        ({"col_variable": "", "method": "rounding"}, "col_variable"),
    ],
)
def test_bad_three_way_definitions_are_refused(analyst, config, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.create_release(by=analyst, **(THREE_WAY | config))
    assert field in refused.value.errors
    assert Release.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "col", "layer", "field"),
    [
        ("province", "gender", "province", "layer"),
        ("recruitment_method", "gender", "gender", "layer"),
        ("recruitment_method", "", "province", "col"),
    ],
)
def test_the_page_form_and_the_action_state_the_layer_rule_alike(
    analyst, row, col, layer, field
) -> None:
    from harbour.stats.forms import TableForm

    assert set(layered.spec_errors(row, col, layer)) == {field}
    form = TableForm({"row": row, "col": col, "layer": layer})
    assert not form.is_valid()
    with pytest.raises(InvalidInput) as refused:
        actions.create_release(
            by=analyst,
            **(THREE_WAY | {"row_variable": row, "col_variable": col, "layer_variable": layer}),
            method="rounding",
        )
    with translation.override("fr"):
        assert form.errors[field] == [str(m) for m in refused.value.errors[f"{field}_variable"]]
    assert layered.spec_errors(row, "age_band", "year") == {}


def test_the_suppression_refusal_is_translated(analyst) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.create_release(by=analyst, **(THREE_WAY | {"method": "suppression"}))
    with translation.override("fr"):
        message = str(refused.value.errors["method"][0])
    assert "tableau à trois dimensions" in message


def test_the_national_page_previews_three_way_tables_rounded(counted_cases, analyst) -> None:
    client = signed_in(analyst)
    page = client.get("/national/?row=recruitment_method&col=control_method&layer=province")
    text = page.content.decode()
    assert page.status_code == 200
    assert "recruitment × control, by region" in text  # the organised-crime link
    assert "<caption>Method of recruitment by Method of control — " in text
    assert "Province or territory: Ontario" in text and "total of all layers" in text
    assert "randomly rounded" in text
    assert "Layer (one table per code)" in text
    for bad in ("layer=province", "col=province&layer=province", "layer=given_name"):
        answer = client.get(f"/national/?row=recruitment_method&{bad}")
        assert answer.status_code == 200 and "<caption>" not in answer.content.decode()


def test_the_three_way_preview_rounds_the_same_way_on_every_load(counted_cases, analyst) -> None:
    """A fresh draw per load would let an analyst average reloads back to the exact counts
    (Manitoba's 3 included): the draw is keyed on the table and its counts (ADR 46)."""
    client = signed_in(analyst)
    url = "/national/?row=exploitation_type&col=recruitment_method&layer=province"
    shown = [client.get(url).context["preview"] for _load in range(4)]
    assert shown[0]["layers"] and all(s == shown[0] for s in shown[1:])
    spec = Spec("exploitation_type", "recruitment_method", "province")
    with tenancy.widened("tests: the exact counts behind a preview"):
        people, _linked = queries.person_rows(queries.statistics_cases())
    counts = layered.count(spec, people)
    draws = [layered.keyed_rng(spec, counts, key).random() for key in ("k1", "k1", "k2")]
    assert draws[0] == draws[1] != draws[2]  # the same key and counts, the same draw
    other = Spec("exploitation_type", "recruitment_method", "gender")
    assert layered.keyed_rng(other, counts, "k1").random() != draws[0]
    assert counts.layer_totals["CA-MB"] == 3  # a count the rounding must keep hidden


def test_define_publish_show_and_download_through_the_pages(
    counted_cases, analyst, reviewer, client
) -> None:
    created = signed_in(analyst).post(
        "/statistics/releases/new/", THREE_WAY | {"method": "rounding"}
    )
    assert created.status_code == 302
    signed_in(reviewer).post(created["Location"] + "publish/")
    release = Release.objects.get()
    assert release.is_published and release.layer_variable == "province"
    page = client.get(f"/statistics/releases/{release.pk}/").content.decode()
    assert page.count("<caption>") == 4  # two regions, the total of all layers, layer totals
    assert "Province or territory: Manitoba" in page
    assert "Table: Type of exploitation × Method of recruitment × Province or territory" in page
    csv = client.get(f"/statistics/releases/{release.pk}/download.csv").content.decode()
    assert "layer_code,layer_label,row_code,row_label,col_code,col_label,count" in csv
    assert "\nCA-MB,Manitoba," in csv and "\nall,All," in csv
    data = client.get(f"/statistics/releases/{release.pk}/download.json").json()
    assert data["metadata"]["table"] == "exploitation_type × recruitment_method × province"
    assert [x["code"] for x in data["table"]["layers"]] == ["CA-ON", "CA-MB"]
    from openpyxl import load_workbook

    xlsx = client.get(f"/statistics/releases/{release.pk}/download.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx))["data"]
    assert next(sheet.iter_rows(values_only=True))[0] == "layer_code"
    refused = signed_in(analyst).post(
        "/statistics/releases/new/", THREE_WAY | {"method": "suppression"}
    )
    assert refused.status_code == 422 and "three-way table" in refused.content.decode()


def test_the_pages_speak_french(counted_cases, analyst, reviewer, client) -> None:
    release = _publish(analyst, reviewer)
    page = client.get(f"/statistics/releases/{release.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "Province ou territoire" in text and "total de toutes les strates" in text
    assert "Tableau\u00a0: Type d" in text
    national = signed_in(analyst).get("/national/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "recrutement × contrôle, par région" in national.content.decode()


def test_three_way_releases_over_the_api(counted_cases, analyst, reviewer, api_for) -> None:
    author, second = api_for(analyst), api_for(reviewer)
    made = author.post(
        f"{API}/releases", THREE_WAY | {"method": "rounding"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["layer_variable"] == "province"
    body = second.post(f"{API}/releases/{made.json()['id']}/publish").json()
    assert body["table"]["layer"] == "province"
    assert {x["code"] for x in body["table"]["layers"]} == {"CA-MB", "CA-ON"}
    # The layer totals and the grand total are still in the JSON, as rounded figures.
    assert body["table"]["layer_totals"]["CA-ON"] == 25
    assert body["table"]["layer_totals"]["CA-MB"] in {0, 5}
    assert body["table"]["total"] in {25, 30}  # 28 persons, rounded to base 5
    refused = author.post(
        f"{API}/releases", THREE_WAY | {"method": "suppression"}, content_type="application/json"
    )
    assert refused.status_code in {400, 422} and "error" in refused.json()
    assert Release.objects.count() == 1


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_three_way_releases_from_the_command_line(
    counted_cases, analyst, reviewer, tmp_path
) -> None:
    common = ["--by", analyst.email, "--title", "Methods by region", "--row", "recruitment_method"]
    with pytest.raises(CommandError, match="three-way"):
        _run("stats_release", *common, "--col", "control_method", "--layer", "province",
             "--method", "suppression")  # fmt: skip
    made = _run("stats_release", *common, "--col", "control_method", "--layer", "year",
                "--method", "rounding", "--title-fr", "Méthodes par année")  # fmt: skip
    release_id = made.strip().split()[-1]
    _run("stats_publish", release_id, "--by", reviewer.email)
    target = tmp_path / "release.csv"
    _run("stats_export", release_id, str(target))
    assert "layer_code,layer_label" in target.read_text()
    as_json = tmp_path / "release.json"
    _run("stats_export", release_id, str(as_json), "--format", "json")
    assert json.loads(as_json.read_text())["table"]["layer"] == "year"
    assert Release.objects.get().title_fr == "Méthodes par année"


THREE_WAY_PREVIEW = "/national/?row=recruitment_method&col=control_method&layer=province"


def test_other_roles_cannot_reach_the_three_way_preview(
    counted_cases, caseworker, supervisor, org_admin, researcher
) -> None:
    for user in (caseworker, supervisor, org_admin, researcher):
        answer = signed_in(user).get(THREE_WAY_PREVIEW)
        assert answer.status_code == 404  # as the two-way page: not there, not forbidden
        assert "<caption>" not in answer.content.decode()
    anonymous = Client().get(THREE_WAY_PREVIEW)
    assert anonymous.status_code == 302 and "/national/" not in anonymous["Location"].split("?")[0]


@pytest.mark.parametrize(
    ("query", "field", "french"),
    [
        ("row=recruitment_method&col=control_method&layer=given_name", "layer", "Sélectionnez"),
        ("row=recruitment_method&col=control_method&layer=control_method", "layer", "Sélectionnez"),
        ("row=province&col=gender&layer=gender", "layer", "Choisissez comme strate"),
        ("row=province&layer=gender", "col", "demande une variable en colonnes"),
    ],
)
def test_a_bad_layer_on_the_french_page_is_a_form_error(
    counted_cases, analyst, query, field, french
) -> None:
    page = signed_in(analyst).get(f"/national/?{query}", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert page.status_code == 200 and "<caption>" not in text  # no preview, no server error
    assert page.context["chosen"].errors[field]
    assert french in text


def test_a_draft_three_way_release_shows_its_table_but_no_figures(
    counted_cases, analyst, reviewer, client
) -> None:
    draft = actions.create_release(by=analyst, **(THREE_WAY | {"method": "rounding"}))
    for user in (analyst, reviewer):
        page = signed_in(user).get(f"/statistics/releases/{draft.pk}/")
        text = page.content.decode()
        assert page.status_code == 200 and "<caption>" not in text
        assert "Type of exploitation × Method of recruitment × Province or territory" in text
    assert client.get(f"/statistics/releases/{draft.pk}/").status_code == 404  # not public
    for fmt in ("csv", "xlsx", "json"):
        download = signed_in(analyst).get(f"/statistics/releases/{draft.pk}/download.{fmt}")
        assert download.status_code == 404  # figures leave through a published release only


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "%00", "0" * 40])
def test_downloads_of_a_malformed_release_id_are_not_found(client, bad_id, fmt) -> None:
    path = f"/statistics/releases/{bad_id}/download.{fmt}"
    assert resolve(unquote(path)).view_name == "stats:release_download"  # the view says 404
    assert client.get(path).status_code == 404
