"""Every write of record linkage: encoding survivors (inside their organisation) and runs."""

import datetime as dt
import hashlib
import hmac
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit.actions import Actor, SystemActor, record_event
from harbour.audit.models import AuditEvent, Outcome
from harbour.cases.models import Survivor
from harbour.cases.values import read_values
from harbour.core import tenancy
from harbour.core.errors import Forbidden
from harbour.linkage.core import matching
from harbour.linkage.core.encoding import SCHEME, Encoding, EncodingError, LinkageKey, encode
from harbour.linkage.keys import hub_key
from harbour.linkage.models import EncodingBlock, LinkageRun, SurvivorEncoding
from harbour.linkage.queries import current_run
from harbour.orgs.models import Organisation
from harbour.standard.dictionary import current
from harbour.standard.validation import validate

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
) -> SurvivorEncoding | None:
    """Re-encode one survivor from their decrypted record. Called by the organisation's own
    writes (intake, identity change), in their transaction: the plaintext never leaves it.
    `values` are the survivor's decrypted values when the caller has just read them (they are
    read here otherwise); `key` the hub key when the caller already holds it.
    An erased survivor keeps no encoding."""
    # Defensive: erasure today deletes the survivor (and their encoding with it) and nothing
    # sets `Survivor.erased_at`; should a soft erasure ever set it, no encoding survives it.
    if survivor.erased_at is not None:
        SurvivorEncoding.objects.filter(survivor=survivor).delete()
        return None
    if values is None:
        values = read_values(survivor, with_identity=True)
    key = key or hub_key()
    row, _created = SurvivorEncoding.objects.update_or_create(
        survivor=survivor, defaults=_encoded(survivor, values, key)
    )
    # The old blocks go with the old encoding (and the old key): never a stale match.
    EncodingBlock.objects.filter(encoding=row).delete()
    EncodingBlock.objects.bulk_create(new_blocks([row], key=key))
    return row


def new_encodings(
    survivors: Iterable[tuple[Survivor, dict[str, Any]]],
) -> list[SurvivorEncoding]:
    """The encodings of survivors created in bulk (a spreadsheet import), unsaved, from each
    survivor and the decrypted values the caller already read: the caller writes them with its
    own rows, in its transaction, then their blocks (`new_blocks`)."""
    key = hub_key()
    return [SurvivorEncoding(survivor=s, **_encoded(s, values, key)) for s, values in survivors]


def new_blocks(
    rows: Iterable[SurvivorEncoding], *, key: LinkageKey | None = None
) -> list[EncodingBlock]:
    """The lookup blocks of encodings (unsaved): every key and narrowed key of the kernel's
    `LookupIndex`, and the whole-encoding key, each hashed with the hub key (`block_keys`)."""
    key = key or hub_key()
    index = matching.LookupIndex()
    out = []
    for row in rows:
        try:
            made = Encoding.from_text(row.encoding, key_id=key.key_id)
        except EncodingError:
            continue  # another key's encoding: stale, found by `encode --stale`, no blocks
        out += [
            EncodingBlock(encoding=row, org_id=row.org_id, key=hashed)
            for hashed in block_keys(key, _block_texts(index, made))
        ]
    return out


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
    organisation, holding counts only."""
    key = hub_key()
    survivors = Survivor.objects.filter(erased_at__isnull=True).order_by("org_id", "pk")
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
    """
    key = hub_key()
    started = time.perf_counter()
    with tenancy.widened("record linkage run (encodings only)"):
        rows = list(
            # Defensive, as in refresh_encoding: nothing sets erased_at today (erasure deletes).
            SurvivorEncoding.objects.filter(survivor__erased_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "encoding")
        )
        ids, encodings, stale = [], [], 0
        for pk, text in rows:
            try:
                encodings.append(Encoding.from_text(text, key_id=key.key_id))
            except EncodingError:
                stale += 1
                continue
            ids.append(pk)
        result = matching.link(encodings, thresholds=thresholds)
        _store_persons(ids, result.labels)
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
            weights=_weights_json(result.weights),
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
        },
    )
    return run


def _weights_json(weights: matching.Weights | None) -> dict[str, Any]:
    if weights is None:
        return {}
    return {"m": weights.m, "u": weights.u, "prior": weights.prior}


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
    """An organisation leaving the hub takes its encodings with it: they are deleted here (its
    own records stay with it, and can be encoded again if it returns). Returns how many."""
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


