"""The hint's scoring of its candidates (ADR 41, amended 2026-12-06, third session): the
numpy kernel (`packed.compare`) over all of them at once, and the term frequencies a linkage run
counted, stored with its weights as keyed digests of the filters (never a value).

A run's term frequencies are what made a returning survivor with one typo or a swapped day and
month a match in the batch run but not in the hint: at 100,000 encodings the weights a run
learns are strict (the prior of a random pair falls as the hub grows), and only a shared rare
value lifts such a pair over the threshold. The hint now weighs an exactly shared given name,
family name or birth date by how many of the run's records held it, as the run does.
"""

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from harbour.linkage.core import matching, packed
from harbour.linkage.core.encoding import FIELDS, SCHEME, Encoding, LinkageKey

TF_FIELDS = matching.TF_FIELDS  # whose exact agreement weighs by the value's frequency
_CUTS = tuple(matching.LEVEL_CUTS[name] for name in matching.FIELD_ORDER)


@functools.cache
def shared_index() -> matching.LookupIndex:
    """One lookup index per process, for the hint and the intake's encoding alike: its band
    masks and splitters come from fixed seeds (a persistent index needs them equal
    everywhere), and sampling them again cost about 12 ms of every hint and half of an
    intake's encoding. Callers use only its read-only `entries`, `same` and `blocking`."""
    return matching.LookupIndex()


def frequencies_json(key: LinkageKey, records: Iterable[Encoding]) -> dict[str, Any]:
    """What a run stores for the hint: how many records it read, and for each filter of a TF
    field held by at least two records, its count under a keyed digest (a value held once, or
    by none, counts as one: the hint reads a missing digest as once). Equal filters are equal
    values, so the counts are learnt without reading a value, and say nothing that an equality
    test on the stored encodings does not; the digests are keyed with a subkey of the hub's
    linkage key, so a new key makes new ones."""
    counted = matching.Frequencies.of(records)
    base = _digester(key)
    counts = {
        _digest(base, name, value): n
        for name in TF_FIELDS
        for value, n in counted.counts[name].items()
        if n >= 2
    }
    return {"records": counted.records, "counts": counts}


def _digester(key: LinkageKey) -> Any:
    return hmac.new(key.subkey("value-frequencies"), digestmod=hashlib.sha256)


def _digest(base: Any, name: str, value: int) -> str:
    mac = base.copy()  # the keyed state once per call
    mac.update(f"{name}:{value:x}".encode())
    return mac.hexdigest()[:16]  # 64 bits: no two values of a hub collide by chance


@dataclass(frozen=True)
class Scoring:
    """A run's weights as the hint applies them: each comparison vector's score (by pattern
    code), the prior's log-odds, and the run's term frequencies (None for a run made before
    they were stored: the hint then weighs by the levels only, as before)."""

    weights: matching.Weights
    table: npt.NDArray[np.float64]
    logit: float
    records: int
    counts: dict[str, int] | None

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "Scoring":
        weights = matching.Weights(m=stored["m"], u=stored["u"], prior=stored["prior"])
        table = np.array(
            [weights.score(packed.vector(p)) for p in range(packed.PATTERNS)], dtype=np.float64
        )
        tf = stored.get("frequencies")
        return cls(
            weights,
            table,
            weights.logit,
            int(tf["records"]) if tf else 0,
            tf["counts"] if tf else None,
        )

    def adjustments(self, key: LinkageKey, mine: Encoding) -> list[float]:
        """Per TF field (in `TF_FIELDS` order), the log2 weight an exact agreement with `mine`'s
        value adds to the level's (`matching.Frequencies.adjustment`: the value's own share of
        the run's records replaces the level's average u); 0 without frequencies."""
        if self.counts is None or not self.records:
            return [0.0] * len(TF_FIELDS)
        base = _digester(key)
        out = []
        for name in TF_FIELDS:
            value = mine.filters.get(name)
            f = matching.FIELD_ORDER.index(name)
            held = self.counts.get(_digest(base, name, value), 1) if value is not None else 1
            out.append(matching.tf_weight(self.weights, f, max(held, 1) / self.records))
        return out


