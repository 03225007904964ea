"""The numpy batch kernel (`core.packed`) gives what the pure-Python reference functions of
`core.matching` give: the same Dice floats, comparison vectors, sure matches, candidate pairs
and probabilities, on random filters and random populations."""

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harbour.linkage.core import encoding as enc
from harbour.linkage.core import matching, packed
from harbour.linkage.tests.malformed import good_and_malformed

KEY = enc.LinkageKey(b"k" * 32)


def _filter(name: str) -> st.SearchStrategy[int | None]:
    """Any filter of the field's width (balanced or not, to test the arithmetic), few bits,
    many bits, or missing; or a copy drawn from a small pool so that equal filters occur."""
    width = 2 * enc.FIELDS[name].bits
    return st.none() | st.integers(0, 2**width - 1) | st.sampled_from([0, 1, 2**width - 1, 5])


records = st.builds(
    lambda values: enc.Encoding(
        key_id="k", filters={n: v for n, v in zip(enc.FIELDS, values, strict=True) if v is not None}
    ),
    st.tuples(*(_filter(name) for name in enc.FIELDS)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(records, min_size=1, max_size=12), st.data())
def test_packed_dice_and_comparison_vectors_equal_the_reference(batch, data):
    rows = packed.Packed.of(batch)
    n = len(batch)
    index = st.integers(0, n - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=30))
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    compared = packed.compare(rows, a, b, matching._CUTS)
    sure = packed.sure(compared)
    for f, name in enumerate(matching.FIELD_ORDER):
        similarity = packed.dice(rows, f, a, b)
        for k, (i, j) in enumerate(pairs):
            x, y = batch[i].filters.get(name, 0), batch[j].filters.get(name, 0)
            assert similarity[k] == matching.dice(x, y)  # the same float, not merely close
    for k, (i, j) in enumerate(pairs):
        assert packed.vector(int(compared.pattern[k])) == matching.compare(batch[i], batch[j])
        assert bool(sure[k]) == matching.same_person_for_sure(batch[i], batch[j])


@settings(max_examples=60, deadline=None)
@given(st.lists(records, max_size=15))
def test_packed_counts_of_equal_values_and_weak_records(batch):
    rows = packed.Packed.of(batch)
    for f, name in enumerate(matching.FIELD_ORDER):
        values = [r.filters.get(name) for r in batch]
        for i, v in enumerate(values):
            assert rows.holders[f][i] == (0 if v is None else values.count(v))
            for j, w in enumerate(values):
                if v is not None and w is not None:
                    assert (rows.value[f][i] == rows.value[f][j]) == (v == w)
    assert rows.weak.tolist() == [r.weak for r in batch]


names = st.sampled_from(["Ana", "Ana", "Maria", "Mariam", "Jose", "Josefa", "Li", "Wei", None])
identities = st.fixed_dictionaries(
    {
        "given_name": names,
        "family_name": st.sampled_from(["Cruz", "Cruz", "Santos", "Santo", "Wang", None]),
        "birth_date": st.none()
        | st.sampled_from([dt.date(1990, 1, 1), dt.date(1990, 1, 2), dt.date(1985, 7, 3)]),
        "gender_identity": st.none() | st.sampled_from(["woman", "man"]),
        "country_of_birth": st.none() | st.sampled_from(["CA", "PH"]),
    }
)


def _codes(pairs: set[tuple[int, int]], n: int) -> list[int]:
    return sorted(a * n + b for a, b in pairs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(identities, min_size=1, max_size=30),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=1, max_value=8),
)
def test_packed_candidate_pairs_equal_the_reference_blocking(people, max_block, bands, band):
    """Small blocks, oversized ones split, parts still too large dropped: the same pairs."""
    batch = [enc.encode(KEY, p) for p in people]
    blocking = matching.Blocking(
        max_block=max_block, bands=bands, bits_per_band=12, band_block=band
    )
    rows = packed.Packed.of(batch)
    by_birth, by_names = packed.candidate_pairs(rows, packed.Keys.of(rows, blocking), blocking)
    want_birth, want_names = blocking.pairs_by_rule(batch)
    assert by_birth.tolist() == _codes(want_birth, len(batch))
    assert by_names.tolist() == _codes(want_names, len(batch))