# --- the returning-survivor hint at intake ------------------------------------------------------

# All a hint may say without the survivor's consent: never which organisation, where or when.
HINT_KNOWN = _(
    "This person may have been served before by another organisation. Ask them; with their "
    "consent, request the history."
)
# With the consent of the survivor at the organisation that served them ("known elsewhere"):
# the province of that organisation and the year of their latest intake there, never its name.
HINT_KNOWN_WHERE = _(
    "This person may have been served before by an organisation in %(places)s. Ask them; with "
    "their consent, request the history."
)
HINT_PLACE = _("%(province)s in %(year)s")
HINT_NONE = _("No sign that this person was served by another organisation.")
# A weak identity matches nothing confidently: "no sign" would mislead.
HINT_TOO_LITTLE = _(
    "Too little of the identity to tell: give at least two of given name, family name and "
    "birth date."
)
HINT_LIMITED = _(
    "Too many returning-survivor hints asked in the last hour. Wait a while and try again."
)
HINT_LIMITED_ORG = _(
    "Your organisation has reached its limit of returning-survivor hints for the last hour. "
    "Wait a while and try again."
)
# Said instead of a province holding too few organisations (HARBOUR_HINT_MIN_ORGS_PER_PLACE).
HINT_CANADA = _("Canada")


class Answer(StrEnum):
    KNOWN = "known"
    NONE = "none"
    TOO_LITTLE = "too_little"
    LIMITED = "limited"  # over a probe limit: nothing compared, nothing said


class Limit(StrEnum):
    """Which hourly probe limit a LIMITED answer reached."""

    USER = "user"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Hint:
    """What a returning-survivor hint says. `places` (province code, year) only from matched
    records whose survivor consented to it; empty otherwise. A province of None is Canada: the
    province held too few organisations to be told. `limit`: which limit a LIMITED reached."""

    answer: Answer
    places: tuple[tuple[str | None, int], ...] = ()
    limit: Limit | None = None

    @property
    def known(self) -> bool:
        return self.answer == Answer.KNOWN

    def message(self) -> str:
        if self.answer == Answer.KNOWN and self.places:
            provinces = current().codelists["province"]
            places = ", ".join(
                str(HINT_PLACE % {"province": _where(provinces, p), "year": y})
                for p, y in self.places
            )
            return str(HINT_KNOWN_WHERE % {"places": places})
        if self.answer == Answer.LIMITED and self.limit == Limit.ORGANISATION:
            return str(HINT_LIMITED_ORG)
        return str(
            {
                Answer.KNOWN: HINT_KNOWN,
                Answer.NONE: HINT_NONE,
                Answer.TOO_LITTLE: HINT_TOO_LITTLE,
                Answer.LIMITED: HINT_LIMITED,
            }[self.answer]
        )


def _where(provinces: Any, code: str | None) -> Any:
    return provinces.label_of(code) if code else HINT_CANADA


# Audit actions of a probe, all in the asking organisation's chain with counts only: a probe
# compared, one too weak to compare, one refused over a limit. The first two count against the
# limits: a weak probe compares nothing, but an automated caller could flood the trail with them.
PROBE = "linkage.hint_asked"
PROBE_TOO_LITTLE = "linkage.hint_too_little"
PROBE_REFUSED = "linkage.hint_refused"
COUNTED = (PROBE, PROBE_TOO_LITTLE)


@transaction.atomic
def returning_hint(*, by: User, values: dict[str, Any]) -> Hint:
    """Whether the person being taken in may have been served by another organisation.

    Encodes the identity typed at intake (inside the asking organisation) and compares it with
    every other organisation's current encodings. Without the survivor's consent it reveals
    nothing but yes or no; with it, the province and year (never the organisation). Each
    probe is audited in the asking organisation (counts only), and limited per user and hour
    (HARBOUR_HINT_PROBES_PER_HOUR) and per organisation and hour (..._ORG): a typed identity
    makes a membership oracle. Every hint
    shown is also audited at each organisation whose record matched, against that record,
    without naming the asker; the survivor's copy lists the hints about them.
    Over the limit the answer is LIMITED (audited, committed with the caller): the caller
    refuses it (the API with 429), it does not raise, so the audit event stays.
    """
    if not can(by, Perm.CASE_CREATE):
        raise Forbidden()
    entity = current().entity("survivor")
    wanted = {k: v for k, v in values.items() if k in LINKAGE_FIELDS}
    cleaned = validate(entity, wanted, version=current().latest, partial=True)
    return _hint(by, encode(hub_key(), cleaned))


