"""Consent, information-sharing agreements, referrals, links between organisations' records of
the same person, and notifications.

Nothing here is a copy of another organisation's data: what a recipient may see is computed at
each read from live consents and agreements (policy.py, rules.py).
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel, TenantModel
from harbour.core.sensitivity import Sensitivity
from harbour.sharing.states import DeclineReason, Outcome, ReferralStatus
from harbour.standard.modelfields import dictionary_model


class RecipientKind(models.TextChoices):
    ORGANISATION = "organisation", _("a named organisation")
    ORGANISATION_TYPE = "organisation_type", _("any organisation of a type")
    NATIONAL_STATISTICS = "national_statistics", _("de-identified national statistics")
    RESEARCH = "research", _("research")


class Purpose(models.TextChoices):
    REFERRAL = "referral", _("referral to services")
    CONTINUITY = "continuity_of_care", _("continuity of care")
    STATISTICS = "statistics", _("national statistics")
    RESEARCH = "research", _("research")
    # Record linkage (ADR 41): a returning-survivor hint at the recipient may say where (the
    # province) and when (the year) this person was served here, never by whom. Opens no data.
    KNOWN_ELSEWHERE = "known_elsewhere", _("other organisations may learn that I was served here")


def only_known_elsewhere(purposes: list[str]) -> bool:
    """Whether a consent of these purposes opens no information: "known elsewhere" alone (a
    hint tells a province and a year, none of the record: ADR 41), so it needs no category.
    Any other purpose opens what the consent's categories name, so it needs one."""
    return set(purposes) == {Purpose.KNOWN_ELSEWHERE}


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("verbal")
    WRITTEN = "written", _("written (signed)")
    ELECTRONIC = "electronic", _("electronic")


class Consent(TenantModel):
    """A survivor's permission, recorded by the organisation that holds their file (`org`)."""

    survivor = models.ForeignKey("cases.Survivor", on_delete=models.CASCADE, related_name="+")
    recipient_kind = models.CharField(max_length=30, choices=RecipientKind.choices)
    recipient_org = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_org_type = models.CharField(max_length=60, blank=True)
    categories = models.JSONField(default=list)
    purposes = models.JSONField(default=list)
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    expires_on = models.DateField()
    # A keyed hash of the code printed on the survivor's receipt (the holder's blind-index key):
    # the code finds the consent, so it is never stored readable. The plain code exists once,
    # when it is issued (`Consent.issued_code`, not stored), and is printed then.
    receipt_digest = models.CharField(max_length=64, unique=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at_org = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "survivor": Sensitivity.NONE,
        "recipient_kind": Sensitivity.NONE,
        "recipient_org": Sensitivity.SPECIAL_CATEGORY,  # where a survivor seeks help
        "recipient_org_type": Sensitivity.NONE,
        "categories": Sensitivity.NONE,
        "purposes": Sensitivity.NONE,
        "method": Sensitivity.NONE,
        "recorded_by": Sensitivity.NONE,
        "starts_on": Sensitivity.QUASI_IDENTIFIER,
        "expires_on": Sensitivity.QUASI_IDENTIFIER,
        "receipt_digest": Sensitivity.IDENTIFIER,  # it finds the consent: treat like a key
        "withdrawn_at": Sensitivity.QUASI_IDENTIFIER,
        "withdrawn_by": Sensitivity.NONE,
        "withdrawn_at_org": Sensitivity.SPECIAL_CATEGORY,
        "expiry_notified_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "survivor"])]

    # Set on the instance by the action that issues a code; never saved.
    issued_code: str | None = None

    @property
    def opens_no_information(self) -> bool:
        return only_known_elsewhere(self.purposes)


class Agreement(BaseModel):
    """An information-sharing agreement between organisations, or the national protocol."""

    title = models.CharField(_("title"), max_length=200)
    is_national_protocol = models.BooleanField(default=False)
    categories = models.JSONField(default=list)
    purposes = models.JSONField(default=list)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    signatories = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    terminated_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "title": Sensitivity.NONE,
        "is_national_protocol": Sensitivity.NONE,
        "categories": Sensitivity.NONE,
        "purposes": Sensitivity.NONE,
        "valid_from": Sensitivity.NONE,
        "valid_until": Sensitivity.NONE,
        "signatories": Sensitivity.QUASI_IDENTIFIER,  # staff names and titles
        "created_by": Sensitivity.NONE,
        "terminated_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-valid_from", "title"]


