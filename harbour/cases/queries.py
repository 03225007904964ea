"""Multi-model reads for cases: lists, the timeline, search, dashboard counts."""

import dataclasses
import datetime as dt
import threading
import uuid
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Count, QuerySet
from django.utils import timezone

from harbour.cases.actions import search_tokens
from harbour.cases.immigration import steps as immigration
from harbour.cases.models import (
    Case,
    CaseNote,
    FollowUp,
    ImmigrationStep,
    Screening,
    ServiceProvided,
    SupportPlan,
    Survivor,
    SurvivorIndexEntry,
    TraffickingEvent,
)
from harbour.cases.values import entity_of, read_values
from harbour.orgs.models import name_column

RECORD_MODELS: dict[str, type[Any]] = {
    "trafficking_event": TraffickingEvent,
    "service_provided": ServiceProvided,
    "support_plan": SupportPlan,
    "follow_up": FollowUp,
    "case_note": CaseNote,
    "immigration_step": ImmigrationStep,
}


def filter_cases(
    cases: QuerySet[Case], *, status: str = "", owner_id: Any = None, province: str = ""
) -> QuerySet[Case]:
    if status:
        cases = cases.filter(status=status)
    if owner_id:
        cases = cases.filter(owner_id=owner_id)
    if province:
        cases = cases.filter(intake_province=province)
    return cases.select_related("owner", "survivor").order_by("-intake_date", "-created_at")


def list_columns(cases: QuerySet[Case]) -> QuerySet[Any]:
    """The columns a row of the case list shows, as named tuples (presentation.list_rows)."""
    return cases.values_list(
        "id",
        "reference",
        "intake_date",
        "status",
        "exploitation_types",
        "owner__full_name",
        "survivor__reference",
        named=True,
    )


def find_survivors(
    survivors: QuerySet[Survivor],
    org_id: Any,
    *,
    name: str = "",
    birth_date: Any = None,
    reference: str = "",
) -> QuerySet[Survivor]:
    """Survivors of the organisation whose blind-index tokens match every word and the date."""
    if reference:
        survivors = survivors.filter(reference__iexact=reference.strip())
    values: dict[str, Any] = {"given_name": name, "birth_date": birth_date}
    for token in search_tokens(org_id, values):
        survivors = survivors.filter(
            pk__in=SurvivorIndexEntry.objects.filter(org_id=org_id, token=token).values(
                "survivor_id"
            )
        )
    return survivors.order_by("-created_at")


@dataclass(frozen=True)
class TimelineItem:
    when: dt.date
    kind: str
    record: Any
    values: dict[str, Any]


def timeline(case: Case, *, with_identity: bool) -> list[TimelineItem]:
    """Everything recorded in a case, newest first. A record's `created_by` is not read with it
    (the page names the recorders from its one query of names)."""
    items = [TimelineItem(case.intake_date, "intake", case, {})]
    # Each kind's query is compiled once (`compiled`): building seven querysets was
    # most of the page's ORM time (issue 9). Unordered: the sort below decides the order, and
    # the database's order only broke ties of the whole sort key (one kind, same date, same
    # created_at: demo notes backdated to one day), where SQL leaves it undefined anyway; the
    # scan's order is what both databases gave (test_case_page_queries.py).
    for kind, model in RECORD_MODELS.items():
        for record in compiled(_OF_CASE[model], case.pk):
            values = read_values(record, with_identity=with_identity)
            items.append(TimelineItem(_date_of(kind, record, values), kind, record, values))
    for screening in compiled(_OF_CASE[Screening], case.pk):
        items.append(
            TimelineItem(
                screening.screened_on or case.intake_date,
                "screening",
                screening,
                read_values(screening, with_identity=False),
            )
        )
    return sorted(items, key=lambda i: (i.when, i.record.created_at), reverse=True)


# --- queries compiled once ---------------------------------------------------------------------

# Stand-ins for the ids a compiled query filters on, found again in its parameters.
_STAND_INS = [uuid.UUID(int=0x5EED0 + i) for i in range(4)]
_AN_ID = models.UUIDField()


@dataclass(frozen=True)
class _Compiled:
    model: type[Any]
    sql: str
    order: list[int]  # each parameter: which of the ids
    attnames: list[str]
    converters: list[tuple[int, list[Any], Any]]


# Per connection object (each thread has its own): the converters are bound to it.
_compiled: "weakref.WeakKeyDictionary[Any, dict[Any, _Compiled]]" = weakref.WeakKeyDictionary()
_compiled_lock = threading.Lock()


def _compile(connection: Any, build: Callable[..., QuerySet[Any]], count: int) -> _Compiled:
    compiler = build(*_STAND_INS[:count]).query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    stand_ins = [_AN_ID.get_db_prep_value(i, connection) for i in _STAND_INS[:count]]
    info = compiler.klass_info
    if info is None or info.get("related_klass_infos") or any(p not in stand_ins for p in params):
        raise AssertionError(f"{build.__name__}: not a query of one model's rows by ids")
    columns = [expression for expression, _sql, _alias in compiler.select]
    if len(columns) != len(info["select_fields"]):
        raise AssertionError(f"{build.__name__}: reads more than the model's columns")
    converters = compiler.get_converters(columns)
    return _Compiled(
        info["model"],
        sql,
        [stand_ins.index(p) for p in params],
        [expression.target.attname for expression in columns],
        [(i, c, e) for i, (c, e) in converters.items()],
    )