def _traitless_band() -> list[dict]:
    """One name, three dates: two records missing both sex and place, one with both."""
    return [
        {"given_name": "Ana", "family_name": "Cruz", "birth_date": dt.date(1990, 1, 1)},
        {"given_name": "Ana", "family_name": "Cruz", "birth_date": dt.date(1985, 7, 3)},
        {
            "given_name": "Ana",
            "family_name": "Cruz",
            "birth_date": dt.date(1990, 1, 2),
            "gender_identity": "woman",
            "country_of_birth": "PH",
        },
    ]


@settings(max_examples=40, deadline=None)
@example(people=_traitless_band(), bands=2, band=2, fan=0, by_traits=True)
@given(
    st.lists(identities, min_size=1, max_size=30),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=12),
    st.booleans(),
)
def test_packed_recovered_pairs_equal_the_reference(people, bands, band, fan, by_traits):
    """Oversized name bands split by sex and place, undated records fanned out over bands
    of at most `fan_block`: the same pairs."""
    batch = [enc.encode(KEY, p) for p in people]
    blocking = matching.Blocking(
        bands=bands, bits_per_band=12, band_block=band, fan_block=fan, split_by_traits=by_traits
    )
    rows = packed.Packed.of(batch)
    found = packed.recovered_pairs(rows, packed.Keys.of(rows, blocking), blocking)
    assert found.tolist() == _codes(blocking.recovered_pairs(batch), len(batch))


def test_records_missing_both_sex_and_place_are_not_paired_by_them():
    """In the sex-and-place split of an oversized name band, two records missing both share
    no value: not paired (they were, grouped under "missing, missing"), by the reference or
    by the kernel; two sharing both are."""
    blocking = matching.Blocking(bands=2, bits_per_band=12, band_block=2, fan_block=0)
    people = _traitless_band()
    sharing = [people[0] | {"gender_identity": "woman", "country_of_birth": "PH"}, *people[1:]]
    for batch, want in ((people, set()), (sharing, {(0, 2)})):
        encoded = [enc.encode(KEY, p) for p in batch]
        assert blocking.recovered_pairs(encoded) == want
        rows = packed.Packed.of(encoded)
        found = packed.recovered_pairs(rows, packed.Keys.of(rows, blocking), blocking)
        assert found.tolist() == _codes(want, len(batch))


@settings(max_examples=30, deadline=None)
@given(st.lists(identities, min_size=2, max_size=25))
def test_packed_probabilities_equal_the_reference_with_term_frequencies(people):
    batch = [enc.encode(KEY, p) for p in people]
    n = len(batch)
    rows = packed.Packed.of(batch)
    weights = matching.estimate({(1, 4, 4, 4, 4): 5}, {(1, 1, 1, 4, 1): 20})
    frequencies = matching.Frequencies.of(batch)
    a, b = np.triu_indices(n, k=1)
    compared = packed.compare(rows, a, b, matching._CUTS)
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    got = matching._probabilities(rows, a, b, compared, weights, table)
    for k in range(len(a)):
        x, y = batch[a[k]], batch[b[k]]
        vector = matching.compare(x, y)
        want = matching.pair_probability(x, y, vector, weights, frequencies)
        assert got[k] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_a_batch_links_its_copies_and_reports_its_pairs():
    people = [
        {"given_name": "Maricel", "family_name": "Santos", "birth_date": dt.date(1988, 4, 12)},
        {"given_name": "Olena", "family_name": "Shevchenko", "birth_date": dt.date(1993, 11, 2)},
    ]
    batch = [enc.encode(KEY, p) for p in people for _copy in range(3)]
    result = matching.link(batch)
    assert result.labels == [0, 0, 0, 3, 3, 3]
    assert result.persons == result.persons_if_uncertain_merged == 2
    assert math.isclose(result.persons_expected, 2.0)
    assert result.candidate_pairs == 6  # the three pairs inside each person, nothing across


