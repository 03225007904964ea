"""Every write of the stats app: releases, the privacy budget, research extract requests.

Each action takes keyword-only arguments and an explicit `by=` actor, runs in one transaction and
writes its audit event inside it. Publishing computes the table, applies disclosure control and,
for differential privacy, spends the budget under a row lock: two releases published at once can
never overspend it.
"""

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import Perm, can
from harbour.audit.actions import Actor, record_event
from harbour.core import tenancy
from harbour.core.errors import Conflict, Forbidden, InvalidInput
from harbour.stats import layered, queries, tables
from harbour.stats.catalogue import VARIABLES
from harbour.stats.core import budget as budget_math
from harbour.stats.models import (
    NATIONAL,
    RESEARCH,
    BudgetSpend,
    ExtractMethod,
    ExtractRequest,
    PrivacyBudget,
    Release,
)
from harbour.stats.states import (
    EXTRACT_TRANSITIONS,
    RELEASE_TRANSITIONS,
    ExtractStatus,
    ReleaseStatus,
)

MAX_EPSILON = Decimal("10")
MIN_SYNTHETIC_EPSILON = Decimal("0.1")
# Control characters are never legitimate in a title or a purpose (and PostgreSQL refuses NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DECIMAL = re.compile(r"[0-9]{1,4}(\.[0-9]{1,6})?")
MSG_CONTROL = _("Remove the control characters or line breaks from this text.")
MAX_PURPOSE = 2000


def _audit(by: Actor, action: str, target: Any, **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        target_type=target._meta.model_name,
        target_id=target.pk,
        context=context or None,
    )


def _require(by: Any, perm: Perm) -> None:
    if not can(by, perm):
        raise Forbidden()


def parse_epsilon(value: Any, field: str = "epsilon", limit: Decimal = MAX_EPSILON) -> Decimal:
    text = str(value).strip()
    # Plain ASCII decimals only: no exponents, infinities, NaNs or other scripts' digits.
    if not _DECIMAL.fullmatch(text):
        raise InvalidInput({field: [_("Enter epsilon as a number, such as 0.5.")]})
    try:
        eps = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput({field: [_("Enter epsilon as a number, such as 0.5.")]}) from None
    if not eps.is_finite() or eps <= 0 or eps > limit or eps != eps.quantize(Decimal("0.001")):
        raise InvalidInput(
            {
                field: [
                    _("Epsilon must be more than 0 and at most %(limit)s, with up to 3 decimals.")
                    % {"limit": limit}
                ]
            }
        )
    return eps


