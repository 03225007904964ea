"""Information-sharing agreements and the national protocol."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, Role, can
from harbour.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from harbour.orgs.models import Organisation
from harbour.sharing.actions.common import audit, category_ids, require
from harbour.sharing.models import (
    Agreement,
    Party,
    Purpose,
)


@transaction.atomic
def propose_agreement(
    *,
    by: User,
    title: str,
    partners: list[Organisation],
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    signatories: str = "",
) -> Agreement:
    """An organisation admin proposes an agreement; each partner's admin must accept it."""
    require(by, Perm.STAFF_MANAGE)
    _check_agreement(title, categories, purposes, valid_from, valid_until)
    others = {p.pk: p for p in partners if p.pk != by.org_id}
    if not others:
        raise InvalidInput({"partners": [_("Choose at least one other organisation.")]})
    agreement = Agreement.objects.create(
        title=title.strip(),
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        valid_from=valid_from,
        valid_until=valid_until,
        signatories=signatories.strip(),
        created_by=by,
    )
    Party.objects.create(
        agreement=agreement, org_id=by.org_id, accepted_at=timezone.now(), accepted_by=by
    )
    for org in others.values():
        Party.objects.create(agreement=agreement, org=org)
    audit(
        by,
        "agreement.proposed",
        by.org_id,
        agreement,
        parties=[str(p) for p in [by.org_id, *others]],
    )
    return agreement


def _check_agreement(
    title: str,
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None,
    *,
    national: bool = False,
) -> None:
    errors: dict[str, list[Any]] = {}
    if not title.strip() or len(title) > 200:
        errors["title"] = [_("Give the agreement a title of at most 200 characters.")]
    if not categories or not set(categories) <= category_ids():
        errors["categories"] = [_("Choose at least one kind of information to share.")]
    # Only the national protocol may also be the national statistics agreement (ADR 27): it is
    # what lets de-identified counts of its parties' cases into national statistics.
    allowed = {Purpose.REFERRAL, Purpose.CONTINUITY} | ({Purpose.STATISTICS} if national else set())
    if not purposes or not set(purposes) <= allowed:
        errors["purposes"] = [_("Choose referral, continuity of care, or both.")]
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [_("The agreement must end after it starts.")]
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def accept_agreement(*, by: User, agreement: Agreement) -> Party:
    require(by, Perm.STAFF_MANAGE)
    party = Party.objects.select_for_update().filter(agreement=agreement, org_id=by.org_id).first()
    if party is None:
        raise NotFound()
    if party.accepted_at is not None and party.left_at is None:
        raise Conflict(_("Your organisation has already accepted this agreement."))
    party.accepted_at, party.accepted_by, party.left_at = timezone.now(), by, None
    party.save()
    audit(by, "agreement.accepted", by.org_id, agreement)
    return party


@transaction.atomic
def leave_agreement(*, by: User, agreement: Agreement) -> None:
    """Leaving takes effect at once for every future read."""
    require(by, Perm.STAFF_MANAGE)
    party = (
        Party.objects.select_for_update()
        .filter(agreement=agreement, org_id=by.org_id, left_at__isnull=True)
        .first()
    )
    if party is None:
        raise Conflict(_("Your organisation is not a party to this agreement."))
    party.left_at = timezone.now()
    party.save(update_fields=["left_at", "updated_at"])
    audit(by, "agreement.left", by.org_id, agreement)


@transaction.atomic
def create_national_protocol(
    *,
    by: User,
    title: str,
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    signatories: str = "",
) -> Agreement:
    """The optional national default protocol; organisations opt in one by one."""
    if not (
        can(by, Perm.ORGS_MANAGE)
        or (by.org.type == "national_coordinating_body" and by.role == Role.ORG_ADMIN)
    ):
        raise Forbidden()
    _check_agreement(title, categories, purposes, valid_from, valid_until, national=True)
    agreement = Agreement.objects.create(
        title=title.strip(),
        is_national_protocol=True,
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        valid_from=valid_from,
        valid_until=valid_until,
        signatories=signatories,
        created_by=by,
    )
    audit(by, "agreement.national_protocol_created", None, agreement)
    return agreement


@transaction.atomic
def adopt_national_protocol(*, by: User, agreement: Agreement) -> Party:
    require(by, Perm.STAFF_MANAGE)
    if not agreement.is_national_protocol:
        raise NotFound()
    party, _created = Party.objects.get_or_create(agreement=agreement, org_id=by.org_id)
    if party.accepted_at is not None and party.left_at is None:
        raise Conflict(_("Your organisation has already adopted the national protocol."))
    party.accepted_at, party.accepted_by, party.left_at = timezone.now(), by, None
    party.save()
    audit(by, "agreement.national_protocol_adopted", by.org_id, agreement)
    return party
