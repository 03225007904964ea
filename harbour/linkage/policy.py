"""What the returning-survivor hint may do and tell (ADR 41): how many probes a user and an
organisation may make in an hour, and which (province, year) of a matched record may be told to
the asking organisation. The hint's actions (`hints`) ask these; nothing else decides it."""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from harbour.accounts.models import User
from harbour.audit.models import AuditEvent
from harbour.cases.models import Case, Survivor
from harbour.core import tenancy
from harbour.orgs.models import Organisation

# Audit actions of a probe, all in the asking organisation's chain with counts only: a probe
# compared, one too weak to compare, one refused over a limit (and one of an organisation that
# has left record linkage, below). The first two count against the limits: a weak probe
# compares nothing, but an automated caller could flood the trail with them.
PROBE = "linkage.hint_asked"
PROBE_TOO_LITTLE = "linkage.hint_too_little"
PROBE_REFUSED = "linkage.hint_refused"
# Asked by the staff of an organisation that has left record linkage: refused, compares nothing.
PROBE_UNAVAILABLE = "linkage.hint_unavailable"
COUNTED = (PROBE, PROBE_TOO_LITTLE)


class Limit(StrEnum):
    """Which hourly probe limit a LIMITED answer reached."""

    USER = "user"
    ORGANISATION = "organisation"


def probe_limit_reached(by: User) -> Limit | None:
    """The limit this probe would pass, or None: HARBOUR_HINT_PROBES_PER_HOUR probes by this
    user, or HARBOUR_HINT_PROBES_PER_HOUR_ORG by all users of the organisation, in the last
    hour, counted from the audit trail (the trail is the record of them; no second count to
    keep in step; refusals are not counted, so waiting an hour always frees a probe). Both
    counts in one query.

    The organisation's row is locked first, so concurrent probes of one organisation (and of
    one user) serialise: none can pass a limit counted before another's event was written.
    FOR NO KEY UPDATE: the organisation's own writes referencing its row are not held up.
    Call inside the probe's transaction."""
    list(
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk=by.org_id)
        .values_list("pk", flat=True)
    )
    since = timezone.now() - dt.timedelta(hours=1)
    # In the organisation's own chain: its users' probes are written there, and only there.
    asked = AuditEvent.objects.filter(
        org_id=by.org_id, action__in=COUNTED, occurred_at__gte=since
    ).aggregate(mine=Count("pk", filter=Q(actor_id=by.pk)), all=Count("pk"))
    if asked["mine"] >= settings.HARBOUR_HINT_PROBES_PER_HOUR:
        return Limit.USER
    if asked["all"] >= settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG:
        return Limit.ORGANISATION
    return None


def places_told(matched: list[tuple[Any, Any]], by: User) -> dict[Any, tuple[str | None, int]]:
    """(province, year) of each matched (organisation, survivor) whose survivor consented to be
    known elsewhere (sharing policy, live consent): the province of the organisation that served
    them (None, said Canada, where that would identify it: `_unidentifying`) and the year of
    their latest intake there. Keyed by survivor; a survivor left out may not be placed.
    A fixed number of queries however many records matched (the survivors, their consents,
    their latest intakes, the provinces' organisations)."""
    if not matched:
        return {}
    asker = Organisation.objects.get(pk=by.org_id)
    now = timezone.now()
    with tenancy.widened("returning-survivor hint: consent, province and year"):
        survivors = {
            pk: (org_id, province)
            for pk, org_id, province in Survivor.objects.filter(
                pk__in={s for _o, s in matched}
            ).values_list("pk", "org_id", "org__province")
        }
        consenting = _consenting(survivors, asker, now)
        latest = (
            Case.objects.filter(survivor_id__in=consenting)
            .values("survivor_id")
            .order_by()
            .annotate(last=Max("intake_date"))
            .values_list("survivor_id", "last")
        )
        found = {s: (survivors[s][1], last.year) for s, last in latest if last is not None}
    return _unidentifying(found)


def _consenting(
    survivors: dict[Any, tuple[Any, str]], asker: Organisation, now: dt.datetime
) -> set[Any]:
    """The survivors with a live consent to be known elsewhere that names the asker or its
    type, recorded at the organisation holding their record (`tells_where_served`, the test
    of `sharing.policy.may_tell_where_served`), read in one query. Call under `widened`."""
    from harbour.sharing.models import Consent
    from harbour.sharing.policy import consent_facts, tells_where_served

    consents = Consent.objects.filter(survivor_id__in=survivors, withdrawn_at__isnull=True)
    return {
        c.survivor_id
        for c in consents
        if c.org_id == survivors[c.survivor_id][0]
        and tells_where_served(consent_facts(c), asker=asker, now=now)
    }


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