def compiled(build: Callable[..., QuerySet[Any]], *ids: Any) -> list[Any]:
    """`list(build(*ids))`: the same SQL and the same instances, without building the queryset
    each time: its SQL and its columns' converters are compiled once per connection (the ORM
    building the case page's querysets was most of its view's time, issue 9). `build` is a
    module-level function (the key) of ids only, a query of one model's rows (`.only()` is
    fine, `select_related` is not): the same query whatever the ids."""
    connection = connections[DEFAULT_DB_ALIAS]
    with _compiled_lock:
        known = _compiled.setdefault(connection, {})
    found = known.get(build)
    if found is None:
        found = known[build] = _compile(connection, build, len(ids))
    prepared = [_AN_ID.get_db_prep_value(i, connection) for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(found.sql, [prepared[i] for i in found.order])
        rows = cursor.fetchall()
    records = []
    for fetched in rows:
        row = list(fetched)
        for position, converters, expression in found.converters:
            for convert in converters:
                row[position] = convert(row[position], expression, connection)
        records.append(found.model.from_db(connection.alias, found.attnames, row))
    return records


def _records_of(model: type[Any]) -> Callable[[Any], QuerySet[Any]]:
    def build(case_id: Any) -> QuerySet[Any]:
        return model._default_manager.filter(case_id=case_id).order_by()

    build.__name__ = f"{model.__name__}_of_case"
    return build


# One builder a model (the key of its compiled query), made once.
_WITH_SCREENINGS: list[type[Any]] = [*RECORD_MODELS.values(), Screening]
_OF_CASE = {model: _records_of(model) for model in _WITH_SCREENINGS}


def _referrals_of_case(case_id: Any) -> QuerySet[Any]:
    from harbour.sharing.models import Referral

    return Referral.objects.filter(case_id=case_id).only("id", "kind", "status", "receiving_org_id")


def referrals_of(case: Case) -> list[Any]:
    """The case's referrals (newest first) with what its page shows of them: their kind,
    status and receiving organisation's id (its name: `names_of`)."""
    return compiled(_referrals_of_case, case.pk)


def names_of(people: list[Any], organisations: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The full names of these staff and the names (in the current language) of these
    organisations, by id as text, in one statement, none without ids: the case page asked
    the ORM for two (issue 9). Names only: no one's record is read."""
    from harbour.accounts.models import User
    from harbour.orgs.models import Organisation

    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for kind, model, columns, ids in (
        ("p", User, ("full_name", "full_name"), people),
        ("o", Organisation, ("name_en", "name_fr"), organisations),
    ):
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            english, french = (quote(c) for c in columns)
            parts.append(
                f"SELECT '{kind}', {quote('id')}, {english}, {french} "  # noqa: S608 (our columns)
                f"FROM {quote(model._meta.db_table)} WHERE {quote('id')} IN ({marks})"
            )
            params += [_AN_ID.get_db_prep_value(i, connection) for i in ids]
    found: dict[str, dict[str, str]] = {"p": {}, "o": {}}
    if parts:
        in_french = name_column() == "name_fr"  # as Organisation.name
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for kind, pk, name_en, name_fr in cursor.fetchall():
                found[kind][str(_AN_ID.to_python(pk))] = name_fr if in_french else name_en
    return found["p"], found["o"]


_DATE_FIELDS = {
    "trafficking_event": "event_date",
    "service_provided": "provided_on",
    "follow_up": "follow_up_date",
    "immigration_step": "step_date",
}


def _date_of(kind: str, record: Any, values: dict[str, Any]) -> dt.date:
    found = values.get(_DATE_FIELDS.get(kind, ""))
    return found if isinstance(found, dt.date) else record.created_at.date()


def case_counts(cases: QuerySet[Case]) -> dict[str, int]:
    rows = cases.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def code_counts(cases: QuerySet[Case], field_id: str) -> Counter[str]:
    """How many cases hold each code of a multi-code field (counted in Python: portable across
    SQLite and PostgreSQL JSON, and fast enough for one organisation's cases)."""
    counts: Counter[str] = Counter()
    for codes in cases.values_list(field_id, flat=True).iterator(chunk_size=2000):
        counts.update(codes or [])
    return counts


def value_counts(cases: QuerySet[Case], field_id: str) -> Counter[str]:
    rows = cases.values(field_id).annotate(n=Count("id"))
    return Counter({row[field_id] or "": row["n"] for row in rows})


def monthly_intakes(cases: QuerySet[Case], months: int = 12) -> list[tuple[str, int]]:
    today = dt.date.today()
    start = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    counts: Counter[str] = Counter()
    for day in cases.filter(intake_date__gte=start).values_list("intake_date", flat=True):
        counts[day.strftime("%Y-%m")] += 1
    keys = []
    cursor = start
    while cursor <= today:
        keys.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return [(k, counts.get(k, 0)) for k in keys]


def label_for(model_or_record: Any, field_id: str) -> str:
    return str(entity_of(model_or_record).field(field_id).label)


# --- immigration ------------------------------------------------------------------------------


def _immigration_of(org_id: Any, survivor_id: Any) -> QuerySet[ImmigrationStep]:
    return ImmigrationStep.objects.filter(org_id=org_id, case__survivor_id=survivor_id).order_by(
        "step_date", "created_at"
    )


def immigration_records(survivor: Survivor) -> QuerySet[ImmigrationStep]:
    """The survivor's immigration steps in this organisation, across all their cases."""
    return _immigration_of(survivor.org_id, survivor.pk)


def immigration_record_list(survivor: Survivor) -> list[ImmigrationStep]:
    """`immigration_records`, read by its compiled query (the case page's)."""
    return compiled(_immigration_of, survivor.org_id, survivor.pk)


def _other_episodes(survivor_id: Any, case_id: Any) -> QuerySet[Case]:
    shown = ("id", "reference", "intake_date", "survivor_id")
    others = Case.objects.filter(survivor_id=survivor_id).exclude(pk=case_id)
    return others.order_by("-intake_date").only(*shown)


def other_episodes(case: Case) -> list[Case]:
    """The survivor's other episodes here, newest first, with what the case page shows of them
    (not their sealed values and forty other columns)."""
    return compiled(_other_episodes, case.survivor_id, case.pk)


def immigration_steps(records: Any) -> list[immigration.Step]:
    """Pure steps from records (no decryption: nothing the rules read is sealed)."""
    return [
        immigration.from_values(read_values(r, with_identity=False), key=r.pk, order=i)
        for i, r in enumerate(sorted(records, key=lambda r: r.created_at))
    ]


def immigration_standing(survivor: Survivor, today: dt.date | None = None) -> immigration.Standing:
    steps = immigration_steps(immigration_records(survivor))
    return immigration.standing(steps, today or timezone.localdate())


_STEP_COLUMNS = ("step", "step_date", "valid_until", "status", "trp_stage", "refusal_reason")


def immigration_timelines(org_id: Any = None) -> dict[Any, tuple[str, list[immigration.Step]]]:
    """survivor id → (province, steps) for every survivor record with steps, in one query of
    columns only (nothing sealed is read). The province is that of the latest step's case;
    without `org_id`, all organisations (for the national counts)."""
    rows = (
        ImmigrationStep.objects.all()
        if org_id is None
        else ImmigrationStep.objects.filter(org_id=org_id)
    )
    found: dict[Any, tuple[str, list[immigration.Step]]] = {}
    columns = rows.order_by("created_at").values_list(
        "case__survivor_id", "case__intake_province", "family_members_covered", *_STEP_COLUMNS
    )
    for i, (survivor, province, family, *values) in enumerate(columns.iterator(chunk_size=2000)):
        step = immigration.from_values(dict(zip(_STEP_COLUMNS, values, strict=True)), order=i)
        step = dataclasses.replace(step, family_members=family)
        steps = found[survivor][1] if survivor in found else []
        steps.append(step)
        found[survivor] = (province, steps)
    return found


def permits_to_remind(today: dt.date, leads: list[int]) -> list[tuple[ImmigrationStep, int]]:
    """Current permits and coverages ending within the longest lead time whose next reminder is
    due, with that lead. A permit renewed, expired or replaced since is not current any more."""
    horizon = today + dt.timedelta(days=max(leads, default=0))
    candidates = ImmigrationStep.objects.filter(
        step__in=immigration.PERMITS, valid_until__gte=today, valid_until__lte=horizon
    ).select_related("case__owner", "case__survivor")
    due = []
    for record in candidates:
        lead = immigration.expiry_lead_due(
            record.valid_until, today, leads, record.expiry_reminded_days
        )
        if lead is not None and _still_current(record, today):
            due.append((record, lead))
    return due


def _still_current(record: ImmigrationStep, today: dt.date) -> bool:
    steps = immigration_steps(immigration_records(record.case.survivor))
    return record.pk in {s.key for s in immigration.current_permits(steps)}


def applications_waiting(today: dt.date, days: int) -> list[ImmigrationStep]:
    """Applications older than `days` with no decision yet, not reminded before."""
    candidates = ImmigrationStep.objects.filter(
        step__in=immigration.APPLICATIONS,
        step_date__lte=today - dt.timedelta(days=days),
        wait_reminded_at__isnull=True,
    ).select_related("case__owner", "case__survivor")
    found = []
    for record in candidates:
        steps = immigration_steps(immigration_records(record.case.survivor))
        if record.pk in {s.key for s in immigration.pending_applications(steps, today)}:
            found.append(record)
    return found
