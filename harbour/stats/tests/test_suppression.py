from hypothesis import given
from hypothesis import strategies as st

from harbour.stats.core.suppression import safe_total, suppress

tables = st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 200), max_size=12)


@given(tables, st.integers(1, 20))
def test_no_small_count_is_published(table: dict[str, int], threshold: int) -> None:
    out = suppress(table, threshold)
    assert all(v is None or v == 0 or v >= threshold for v in out.values())


@given(tables, st.integers(1, 20))
def test_published_values_are_true_values(table: dict[str, int], threshold: int) -> None:
    out = suppress(table, threshold)
    assert set(out) == set(table)
    assert all(v is None or v == table[k] for k, v in out.items())


@given(tables, st.integers(2, 20))
def test_a_single_hidden_cell_cannot_be_recovered_from_the_total(
    table: dict[str, int], threshold: int
) -> None:
    out = suppress(table, threshold)
    hidden = [k for k, v in out.items() if v is None]
    nonzero_others = [k for k, v in table.items() if v and k not in hidden]
    # Either nothing is hidden, or at least two cells are, or nothing else was there to hide.
    assert len(hidden) != 1 or not nonzero_others


def test_examples() -> None:
    assert suppress({"a": 3, "b": 40, "c": 12}) == {"a": None, "b": 40, "c": None}
    assert suppress({"a": 0, "b": 40}) == {"a": 0, "b": 40}
    assert suppress({"a": 3, "b": 4, "c": 50}) == {"a": None, "b": None, "c": 50}
    assert safe_total({"a": 3, "b": 4}) is None
    assert safe_total({"a": 30}) == 30