@settings(max_examples=30, deadline=None)
@given(records, st.lists(records, min_size=1, max_size=10))
def test_a_lookup_compares_one_record_with_every_row_as_the_reference(query, batch):
    rows = packed.Packed.of(batch)
    one = np.zeros(1, dtype=np.int64)
    compared = packed.compare(
        packed.Packed.of([query]), one, slice(None), matching._CUTS, against=rows
    )
    assert [packed.vector(int(p)) for p in compared.pattern] == [
        matching.compare(query, other) for other in batch
    ]
    assert packed.sure(compared).tolist() == [
        matching.same_person_for_sure(query, other) for other in batch
    ]


@settings(max_examples=30, deadline=None)
@given(st.lists(identities, min_size=2, max_size=25), st.data())
def test_packed_conflicts_equal_the_reference(people, data):
    """The pairs inside each cluster scored below the cut: the same over arrays."""
    batch = [enc.encode(KEY, p) for p in people]
    n = len(batch)
    labels = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    rows = packed.Packed.of(batch)
    weights = matching.estimate({(1, 4, 4, 4, 4): 5}, {(1, 1, 1, 4, 1): 20})
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    frequencies = matching.Frequencies.of(batch)
    got = matching._conflicts(rows, labels, weights, table, 0.3)
    # clusters of two are left to the reference too: their only pair is their own match
    want = [
        pair
        for pair in matching.conflicting_pairs(batch, labels, weights, frequencies, 0.3)
        if labels.count(labels[pair[0]]) > 2
    ]
    assert sorted(got) == sorted(want)


@settings(max_examples=40, deadline=None)
@given(st.lists(identities, max_size=12))
def test_packing_stored_texts_equals_packing_their_encodings(people):
    batch = [enc.encode(KEY, p) for p in people]
    texts = [e.to_text() for e in batch]
    got = packed.Packed.from_texts(texts, key_id=KEY.key_id)
    want = packed.Packed.of(batch)
    assert got.n == want.n
    assert got.weak.tolist() == want.weak.tolist()
    for name in ("words", "present", "ones", "value", "holders"):
        for x, y in zip(getattr(got, name), getattr(want, name), strict=True):
            assert np.array_equal(x, y)
    if batch:
        assert matching.link(got).labels == matching.link(batch).labels


def test_packing_stored_texts_refuses_what_parsing_refuses():
    good, malformed = good_and_malformed(KEY)
    for bad in malformed:
        with pytest.raises(enc.EncodingError):
            enc.Encoding.from_text(bad, key_id=KEY.key_id)
        with pytest.raises(enc.EncodingError):
            packed.Packed.from_texts([good, bad], key_id=KEY.key_id)
    with pytest.raises(enc.EncodingError, match="key"):
        packed.Packed.from_texts([good], key_id="another")


@settings(max_examples=40, deadline=None)
@given(st.lists(identities, max_size=12), st.data())
def test_packing_stored_rows_leaves_out_and_counts_what_parsing_refuses(people, data):
    """A run's batch (`Packed.from_stored`): the rows `Encoding.from_text` refuses (another
    key, not hexadecimal, an unbalanced filter) are left out and counted; the others are
    packed as `Packed.of` their encodings, with their ids in order."""
    good = [enc.encode(KEY, p).to_text() for p in people]
    rows: list[tuple[int, str]] = []
    kept: list[tuple[int, str]] = []
    for i, text in enumerate(good):
        spoil = data.draw(st.sampled_from(["", "key", "hex", "balance"]))
        if spoil == "key":
            text = text.replace(KEY.key_id, "0" * len(KEY.key_id))
        elif spoil == "hex":
            text += ".sex:zz"
        elif spoil == "balance" and ".given:" in text:
            head, _sep, rest = text.partition(".given:")
            value, dot, tail = rest.partition(".")
            flipped = format(int(value, 16) ^ 1, "x")  # one bit more or less set
            text = f"{head}.given:{flipped}{dot}{tail}"
        else:
            kept.append((10 * i, text))
        rows.append((10 * i, text))
    got, ids, refused = packed.Packed.from_stored(iter(rows), key_id=KEY.key_id)
    assert ids == [pk for pk, _text in kept]
    assert refused == len(rows) - len(kept)
    want = packed.Packed.of([enc.Encoding.from_text(t, key_id=KEY.key_id) for _pk, t in kept])
    assert got.n == want.n
    assert got.weak.tolist() == want.weak.tolist()
    for name in ("words", "present", "ones", "value", "holders"):
        for x, y in zip(getattr(got, name), getattr(want, name), strict=True):
            assert np.array_equal(x, y)


