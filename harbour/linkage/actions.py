"""Every write of record linkage: encoding survivors (inside their organisation) and runs."""

import dataclasses
import hashlib
import hmac
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NoReturn

from django.db import NotSupportedError, connection, models, transaction
from django.db.models import F, Func
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.audit.actions import Actor, record_event
from harbour.cases.models import Survivor
from harbour.cases.values import read_values
from harbour.core import tenancy
from harbour.core.errors import Conflict
from harbour.linkage.core import matching, packed
from harbour.linkage.core.encoding import SCHEME, Encoding, EncodingError, LinkageKey, encode
from harbour.linkage.keys import hub_key
from harbour.linkage.lookup import frequencies_json, shared_index
from harbour.linkage.models import EncodingBlock, LinkageRun, SurvivorEncoding, Withdrawal
from harbour.linkage.queries import has_left, organisations_left
from harbour.orgs.models import Organisation

# Identity fields the encoding reads (the dictionary's ids); nothing else is decrypted.
LINKAGE_FIELDS = (
    "given_name",
    "preferred_name",
    "family_name",
    "birth_date",
    "gender_identity",
    "country_of_birth",
)


def refresh_encoding(
    survivor: Survivor,
    values: dict[str, Any] | None = None,
    *,
    key: LinkageKey | None = None,
    new: bool = False,
) -> SurvivorEncoding | None:
    """Re-encode one survivor from their decrypted record. Called by the organisation's own
    writes (intake, identity change), in their transaction: the plaintext never leaves it.
    `values` are the survivor's decrypted values when the caller has just read them (they are
    read here otherwise); `key` the hub key when the caller already holds it; `new` when the
    survivor was saved in this transaction (an intake): they have no encoding yet, so it is
    inserted, without looking for one to replace.
    An erased survivor keeps no encoding, nor does one of an organisation that has left record
    linkage (ADR 41)."""
    # Defensive: erasure today deletes the survivor (and their encoding with it) and nothing
    # sets `Survivor.erased_at`; should a soft erasure ever set it, no encoding survives it.
    # An organisation that left record linkage keeps nothing in it (ADR 41): checked under
    # `has_left_held`, so a withdrawal running now waits for this write, or this one waits
    # for it and sees it.
    if survivor.erased_at is not None or has_left_held(survivor.org_id):
        if not new:
            SurvivorEncoding.objects.filter(survivor=survivor).delete()
        return None
    if values is None:
        values = read_values(survivor, with_identity=True)
    key = key or hub_key()
    if new:
        row = SurvivorEncoding.objects.create(survivor=survivor, **_encoded(survivor, values, key))
    else:
        row, _created = SurvivorEncoding.objects.update_or_create(
            survivor=survivor, defaults=_encoded(survivor, values, key)
        )
        # The old blocks go with the old encoding (and the old key): never a stale match.
        EncodingBlock.objects.filter(encoding=row).delete()
    _write_blocks(row, key)
    return row


def new_encodings(
    survivors: Iterable[tuple[Survivor, dict[str, Any]]],
) -> list[SurvivorEncoding]:
    """The encodings of survivors created in bulk (a spreadsheet import), unsaved, from each
    survivor and the decrypted values the caller already read: the caller writes them with its
    own rows, in its transaction, then their blocks (`new_blocks`). None for survivors of an
    organisation that has left record linkage."""
    key = hub_key()
    rows = list(survivors)
    left = {org for org in {s.org_id for s, _v in rows} if has_left_held(org)}
    return [
        SurvivorEncoding(survivor=s, **_encoded(s, values, key))
        for s, values in rows
        if s.org_id not in left  # an organisation that left record linkage: nothing
    ]


def new_blocks(
    rows: Iterable[SurvivorEncoding], *, key: LinkageKey | None = None
) -> list[EncodingBlock]:
    """The lookup blocks of encodings (unsaved): every key and narrowed key of the kernel's
    `LookupIndex`, and the whole-encoding key, each hashed with the hub key (`block_keys`)."""
    key = key or hub_key()
    return [
        EncodingBlock(encoding=row, org_id=row.org_id, key=hashed)
        for row in rows
        for hashed in _hashed_blocks(row, key)
    ]