@transaction.atomic
def returning_hint_for(*, by: User, survivor: Survivor) -> Hint | None:
    """The hint for a survivor just taken in, from the encoding their intake stored (a probe
    like any other). None when there is no current encoding to compare."""
    if not can(by, Perm.CASE_CREATE) or survivor.org_id != by.org_id:
        raise Forbidden()
    row = SurvivorEncoding.objects.filter(survivor=survivor).first()
    if row is None:
        return None
    try:
        mine = Encoding.from_text(row.encoding, key_id=hub_key().key_id)
    except EncodingError:
        return None
    return _hint(by, mine)


def _hint(by: User, mine: Encoding) -> Hint:
    reached = _limit_reached(by)
    if reached is not None:
        _audit_probe(by, PROBE_REFUSED, outcome=Outcome.REFUSED, limit=str(reached))
        return Hint(Answer.LIMITED, limit=reached)
    if mine.weak:  # compares nothing, so reveals nothing; audited and counted all the same
        _audit_probe(by, PROBE_TOO_LITTLE)
        return Hint(Answer.TOO_LITTLE)
    matched = _matching_elsewhere(mine, by.org_id)
    places = _places(matched, by)
    # What the asker was told, no more: how many records matched elsewhere is not said to the
    # asker, so it is not written in the asker's own chain either.
    _audit_probe(
        by,
        PROBE,
        answer=str(Answer.KNOWN if matched else Answer.NONE),
        place_told="yes" if places else "no",
    )
    for org_id, survivor_id in matched:
        # In the chain of the organisation whose record matched, by the system: it learns that
        # a hint about its record was shown elsewhere, not where (which would tell it where the
        # survivor went now); and whether the hint said where and when, by their consent.
        record_event(
            by=SystemActor("linkage-hint"),
            action="linkage.hint_about",
            org_id=org_id,
            target_type="survivor",
            target_id=survivor_id,
            context={"place_told": "yes" if survivor_id in places else "no"},
        )
    if not matched:
        return Hint(Answer.NONE)
    # Provinces first, then Canada (None), each by year.
    told = sorted(set(places.values()), key=lambda p: (p[0] is None, p[0] or "", p[1]))
    return Hint(Answer.KNOWN, tuple(told))


def _audit_probe(by: User, action: str, outcome: str = Outcome.OK, **told: str) -> None:
    """In the asking organisation's chain: who asked and what they were told; never the
    identity asked."""
    record_event(
        by=by,
        action=action,
        org_id=by.org_id,
        target_type="organisation",
        target_id=by.org_id,
        outcome=outcome,
        context=told,
    )


def _limit_reached(by: User) -> Limit | None:
    """The limit this probe would pass, or None: HARBOUR_HINT_PROBES_PER_HOUR probes by this
    user, or HARBOUR_HINT_PROBES_PER_HOUR_ORG by all users of the organisation, in the last
    hour, counted from the audit trail (the trail is the record of them; no second count to
    keep in step; refusals are not counted, so waiting an hour always frees a probe).

    The organisation's row is locked first, so concurrent probes of one organisation (and of
    one user) serialise: none can pass a limit counted before another's event was written.
    FOR NO KEY UPDATE: the organisation's own writes referencing its row are not held up."""
    list(
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk=by.org_id)
        .values_list("pk", flat=True)
    )
    since = timezone.now() - dt.timedelta(hours=1)
    # In the organisation's own chain: its users' probes are written there, and only there.
    asked = AuditEvent.objects.filter(org_id=by.org_id, action__in=COUNTED, occurred_at__gte=since)
    if asked.filter(actor_id=by.pk).count() >= settings.HARBOUR_HINT_PROBES_PER_HOUR:
        return Limit.USER
    if asked.count() >= settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG:
        return Limit.ORGANISATION
    return None