@settings(max_examples=40, deadline=None)
@given(st.lists(identities, max_size=12))
def test_term_frequencies_of_a_packed_batch_equal_those_of_its_encodings(people):
    """`Packed.encodings` gives each record's filters of the fields asked for, so the run's
    term frequencies (`Frequencies.of`, what the hint's stored counts come from) are the same
    from a packed batch as from the encodings."""
    batch = [enc.encode(KEY, p) for p in people]
    rows = packed.Packed.from_texts((e.to_text() for e in batch), key_id=KEY.key_id)
    made = list(rows.encodings(matching.TF_FIELDS, key_id=KEY.key_id))
    for mine, theirs in zip(made, batch, strict=True):
        tf = {k: v for k, v in theirs.filters.items() if k in matching.TF_FIELDS}
        assert dict(mine.filters) == tf and mine.key_id == KEY.key_id
    got, want = matching.Frequencies.of(made), matching.Frequencies.of(batch)
    assert got.records == want.records
    assert {k: dict(v) for k, v in got.counts.items()} == {
        k: dict(v) for k, v in want.counts.items()
    }


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), max_size=40),
    st.sets(st.integers(min_value=0, max_value=60)),
    st.integers(min_value=1, max_value=5),
)
def test_membership_in_chunks_is_set_membership(codes, held, chunk):
    """`among` reads the codes CHUNK at a time: chunks of 1 to 5 cross every boundary."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(packed, "CHUNK", chunk)
        got = packed.among(np.array(codes, dtype=np.int64), np.array(sorted(held), dtype=np.int64))
    assert got.tolist() == [c in held for c in codes]


def test_linking_in_small_chunks_gives_the_same_persons_and_pairs():
    """Chunk boundaries inside the candidate pairs (membership, comparisons, scoring, the
    conflict check) change nothing of the result."""
    names = [("Maricel", "Santos"), ("Olena", "Shevchenko"), ("Amina", "Diallo"), ("Jon", "Berg")]
    names += [("Jon", "Bergs"), ("Maricel", "Santo")]  # near neighbours: uncertain pairs
    people: list[dict[str, object]] = [
        {"given_name": g, "family_name": f, "birth_date": dt.date(1980 + i % 4, 1 + i % 4, 3)}
        for i, (g, f) in enumerate(names)
        for _copy in range(3)
    ]
    people += [{**p, "birth_date": None} for p in people[::4]]
    people += [{**p, "given_name": f"{p['given_name']}e"} for p in people[1::3]]
    batch = [enc.encode(KEY, p) for p in people]
    whole = matching.link(batch)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(packed, "CHUNK", 3)
        chunked = matching.link(batch)
    assert whole.candidate_pairs > 100 and whole.uncertain_pairs > 10  # many chunks of each
    assert 1 < whole.persons < len(people)
    assert chunked.labels == whole.labels
    assert (chunked.persons, chunked.persons_if_uncertain_merged, chunked.uncertain_pairs) == (
        whole.persons,
        whole.persons_if_uncertain_merged,
        whole.uncertain_pairs,
    )
    assert (chunked.candidate_pairs, chunked.refused_merges) == (
        whole.candidate_pairs,
        whole.refused_merges,
    )
    assert chunked.persons_expected == whole.persons_expected