def _hashed_blocks(row: SurvivorEncoding, key: LinkageKey) -> list[str]:
    """The stored block keys of one encoding (`new_blocks`); none for another key's."""
    try:
        made = Encoding.from_text(row.encoding, key_id=key.key_id)
    except EncodingError:
        return []  # another key's encoding: stale, found by `encode --stale`, no blocks
    return block_keys(key, _block_texts(shared_index(), made))


def _write_blocks(row: SurvivorEncoding, key: LinkageKey) -> None:
    """Insert one saved encoding's blocks (`new_blocks`). On PostgreSQL in one statement of
    arrays, the statement Django's `bulk_create` makes, without its ~50 model instances and
    their values prepared one by one: they were half of an intake's encoding (~1 ms)."""
    if connection.vendor != "postgresql":
        EncodingBlock.objects.bulk_create(new_blocks([row], key=key))
        return
    hashed = _hashed_blocks(row, key)
    if not hashed:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EncodingBlock._meta.db_table}"  # noqa: S608 (the model's table)
            " (id, created_at, updated_at, org_id, encoding_id, key)"
            " SELECT i, %s, %s, %s, %s, k FROM unnest(%s::uuid[], %s::text[]) AS b(i, k)",
            [now, now, row.org_id, row.pk, [uuid.uuid4() for _ in hashed], hashed],
        )


def _block_texts(index: matching.LookupIndex, made: Encoding) -> list[str]:
    keys = [index.same(made), *(k for pair in index.entries(made) for k in pair)]
    return [matching.block_text(k) for k in keys]


def block_keys(key: LinkageKey, texts: Iterable[str]) -> list[str]:
    """Block keys as stored: keyed (so they tell nothing without the hub key, and a new key
    makes new ones), short (80 bits: no two blocks of a hub collide by chance)."""
    base = hmac.new(key.subkey("lookup-blocks"), digestmod=hashlib.sha256)
    out = []
    for text in texts:
        mac = base.copy()  # the keyed state once per call, not once per block
        mac.update(text.encode())
        out.append(mac.hexdigest()[:20])
    return out


def _encoded(survivor: Survivor, values: dict[str, Any], key: LinkageKey) -> dict[str, Any]:
    made = encode(key, {name: values.get(name) for name in LINKAGE_FIELDS})
    return {
        "org_id": survivor.org_id,
        "scheme": made.scheme,
        "key_id": made.key_id,
        "encoding": made.to_text(),
        "weak": made.weak,
    }


@transaction.atomic
def encode_survivors(*, by: Actor, org_id: Any = None, stale_only: bool = False) -> int:
    """Backfill or re-key: encode every survivor of an organisation (or of each organisation,
    each inside its own records). Returns how many were encoded; one audit event per
    organisation, holding counts only. Organisations that have left record linkage are left
    out (`rejoin_organisation` brings one back)."""
    key = hub_key()
    survivors = (
        Survivor.objects.filter(erased_at__isnull=True)
        .exclude(org_id__in=organisations_left().values("org_id"))
        .order_by("org_id", "pk")
    )
    if org_id is not None:
        survivors = survivors.filter(org_id=org_id)
    if stale_only:
        # Without blocks is stale too (encodings made before the lookup index): every current
        # encoding has at least its whole-encoding block.
        current = SurvivorEncoding.objects.filter(
            scheme=SCHEME, key_id=key.key_id, blocks__isnull=False
        )
        survivors = survivors.exclude(pk__in=current.values("survivor_id"))
    counts: dict[Any, int] = defaultdict(int)
    for survivor in survivors.iterator(chunk_size=500):
        refresh_encoding(survivor, key=key)
        counts[survivor.org_id] += 1
    for org, n in counts.items():
        record_event(
            by=by,
            action="linkage.encoded",
            org_id=org,
            target_type="organisation",
            target_id=org,
            context={"survivors": str(n), "scheme": SCHEME, "key": key.key_id},
        )
    return sum(counts.values())


