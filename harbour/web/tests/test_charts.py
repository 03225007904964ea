from django.utils import translation

from harbour.web.templatetags.harbour import bar_chart


def test_values_are_written_as_the_readers_language_writes_numbers() -> None:
    rows = [("Ontario", 137541), ("Nunavut", 7.4)]
    with translation.override("en"):
        svg = bar_chart(rows, "People")
        assert ">137,541<" in svg and ">7.4<" in svg and "Ontario: 137,541" in svg
    with translation.override("fr"):
        svg = bar_chart(rows, "Personnes")
        assert ">137\u202f541<" in svg or ">137\u00a0541<" in svg
        assert ">7,4<" in svg


def test_a_suppressed_value_is_drawn_as_suppressed_and_labels_are_escaped() -> None:
    with translation.override("en"):
        svg = bar_chart([("<script>x</script>", None), ("Yukon", 3)], "Cases")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'class="bar suppressed"' in svg and "suppressed" in svg.split("<figcaption")[1]


def test_a_unit_follows_every_value_without_breaking_from_it() -> None:
    with translation.override("en"):
        svg = bar_chart([("Intake date", 100), ("Needs", 87.5)], "Completeness", "%")
    assert ">100\u00a0%<" in svg and ">87.5\u00a0%<" in svg and "Needs: 87.5\u00a0%" in svg


def test_counts_are_grouped_and_a_suppressed_count_stays_empty_for_default() -> None:
    from harbour.web.templatetags.harbour import number

    with translation.override("en"):
        assert (number(1202), number(None)) == ("1,202", "")
    with translation.override("fr"):
        assert number(1202) in {"1\u202f202", "1\u00a0202"}


def test_a_long_label_takes_two_lines_instead_of_being_cut() -> None:
    label = "Forced labour in agriculture and food processing"
    with translation.override("en"):
        svg = bar_chart([(label, 12), ("Short", 3)], "Cases")
    assert "Forced labour in agriculture and" in svg and ">food processing<" in svg
    assert "…" not in svg and f"<title>{label}</title>" in svg
