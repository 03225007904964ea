"""The returning-survivor hint at intake (ADR 41): a probe of the identity typed at intake, or
of a survivor just taken in, against every other organisation's current encodings. What it may
tell, and how often it may be asked, is `policy`'s; this module compares, answers and audits."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit.actions import EventSpec, SystemActor, lock_chains, record_event, record_events
from harbour.audit.models import Outcome
from harbour.cases.models import Survivor
from harbour.core import tenancy
from harbour.core.errors import Forbidden
from harbour.linkage import lookup, policy
from harbour.linkage.actions import LINKAGE_FIELDS, block_keys, has_left_held
from harbour.linkage.core import matching, packed
from harbour.linkage.core.encoding import SCHEME, Encoding, EncodingError, LinkageKey, encode
from harbour.linkage.keys import hub_key
from harbour.linkage.models import EncodingBlock, SurvivorEncoding
from harbour.linkage.policy import Limit
from harbour.linkage.queries import current_run_id
from harbour.standard.dictionary import current
from harbour.standard.validation import validate

__all__ = ["Answer", "Hint", "Limit", "returning_hint", "returning_hint_for"]

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
# To the staff of an organisation that has left record linkage: it gives the hub nothing, so it
# is told nothing (ADR 41).
HINT_LEFT = _("Not available: your organisation has left record linkage.")
# Said instead of a province holding too few organisations (HARBOUR_HINT_MIN_ORGS_PER_PLACE).
HINT_CANADA = _("Canada")


class Answer(StrEnum):
    KNOWN = "known"
    NONE = "none"
    TOO_LITTLE = "too_little"
    LIMITED = "limited"  # over a probe limit: nothing compared, nothing said
    LEFT = "left"  # the asking organisation has left record linkage: nothing compared


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
                Answer.LEFT: HINT_LEFT,
            }[self.answer]
        )


def _where(provinces: Any, code: str | None) -> Any:
    return provinces.label_of(code) if code else HINT_CANADA


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
    # Before encoding: nothing of it is encoded, not even a probe. Held (`has_left_held`): a
    # withdrawal in flight is waited for, and none starts before this hint is over.
    if has_left_held(by.org_id):
        return _unavailable(by)
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
    if has_left_held(by.org_id):
        return _unavailable(by)
    row = SurvivorEncoding.objects.filter(survivor=survivor).first()
    if row is None:
        return None
    try:
        mine = Encoding.from_text(row.encoding, key_id=hub_key().key_id)
    except EncodingError:
        return None
    return _hint(by, mine)


def _hint(by: User, mine: Encoding) -> Hint:
    reached = policy.probe_limit_reached(by)
    if reached is not None:
        _audit_probe(by, policy.PROBE_REFUSED, outcome=Outcome.REFUSED, limit=str(reached))
        return Hint(Answer.LIMITED, limit=reached)
    if mine.weak:  # compares nothing, so reveals nothing; audited and counted all the same
        _audit_probe(by, policy.PROBE_TOO_LITTLE)
        return Hint(Answer.TOO_LITTLE)
    matched = _matching_elsewhere(mine, by.org_id)
    places = policy.places_told(matched, by)
    # Every chain this hint writes, locked before any is written and in one order: written in
    # turn (the asker's, then each matched one's), a hint from A about a record at B and one
    # from B about a record at A each held its own and waited for the other's (a deadlock).
    lock_chains([by.org_id, *(org for org, _survivor in matched)])
    # What the asker was told, no more: how many records matched elsewhere is not said to the
    # asker, so it is not written in the asker's own chain either.
    _audit_probe(
        by,
        policy.PROBE,
        answer=str(Answer.KNOWN if matched else Answer.NONE),
        place_told="yes" if places else "no",
    )
    _audit_about(matched, places)
    if not matched:
        return Hint(Answer.NONE)
    # Provinces first, then Canada (None), each by year.
    told = sorted(set(places.values()), key=lambda p: (p[0] is None, p[0] or "", p[1]))
    return Hint(Answer.KNOWN, tuple(told))


def _audit_about(matched: list[tuple[Any, Any]], places: dict[Any, Any]) -> None:
    """One `linkage.hint_about` event per matched record, in the chain of the organisation
    whose record matched, by the system: it learns that a hint about its record was shown
    elsewhere, not where (which would tell it where the survivor went now); and whether the
    hint said where and when, by their consent. Appended organisation by organisation
    (`record_events`: one lock of the head, one insert, one move of the head), in the order
    matched: the same events as one `record_event` each, without its three to five queries
    per matched record (a returning survivor matches several records in a large hub)."""
    about: dict[Any, list[EventSpec]] = {}
    for org_id, survivor_id in matched:
        about.setdefault(org_id, []).append(
            EventSpec(
                action="linkage.hint_about",
                target_type="survivor",
                target_id=survivor_id,
                context={"place_told": "yes" if survivor_id in places else "no"},
            )
        )
    for org_id, events in about.items():
        record_events(by=SystemActor("linkage-hint"), org_id=org_id, events=events)


def _unavailable(by: User) -> Hint:
    """The asker's organisation has left record linkage: it gives the hub nothing, so it is
    told nothing. Nothing is compared, so no organisation hears of it; audited in its own
    chain as refused, and not counted against the limits (like a refusal: it reveals
    nothing). The caller refuses it (the API with 409); it does not raise, so the event stays."""
    _audit_probe(by, policy.PROBE_UNAVAILABLE, outcome=Outcome.REFUSED)
    return Hint(Answer.LEFT)


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


def _matching_elsewhere(mine: Encoding, org_id: Any) -> list[tuple[Any, Any]]:
    """(organisation, survivor) of every other organisation's record that matches confidently,
    among the records sharing a lookup block with it (`_candidates`), compared all at once by
    the packed kernel with the latest run's weights and term frequencies (`lookup.matches`)."""
    key = hub_key()
    # Before the first linkage run there are no weights learnt from the hub's records, and the
    # default ones told 27 % of strangers "known" at 10,000 encodings (bench_linkage_lookup):
    # until a run, only a record the same for sure counts (ADR 41).
    run_id = current_run_id()
    scoring = lookup.scoring(run_id) if run_id is not None else None
    with tenancy.widened("returning-survivor hint (encodings only)"):
        # Fetched at once, not through a server-side cursor (`iterator`): a few hundred rows
        # at most (blocks are capped), and a named cursor cost three round trips more.
        rows = list(_candidates(mine, org_id, key).values_list("org_id", "survivor_id", "encoding"))
    theirs, kept = _packed([text for _o, _s, text in rows], key.key_id)
    found = lookup.matches(key, mine, theirs, scoring, matching.Thresholds().match)
    return [rows[i][:2] for i, yes in zip(kept, found.tolist(), strict=True) if yes]


