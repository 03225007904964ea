"""`lookup.packed_texts`, the hint's faster parsing of its candidates' stored encodings
(issue 12, 1,000,000 encodings): the very arrays `Packed.from_texts` makes, and the very same
refusals, whatever the stored text."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harbour.linkage import lookup
from harbour.linkage.core import encoding as enc
from harbour.linkage.core import packed
from harbour.linkage.tests.malformed import good_and_malformed
from harbour.linkage.tests.test_core_packed import identities

KEY = enc.LinkageKey(b"k" * 32)


def _same(got: packed.Packed, want: packed.Packed) -> None:
    assert got.n == want.n
    assert got.weak.tolist() == want.weak.tolist()
    for name in ("words", "present", "ones", "value", "holders"):
        for x, y in zip(getattr(got, name), getattr(want, name), strict=True):
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), name


def _reference(texts: list[str]) -> packed.Packed:
    return packed.Packed.from_texts(texts, key_id=KEY.key_id)


def _rewritten(text: str, how: str) -> str:
    """The same encoding written otherwise than `to_text` writes it, as `from_text` still
    reads it: fields in another order, or a filter with leading zeros."""
    scheme, key_id, *parts = text.split(".")
    if how == "reversed":
        parts = parts[::-1]
    elif how == "zeros" and parts:
        name, _sep, value = parts[0].partition(":")
        parts[0] = f"{name}:00{value}" if len(value) + 2 <= enc.FIELDS[name].bits // 2 else parts[0]
    return ".".join([scheme, key_id, *parts])


@settings(max_examples=60, deadline=None)
@given(st.lists(identities, min_size=1, max_size=15), st.data())
def test_the_same_arrays_as_packed_from_texts(people, data):
    texts = [enc.encode(KEY, p).to_text() for p in people]
    _same(
        lookup.packed_texts(texts, KEY.key_id), packed.Packed.from_texts(texts, key_id=KEY.key_id)
    )
    how = data.draw(st.sampled_from(["reversed", "zeros"]))
    texts[0] = _rewritten(texts[0], how)
    _same(
        lookup.packed_texts(texts, KEY.key_id), packed.Packed.from_texts(texts, key_id=KEY.key_id)
    )


def test_the_same_refusals_as_packed_from_texts():
    good, malformed = good_and_malformed(KEY)
    no_bit_set = good.rsplit(":", 1)[0] + ":0"  # not balanced
    for bad in [*malformed, no_bit_set]:
        with pytest.raises(enc.EncodingError):
            packed.Packed.from_texts([good, bad], key_id=KEY.key_id)
        with pytest.raises(enc.EncodingError):
            lookup.packed_texts([good, bad], KEY.key_id)
    with pytest.raises(enc.EncodingError, match="key"):
        lookup.packed_texts([good], "another")


def test_no_text_is_an_empty_batch():
    _same(lookup.packed_texts([], KEY.key_id), _reference([]))