@functools.lru_cache(maxsize=4)
def scoring(run_id: Any) -> Scoring | None:
    """The scoring of a run, built once per run and process: a run never changes once
    written, and its table and frequencies cost far more to build than a hint's comparisons.
    None for a run without weights."""
    from harbour.linkage.models import LinkageRun

    stored = LinkageRun.objects.filter(pk=run_id).values_list("weights", flat=True).first()
    return Scoring.of(stored) if stored else None


def matches(
    key: LinkageKey,
    mine: Encoding,
    candidates: Sequence[Encoding] | packed.Packed,
    scoring_: Scoring | None,
    threshold: float,
) -> npt.NDArray[np.bool_]:
    """Which candidates match `mine`: the same for sure (`matching.same_person_for_sure`), or,
    with a run's scoring, a posterior at or above `threshold` with the run's term frequencies
    (`matching.pair_probability`). All candidates compared at once by the packed kernel."""
    theirs = candidates if isinstance(candidates, packed.Packed) else packed.Packed.of(candidates)
    if not theirs.n:
        return np.zeros(0, dtype=bool)
    one = np.zeros(1, dtype=np.int64)
    compared = packed.compare(packed.Packed.of([mine]), one, slice(None), _CUTS, against=theirs)
    sure = packed.sure(compared)
    if scoring_ is None:
        return sure
    odds = scoring_.table[compared.pattern] + scoring_.logit
    for extra, name in zip(scoring_.adjustments(key, mine), TF_FIELDS, strict=True):
        bit = np.uint8(1 << matching.FIELD_ORDER.index(name))
        odds = odds + np.where((compared.equal & bit) > 0, extra, 0.0)
    return np.asarray(sure | (matching.posterior(odds) >= threshold))


def packed_texts(texts: Sequence[str], key_id: str) -> packed.Packed:
    """`packed.Packed.from_texts(texts)`, the same arrays, about ten times faster: the hint's
    candidates (hundreds per probe at 1,000,000 encodings) were parsed one field at a time,
    40 µs a text. Texts as `Encoding.to_text` writes them (fields in order, no leading zeros)
    are matched by one pattern each and every field's hexadecimal decoded at once; anything
    else, or a filter that is not balanced, goes to `Packed.from_texts`, which refuses it as
    it always did (EncodingError)."""
    pattern = _written(key_id)
    found = [pattern.fullmatch(t) if isinstance(t, str) else None for t in texts]
    if not texts or not all(found):
        return packed.Packed.from_texts(texts, key_id=key_id)
    n, matrices, present = len(texts), [], []
    columns = zip(*(m.groups() for m in found if m), strict=True)  # per field, in FIELDS order
    for (_name, spec), values in zip(FIELDS.items(), columns, strict=True):
        width = 2 * spec.bits // 8  # bytes of the stored (balanced) filter
        empty = "0" * (2 * width)
        raw = bytes.fromhex("".join(v.zfill(2 * width) if v else empty for v in values))
        big_endian = np.frombuffer(raw, dtype=np.uint8).reshape(n, width)
        matrix = np.ascontiguousarray(big_endian[:, ::-1]).view("<u8").astype(np.uint64)
        has = np.fromiter((v is not None for v in values), dtype=bool, count=n)
        if not (~has | (np.bitwise_count(matrix).sum(axis=1) == spec.bits)).all():
            return packed.Packed.from_texts(texts, key_id=key_id)  # refuses it as before
        matrices.append(matrix)
        present.append(has)
    return packed.Packed._of_matrices(matrices, present)


@functools.lru_cache(maxsize=4)
def _written(key_id: str) -> re.Pattern[str]:
    """An encoding exactly as `Encoding.to_text` writes it with this key: each field at most
    once, in `FIELDS` order, lowercase hexadecimal of at most the filter's width."""
    fields = "".join(
        rf"(?:\.{name}:([0-9a-f]{{1,{spec.bits // 2}}}))?" for name, spec in FIELDS.items()
    )
    return re.compile(rf"{re.escape(SCHEME)}\.{re.escape(key_id)}{fields}")