def _packed(texts: list[str], key_id: str) -> tuple[packed.Packed, list[int]]:
    """The candidates' stored texts packed in one pass (`lookup.packed_texts`), with the index
    of each packed row among `texts`. One malformed row refuses the whole batch; then every
    text is checked as `Packed.from_texts` checks it (`Encoding.from_text`) and the
    well-formed ones packed once (300 rows: 5 ms, where packing each alone took 41 ms): a
    malformed stored row counts as stale, as run_linkage counts it, and never aborts the
    hint."""
    try:
        return lookup.packed_texts(texts, key_id), list(range(len(texts)))
    except EncodingError:
        kept = [i for i, text in enumerate(texts) if _well_formed(text, key_id)]
        return lookup.packed_texts([texts[i] for i in kept], key_id), kept


def _well_formed(text: str, key_id: str) -> bool:
    try:
        Encoding.from_text(text, key_id=key_id)
    except EncodingError:
        return False
    return True


def _candidates(
    mine: Encoding, org_id: Any, key: LinkageKey, *, index: matching.LookupIndex | None = None
) -> Any:
    """Other organisations' current encodings sharing a lookup block with `mine`, as the
    kernel's `LookupIndex.candidates` chooses them: a block of more than `max_block`
    encodings is narrowed to its narrowed key, left out if still too large (ADR 41). Three
    indexed queries at most, whatever the number of encodings. Call under `widened`."""
    index = index or lookup.shared_index()
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
