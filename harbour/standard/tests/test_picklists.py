"""Long pick-lists: common first, then A to Z in the reader's language; no dead languages."""

from hypothesis import given
from hypothesis import strategies as st

from harbour.standard import picklists
from harbour.standard.dictionary import current


def _flat(groups: list) -> list[tuple[str, str]]:
    return [pair for _label, pairs in groups for pair in pairs]


def _languages(language: str) -> list:
    codes = current().codelists["language"].codes
    return picklists.ordered(
        "language", [(c.code, getattr(c.label, language)) for c in codes], language=language
    )


def test_languages_start_with_english_and_french_and_leave_out_dead_and_invented_ones() -> None:
    for language, first in (("en", ["English", "French"]), ("fr", ["Anglais", "Français"])):
        groups = _languages(language)
        common, rest = groups[0][1], groups[1][1]
        assert [label for _code, label in common[:2]] == first
        codes = {code for code, _label in _flat(groups)}
        assert {"spa", "tgl", "cmn", "iku", "crk"} <= codes
        assert not codes & {"ave", "vol", "chu", "lat", "epo", "san", "pli", "ido", "ile", "ina"}
        labels = [label for _code, label in rest]
        assert labels == sorted(labels, key=picklists.sort_key)
        assert not [label for label in labels if "1453" in label]


def test_a_held_historical_language_stays_on_the_record_being_edited() -> None:
    groups = picklists.ordered("language", [("lat", "Latin"), ("eng", "English")], held=["lat"])
    assert ("lat", "Latin") in _flat(groups)


def test_countries_in_french_sort_accented_names_with_their_letter() -> None:
    codes = current().codelists["country"].codes
    groups = picklists.ordered("country", [(c.code, c.label.fr) for c in codes], language="fr")
    assert groups[0][1][0] == ("CA", "Canada")
    rest = [label for _code, label in groups[1][1]]
    egypt, spain = rest.index("Égypte"), rest.index("Espagne")
    assert rest[egypt - 1] < "Égypte" and egypt < spain  # with the E's, not after Z


@given(st.lists(st.tuples(st.text(min_size=1, max_size=4), st.text(min_size=1)), max_size=30))
def test_nothing_is_lost_or_added_and_the_rest_is_in_order(choices) -> None:
    choices = list(dict(choices).items())
    groups = picklists.ordered("country", choices)
    flat = _flat(groups)
    assert sorted(code for code, _l in flat) == sorted(code for code, _l in choices)
    rest = [label for _code, label in groups[1][1]]
    assert [picklists.sort_key(x) for x in rest] == sorted(picklists.sort_key(x) for x in rest)