def _places(matched: list[tuple[Any, Any]], by: User) -> dict[Any, tuple[str | None, int]]:
    """(province, year) of each matched record whose survivor consented to be known elsewhere
    (sharing policy, live consent): the province of the organisation that served them (None,
    said Canada, where that would identify it: `_unidentifying`) and the year of their latest
    intake there."""
    from harbour.cases.models import Case
    from harbour.sharing.policy import may_tell_where_served

    if not matched:
        return {}
    asker = Organisation.objects.get(pk=by.org_id)
    now = timezone.now()
    found: dict[Any, tuple[str, int]] = {}
    with tenancy.widened("returning-survivor hint: consent, province and year"):
        survivors = Survivor.objects.select_related("org").in_bulk([s for _o, s in matched])
        for survivor in survivors.values():
            if not may_tell_where_served(survivor, asker=asker, now=now):
                continue
            latest = (
                Case.objects.filter(survivor=survivor)
                .order_by("-intake_date")
                .values_list("intake_date", flat=True)
                .first()
            )
            if latest is not None:
                found[survivor.pk] = (survivor.org.province, latest.year)
    return _unidentifying(found)


def _unidentifying(found: dict[Any, tuple[str, int]]) -> dict[Any, tuple[str | None, int]]:
    """Each place with its province replaced by None (Canada) where the province holds fewer
    than HARBOUR_HINT_MIN_ORGS_PER_PLACE active organisations (of any type, the asker's too):
    there, a province would all but name the organisation that served the survivor."""
    provinces = {p for p, _y in found.values()}
    held = dict(
        Organisation.objects.filter(is_active=True, province__in=provinces)
        .values("province")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("province", "n")
    )
    least = settings.HARBOUR_HINT_MIN_ORGS_PER_PLACE
    return {s: (p if held.get(p, 0) >= least else None, y) for s, (p, y) in found.items()}


def _matching_elsewhere(mine: Encoding, org_id: Any) -> list[tuple[Any, Any]]:
    """(organisation, survivor) of every other organisation's record that matches confidently,
    among the records sharing a lookup block with it (`_candidates`)."""
    key = hub_key()
    weights = _weights_from(current_run()) or matching.estimate({}, {})
    thresholds = matching.Thresholds()
    found = []
    with tenancy.widened("returning-survivor hint (encodings only)"):
        rows = _candidates(mine, org_id, key).values_list("org_id", "survivor_id", "encoding")
        for other_org, survivor_id, text in rows.iterator(chunk_size=2000):
            try:
                other = Encoding.from_text(text, key_id=key.key_id)
            except EncodingError:
                continue  # a malformed stored row is skipped, as run_linkage counts it stale
            sure = matching.same_person_for_sure(mine, other)
            if sure or weights.probability(matching.compare(mine, other)) >= thresholds.match:
                found.append((other_org, survivor_id))
    return found


def _candidates(
    mine: Encoding, org_id: Any, key: LinkageKey, *, index: matching.LookupIndex | None = None
) -> Any:
    """Other organisations' current encodings sharing a lookup block with `mine`, as the
    kernel's `LookupIndex.candidates` chooses them: a block of more than `max_block`
    encodings is narrowed to its narrowed key, left out if still too large (ADR 41). Three
    indexed queries at most, whatever the number of encodings. Call under `widened`."""
    index = index or matching.LookupIndex()
    limit = index.blocking.max_block
    entries = index.entries(mine)
    hashed = block_keys(
        key,
        [matching.block_text(index.same(mine))]
        + [matching.block_text(k) for pair in entries for k in pair],
    )
    same, pairs = hashed[0], list(zip(hashed[1::2], hashed[2::2], strict=True))
    sizes = _sizes([same, *(k for k, _n in pairs)])
    narrowed = [n for k, n in pairs if sizes.get(k, 0) > limit]
    sizes |= _sizes(narrowed) if narrowed else {}
    chosen = [
        b
        for b in (same, *(n if sizes.get(k, 0) > limit else k for k, n in pairs))
        if sizes.get(b, 0) <= limit
    ]
    blocks = EncodingBlock.objects.filter(key__in=chosen).values("encoding_id")
    return SurvivorEncoding.objects.filter(
        pk__in=blocks, scheme=SCHEME, key_id=key.key_id, weak=False
    ).exclude(org_id=org_id)


def _sizes(keys: list[str]) -> dict[str, int]:
    """How many encodings hold each block key (every organisation's, the asker's too, as the
    kernel's index counts them)."""
    counted = (
        EncodingBlock.objects.filter(key__in=keys)
        .values("key")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("key", "n")
    )
    return dict(counted)


def _weights_from(run: LinkageRun | None) -> matching.Weights | None:
    if run is None or not run.weights:
        return None
    w = run.weights
    return matching.Weights(m=w["m"], u=w["u"], prior=w["prior"])