@transaction.atomic
def run_linkage(*, by: Actor, thresholds: matching.Thresholds | None = None) -> LinkageRun:
    """Match every current encoding into persons and record who is one person.

    Encodings of another key or scheme are not compared (counted as stale); uncertain pairs
    are never merged, only counted. Crosses organisations on purpose: it reads encodings only.
    The thresholds it ran with are stored with its weights and in its audit event: runs since
    71c41e6 merge at 1/2, earlier ones at 0.7, and their persons differ (ADR 27, ADR 41).
    """
    thresholds = thresholds or matching.Thresholds()
    key = hub_key()
    started = time.perf_counter()
    with tenancy.widened("record linkage run (encodings only)"):
        rows = (
            # Defensive, as in refresh_encoding: nothing sets erased_at today (erasure deletes).
            SurvivorEncoding.objects.filter(survivor__erased_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "encoding")
            .iterator(chunk_size=2000)
        )
        # Packed straight from the stored texts, read one at a time: no `Encoding` per record
        # nor every text held at once (ADR 41, amended 2026-12-06, sixth session).
        batch, ids, stale = packed.Packed.from_stored(rows, key_id=key.key_id)
        result = matching.link(batch, thresholds=thresholds)
        _store_persons(ids, result.labels)
        _drop_old_frequencies()
        run = LinkageRun.objects.create(
            scheme=SCHEME,
            key_id=key.key_id,
            records=len(ids),
            persons=result.persons,
            persons_if_uncertain_merged=result.persons_if_uncertain_merged,
            persons_expected=round(result.persons_expected),
            uncertain_pairs=result.uncertain_pairs,
            weak_records=result.weak_records,
            stale_records=stale,
            candidate_pairs=result.candidate_pairs,
            weights=_weights_json(result.weights, key, batch, thresholds),
        )
    record_event(
        by=by,
        action="linkage.run",
        target_type="linkagerun",
        target_id=run.pk,
        context={
            "records": str(run.records),
            "persons": str(run.persons),
            "uncertain": str(run.uncertain_pairs),
            "ms": str(round(1000 * (time.perf_counter() - started))),
            **{f"threshold_{name}": str(value) for name, value in _thresholds(thresholds).items()},
        },
    )
    return run


def _drop_old_frequencies() -> None:
    """Earlier runs keep their weights and counts of persons, not their term frequencies: only
    the current run's are read (by the hint), and those of an earlier run still count the
    records of survivors since erased and of organisations since withdrawn (ADR 41). One
    UPDATE, in the database: not each earlier run's weights (megabytes of counts at scale) read
    into Python and written back."""
    LinkageRun.objects.filter(weights__has_key="frequencies").update(
        weights=_WithoutKey("weights", "frequencies")
    )