class Party(BaseModel):
    """An organisation's place in an agreement; it binds only once that organisation accepted."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "agreement": Sensitivity.NONE,
        "org": Sensitivity.NONE,
        "accepted_at": Sensitivity.NONE,
        "accepted_by": Sensitivity.NONE,
        "left_at": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "org"], name="party_once"),
        ]


ReferralColumns = dictionary_model(
    "ReferralColumns",
    "referral",
    module=__name__,
    sealed=True,
    exclude=frozenset({"receiving_org"}),
)


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER = "transfer", _("Transfer of the case")


class Referral(ReferralColumns, TenantModel):  # type: ignore[misc, valid-type]
    """A referral (or transfer) from the sending organisation (`org`) to another one."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey("cases.Survivor", on_delete=models.CASCADE, related_name="+")
    receiving_org = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receiving organisation"),
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=ReferralKind.choices)
    status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    decline_reason = models.CharField(max_length=30, blank=True, choices=DeclineReason.choices)
    outcome = models.CharField(max_length=30, blank=True, choices=Outcome.choices)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    sealed = models.TextField(blank=True, default="")
    standard_version = models.CharField(max_length=10)
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receiving_case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # Sealed with the survivor's own key, so erasing them shreds the referral's details too.
    sealed_subject: ClassVar[str] = "survivor_id"

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "case": Sensitivity.NONE,
        "survivor": Sensitivity.NONE,
        "receiving_org": Sensitivity.QUASI_IDENTIFIER,
        "service": Sensitivity.QUASI_IDENTIFIER,
        "kind": Sensitivity.NONE,
        "status": Sensitivity.NONE,
        "consent": Sensitivity.NONE,
        "sealed": Sensitivity.IDENTIFIER,
        "standard_version": Sensitivity.NONE,
        "sent_by": Sensitivity.NONE,
        "responded_at": Sensitivity.QUASI_IDENTIFIER,
        "responded_by": Sensitivity.NONE,
        "decline_reason": Sensitivity.NONE,
        "outcome": Sensitivity.NONE,
        "receiving_case": Sensitivity.NONE,
        "overdue_notified_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["org", "status"]),
            models.Index(fields=["receiving_org", "status"]),
        ]


class SurvivorLink(BaseModel):
    """Two organisations' records of the same person, linked by a referral or transfer.

    A link only says the records belong together; what each side may see of the other is still
    decided at every read by consent and agreements.
    """

    survivor_a = models.ForeignKey("cases.Survivor", on_delete=models.CASCADE, related_name="+")
    survivor_b = models.ForeignKey("cases.Survivor", on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.SET_NULL, null=True, related_name="+")

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "survivor_a": Sensitivity.NONE,
        "survivor_b": Sensitivity.NONE,
        "referral": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survivor_a", "survivor_b"], name="link_once"),
        ]


class Notification(BaseModel):
    """An in-app message to one person (also e-mailed). Holds codes and ids, never case data."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        Consent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A permit about to end, or an application waiting too long (issue 14).
    immigration_step = models.ForeignKey(
        "cases.ImmigrationStep", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "user": Sensitivity.NONE,
        "kind": Sensitivity.NONE,
        "referral": Sensitivity.NONE,
        "consent": Sensitivity.NONE,
        "immigration_step": Sensitivity.NONE,
        "read_at": Sensitivity.NONE,
        "emailed_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]