def _text(value: Any, field: str, limit: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput({field: [_("Enter text.")]})
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\r" in text)):
        raise InvalidInput({field: [MSG_CONTROL]})
    if len(text) > limit:
        raise InvalidInput(
            {field: [_("Shorten this text to at most %(limit)s characters.") % {"limit": limit}]}
        )
    return text


def _check_years(first: int | None, last: int | None) -> None:
    for name, year in (("first_year", first), ("last_year", last)):
        if year is not None and not 1990 <= year <= 2100:
            raise InvalidInput({name: [_("Enter a year between 1990 and 2100.")]})
    if first and last and first > last:
        raise InvalidInput({"last_year": [_("The last year comes before the first year.")]})


MSG_THREE_WAY_SUPPRESSION = _(
    "A three-way table cannot be protected by suppression: a cell withheld in one layer could be "
    "worked out from the table summed over the layers. Choose random rounding or differential "
    "privacy."
)


def _check_spec(row: str, col: str, layer: str = "", method: str = "") -> None:
    errors: dict[str, list[Any]] = {}
    if row not in VARIABLES:
        errors["row_variable"] = [_("This variable is not in the statistics catalogue.")]
    if col and (col not in VARIABLES or col == row):
        errors["col_variable"] = [_("Choose a different variable from the catalogue, or none.")]
    layer_errors = layered.spec_errors(row, col, layer)
    for role, messages in layer_errors.items():
        errors.setdefault(f"{role}_variable", []).extend(messages)
    if layer and not layer_errors and method == tables.Method.SUPPRESSION:
        errors["method"] = [MSG_THREE_WAY_SUPPRESSION]
    if errors:
        raise InvalidInput(errors)


# --- the privacy budget -----------------------------------------------------------------------


@transaction.atomic
def set_budget(*, by: Actor, epsilon_total: Any, dataset: str = NATIONAL) -> PrivacyBudget:
    """Set a dataset's total budget. It can grow, but never below what is already spent."""
    if by.pk is not None:  # a person must be an analyst; a command (SystemActor) holds the keys
        _require(by, Perm.STATS_NATIONAL)
    total = parse_epsilon(epsilon_total, "epsilon_total", limit=Decimal(100))
    found, _new = PrivacyBudget.objects.select_for_update().get_or_create(
        dataset=dataset, defaults={"epsilon_total": total}
    )
    spent = budget_math.spent(found.spends.values_list("epsilon", flat=True))
    if total < spent:
        raise Conflict(_("The budget cannot be set below what releases have already spent."))
    found.epsilon_total = total
    found.save(update_fields=["epsilon_total", "updated_at"])
    _audit(by, "stats.budget_set", found, dataset=dataset, epsilon=str(total))
    return found


# --- releases ---------------------------------------------------------------------------------


@transaction.atomic
def create_release(
    *,
    by: Any,
    title: str,
    title_fr: str = "",
    row_variable: str,
    col_variable: str = "",
    layer_variable: str = "",
    method: str,
    epsilon: Any = None,
    threshold: int = 10,
    first_year: int | None = None,
    last_year: int | None = None,
) -> Release:
    """A draft: the configuration only. Nothing is computed or shown until a reviewer publishes."""
    _require(by, Perm.STATS_NATIONAL)
    title = _text(title or "", "title", 200)
    if not title:
        raise InvalidInput({"title": [_("Give the release a title of at most 200 characters.")]})
    title_fr = _text(title_fr or "", "title_fr", 200)
    if method not in tables.Method.ALL:
        raise InvalidInput({"method": [_("Choose suppression, rounding or differential privacy.")]})
    _check_spec(row_variable, col_variable, layer_variable or "", method)
    eps = parse_epsilon(epsilon) if method == tables.Method.DP else None
    if not 2 <= threshold <= 100:
        raise InvalidInput({"threshold": [_("The threshold must be between 2 and 100.")]})
    _check_years(first_year, last_year)
    fields = {
        "title": title,
        "title_fr": title_fr,
        "row_variable": row_variable,
        "col_variable": col_variable,
        "layer_variable": layer_variable or "",
        "method": method,
        "epsilon": eps,
        "threshold": threshold,
        "first_year": first_year,
        "last_year": last_year,
        "status": ReleaseStatus.DRAFT,
        "created_by": by,
    }
    release = _numbered(fields)
    _audit(by, "stats.release_created", release, method=method)
    return release


def _numbered(fields: dict[str, Any]) -> Release:
    """The next version number: two drafts saved at the same moment may both read the same
    highest number; the unique constraint refuses the second, which takes the next one."""
    for _attempt in range(5):
        latest = Release.objects.filter(dataset=NATIONAL).aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return Release.objects.create(version=latest + 1, **fields)
        except IntegrityError:
            continue
    raise Conflict(_("Another release was being saved at the same moment. Try again."))


def _locked_draft(release: Release, action: str) -> Release:
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if (locked.status, action) not in RELEASE_TRANSITIONS:
        raise Conflict(_("Only a draft release can be published or rejected."))
    return locked


MSG_LINKAGE_MOVED = _(
    "A record-linkage run finished while this release was being counted. Nothing was "
    "published: publish it again."
)


@transaction.atomic
def publish_release(*, by: Any, release: Release) -> Release:
    """Review and publish: a second analyst computes the protected table, spends the budget."""
    _require(by, Perm.STATS_NATIONAL)
    release = _locked_draft(release, "publish")
    if release.created_by_id == by.pk:
        raise Forbidden(_("A release is published by a second person, not by its author."))
    today = timezone.localdate()
    # Every organisation's countable cases, on purpose (row-level security, ADR 40): what leaves
    # is the protected table only.
    with tenancy.widened("national statistics release"):
        counted = queries.statistics_cases(today)
        cases = queries.in_period(counted, release.first_year, release.last_year)
        try:
            people, persons = queries.counted_persons(cases)
        except queries.LinkageMoved:
            raise Conflict(MSG_LINKAGE_MOVED) from None
    if not people:
        raise Conflict(_("There is no data to count for this period. Nothing was published."))
    linked = persons["by"] == queries.RECORD_LINKAGE
    protected = _protected(by, release, people, persons["records_per_person"])
    protected.meta |= {"persons_unduplicated": linked, "counted_on": today.isoformat()}
    release.result = protected.as_json()
    # How persons were unduplicated is recorded with the configuration, frozen with the
    # figures: a later linkage run changes neither (ADR 27).
    release.config = _config(release, linked, today) | {"persons": persons}
    release.status, release.reviewed_by, release.published_at = (
        ReleaseStatus.PUBLISHED,
        by,
        timezone.now(),
    )
    release.save()
    _audit(by, "stats.release_published", release, method=release.method)
    return release


def _protected(
    by: Any, release: Release, people: list[dict[str, Any]], records_per_person: int
) -> tables.Table | layered.LayeredTable:
    """The protected table; a differentially private one spends the budget first."""
    spec = release.spec()
    dp_release = release.method == tables.Method.DP
    count: Callable[..., Any]  # the exact table, two-way or three-way
    protect: Callable[..., tables.Table | layered.LayeredTable]
    if spec.layer:  # rounding or DP only (refused at creation); no threshold
        count, protect = layered.count, partial(layered.protect, spec)
    else:
        count, protect = tables.count, partial(tables.protect, threshold=release.threshold)
    exact: Any = count(spec, people, capped=dp_release)
    if dp_release:
        _spend(by, release)
    return protect(
        exact, release.method, epsilon=release.epsilon, records_per_person=records_per_person
    )


def _config(release: Release, linked: bool, today: Any) -> dict[str, Any]:
    spec = release.spec()
    table = list(spec.ids())
    return {
        "table": table if spec.col else [*table, ""],  # one-way: [row, ""], as always recorded
        "period": [release.first_year, release.last_year],
        "method": release.method,
        "threshold": release.threshold,
        "epsilon": str(release.epsilon) if release.epsilon is not None else None,
        "rule": "ADR-0027: statistics agreement or consent; persons, latest case",
        "persons_unduplicated": linked,
        "counted_on": today.isoformat(),
    }


def _spend(by: Any, release: Release) -> None:
    found = PrivacyBudget.objects.select_for_update().filter(dataset=release.dataset).first()
    if found is None:
        raise Conflict(_("No privacy budget is set for this dataset. Nothing was published."))
    assert release.epsilon is not None
    spends = list(found.spends.values_list("epsilon", flat=True))
    try:
        budget_math.check_spend(found.epsilon_total, spends, release.epsilon)
    except budget_math.BudgetExceeded:
        raise Conflict(
            _("This release would exceed the privacy budget. Nothing was published.")
        ) from None
    BudgetSpend.objects.create(budget=found, release=release, epsilon=release.epsilon, spent_by=by)
    _audit(by, "stats.budget_spent", found, epsilon=str(release.epsilon))


@transaction.atomic
def reject_release(*, by: Any, release: Release) -> Release:
    _require(by, Perm.STATS_NATIONAL)
    release = _locked_draft(release, "reject")
    release.status, release.reviewed_by = ReleaseStatus.REJECTED, by
    release.save(update_fields=["status", "reviewed_by", "updated_at"])
    _audit(by, "stats.release_rejected", release)
    return release


# --- research extracts ------------------------------------------------------------------------


@transaction.atomic
def request_extract(
    *,
    by: Any,
    purpose: str,
    first_year: int | None = None,
    last_year: int | None = None,
    k: int = 11,
    method: str = ExtractMethod.KANON,
    epsilon: Any = None,
) -> ExtractRequest:
    _require(by, Perm.RESEARCH_EXTRACT)
    purpose = _text(purpose or "", "purpose", MAX_PURPOSE, multiline=True)
    if len(purpose) < 20:
        raise InvalidInput(
            {"purpose": [_("Describe the research purpose in 20 to 2000 characters.")]}
        )
    if not 11 <= k <= 100:
        raise InvalidInput({"k": [_("k must be at least 11 and at most 100.")]})
    _check_years(first_year, last_year)
    eps = _extract_epsilon(method, epsilon)
    if eps is not None:
        # Refused early when the budget already cannot pay; the spend itself is at approval.
        _research_budget_allows(eps, lock=False)
    request = ExtractRequest.objects.create(
        requested_by=by,
        purpose=purpose,
        k=k,
        first_year=first_year,
        last_year=last_year,
        status=ExtractStatus.REQUESTED,
        method=method,
        epsilon=eps,
    )
    _audit(by, "stats.extract_requested", request, method=method, epsilon=str(eps or ""))
    return request


def _extract_epsilon(method: str, epsilon: Any) -> Decimal | None:
    if method not in ExtractMethod.values:
        raise InvalidInput({"method": [_("Choose k-anonymised or synthetic microdata.")]})
    if method == ExtractMethod.KANON:
        return None
    # quantize: the same figure as stored ("10.000"), not as typed, in the answer
    eps = parse_epsilon("1" if epsilon in (None, "") else epsilon).quantize(Decimal("0.001"))
    if eps < MIN_SYNTHETIC_EPSILON:
        raise InvalidInput({"epsilon": [_("Synthetic microdata need an epsilon of at least 0.1.")]})
    return eps


def _research_budget_allows(epsilon: Decimal, *, lock: bool) -> PrivacyBudget:
    found_in = PrivacyBudget.objects.select_for_update() if lock else PrivacyBudget.objects
    found = found_in.filter(dataset=RESEARCH).first()
    if found is None:
        raise Conflict(
            _("No research privacy budget is set. Nothing was spent and no data was generated.")
        )
    spends = list(found.spends.values_list("epsilon", flat=True))
    try:
        budget_math.check_spend(found.epsilon_total, spends, epsilon)
    except budget_math.BudgetExceeded:
        raise Conflict(
            _(
                "This extract would exceed the research privacy budget (%(left)s left). "
                "Nothing was spent."
            )
            % {"left": budget_math.remaining(found.epsilon_total, spends)}
        ) from None
    return found


@transaction.atomic
def decide_extract(*, by: Any, request: ExtractRequest, approve: bool) -> ExtractRequest:
    _require(by, Perm.STATS_NATIONAL)
    locked = ExtractRequest.objects.select_for_update().get(pk=request.pk)
    action = "approve" if approve else "refuse"
    target = EXTRACT_TRANSITIONS.get((locked.status, action))
    if target is None:
        raise Conflict(_("This request has already been decided."))
    if approve and not _research_data_exists(locked):
        raise Conflict(
            _("No survivor in this period has consented to research. Nothing was approved.")
        )
    if approve and locked.method == ExtractMethod.SYNTHETIC:
        _synthesise(by, locked)
    locked.status, locked.decided_by, locked.decided_at = target, by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _audit(by, f"stats.extract_{target}", locked)
    return locked


def _synthesise(by: Any, request: ExtractRequest) -> None:
    """Spend the research budget once and store the synthetic rows every download will give."""
    from harbour.stats import synthetic

    assert request.epsilon is not None
    found = _research_budget_allows(request.epsilon, lock=True)
    try:
        request.synthetic_csv, request.synthesis = synthetic.generate(request)
    except synthetic.SynthesisFailed:
        raise Conflict(
            _("The synthetic data could not be generated. Nothing was spent or approved.")
        ) from None
    request.save(update_fields=["synthetic_csv", "synthesis", "updated_at"])
    BudgetSpend.objects.create(budget=found, extract=request, epsilon=request.epsilon, spent_by=by)
    _audit(by, "stats.budget_spent", found, epsilon=str(request.epsilon), dataset=RESEARCH)


def _research_data_exists(request: ExtractRequest) -> bool:
    with tenancy.widened("research consent coverage"):
        cases = queries.in_period(queries.research_cases(), request.first_year, request.last_year)
        return cases.exists()


@transaction.atomic
def record_download(*, by: Any, request: ExtractRequest, rows: int) -> None:
    """Every download of an extract is in the audit trail (who, when, how many records)."""
    ExtractRequest.objects.filter(pk=request.pk).update(downloads=request.downloads + 1)
    _audit(by, "stats.extract_downloaded", request, rows=str(rows))