class _WithoutKey(Func):
    """A JSON object column without one top-level key, computed by the database (PostgreSQL's
    jsonb `-`, SQLite's `json_remove`); the two databases Harbour runs on."""

    output_field = models.JSONField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(F(column))
        self.key = key

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> NoReturn:
        raise NotSupportedError(f"removing a JSON key is not written for {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} - %s::text)", (*params, self.key)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        return f"json_remove({column}, %s)", (*params, f"$.{self.key}")


def _thresholds(thresholds: matching.Thresholds) -> dict[str, float]:
    """What a run records of its thresholds: `merge` and `uncertain` decide its persons,
    `conflict` the merges it refuses; `match` is the hint's at the time, kept for the record
    (a run does not use it)."""
    return dataclasses.asdict(thresholds)


def _weights_json(
    weights: matching.Weights | None,
    key: LinkageKey,
    batch: packed.Packed,
    thresholds: matching.Thresholds,
) -> dict[str, Any]:
    if weights is None:
        # Nothing to score with: the hint reads a run's weights only when there are some.
        return {}
    # With the run's term frequencies (keyed digests -> counts), which the hint weighs by as
    # the run did (linkage.lookup, ADR 41), and the thresholds it ran with. A run without
    # them was made before they were stored: at 0.7 before 71c41e6, at 1/2 since (its
    # `created_at` against the deployment tells; ADR 27, amended 2026-12-06).
    frequencies = frequencies_json(key, batch.encodings(matching.TF_FIELDS, key_id=key.key_id))
    return {
        "m": weights.m,
        "u": weights.u,
        "prior": weights.prior,
        "frequencies": frequencies,
        "thresholds": _thresholds(thresholds),
    }


def _store_persons(ids: list[Any], labels: list[int]) -> None:
    """A fresh random person id per cluster: it says nothing about the records in it."""
    person_of = {label: uuid.uuid4() for label in set(labels)}
    SurvivorEncoding.objects.update(person=None)
    SurvivorEncoding.objects.bulk_update(
        [
            SurvivorEncoding(pk=pk, person=person_of[label])
            for pk, label in zip(ids, labels, strict=True)
        ],
        ["person"],
        batch_size=2000,
    )


@transaction.atomic
def withdraw_organisation(*, by: Actor, org_id: Any) -> int:
    """An organisation leaves record linkage and takes its encodings with it: they are deleted
    (its own records stay with it), and it stays out until `rejoin_organisation`: a
    `Withdrawal` is recorded, and while it is open nothing of the organisation is encoded and
    its staff get no hint (ADR 41). Returns how many encodings were deleted. Conflict if it has
    already left."""
    _hold_organisation(org_id)
    if has_left(org_id):
        raise Conflict(_("This organisation has already left record linkage."))
    Withdrawal.objects.create(org_id=org_id)
    # Counted by model: the total would count their lookup blocks too.
    _total, by_model = SurvivorEncoding.objects.filter(org_id=org_id).delete()
    deleted = by_model.get(SurvivorEncoding._meta.label, 0)
    record_event(
        by=by,
        action="linkage.withdrawn",
        org_id=org_id,
        target_type="organisation",
        target_id=org_id,
        context={"encodings": str(deleted)},
    )
    return deleted


@transaction.atomic
def rejoin_organisation(*, by: Actor, org_id: Any) -> int:
    """An organisation that left record linkage comes back: its withdrawal is closed (kept, as
    its history) and its survivors are encoded again, inside it, from its own records. Returns
    how many were encoded. Conflict if it has not left."""
    _hold_organisation(org_id)
    updated = organisations_left().filter(org_id=org_id).update(rejoined_at=timezone.now())
    if not updated:
        raise Conflict(_("This organisation has not left record linkage."))
    encoded = encode_survivors(by=by, org_id=org_id)
    record_event(
        by=by,
        action="linkage.rejoined",
        org_id=org_id,
        target_type="organisation",
        target_id=org_id,
        context={"survivors": str(encoded)},
    )
    return encoded


def _hold_organisation(org_id: Any) -> None:
    """FOR UPDATE on the organisation's row: waits for its writes in flight that hold it
    (`has_left_held`, and every insert referencing it), and holds new ones back until the
    withdrawal or the return is committed, so none encodes across it."""
    list(Organisation.objects.select_for_update().filter(pk=org_id).values_list("pk", flat=True))


def has_left_held(org_id: Any) -> bool:
    """`has_left`, read under FOR KEY SHARE of the organisation's row (PostgreSQL): it does not
    hold up the organisation's other writes (they take the same or weaker), only a withdrawal
    or a return (`_hold_organisation`), which waits for this transaction to end; and a
    withdrawal in flight is waited for before reading, so the answer is not one read before it
    committed. Intake and the hint decide on it. SQLite serialises writing transactions by
    itself."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Organisation._meta.db_table)
        with connection.cursor() as cursor:
            # Django's select_for_update has no KEY SHARE; the table name is the model's own.
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [org_id])  # noqa: S608
    return has_left(org_id)
