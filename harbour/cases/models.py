"""Survivors (pseudonymous) and their cases (episodes of care), with what happens in a case.

The columns of each model come from the data dictionary (standard.modelfields); the few declared
here by hand are the structural ones code relies on. Identifying values (names, contact details,
free text) are never columns: they live encrypted in `sealed` (see cases/sealing.py).
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import TenantModel
from harbour.core.sensitivity import Sensitivity
from harbour.standard.modelfields import dictionary_model

_STRUCTURAL: dict[str, Sensitivity] = {
    "reference": Sensitivity.NONE,
    "sealed": Sensitivity.IDENTIFIER,
    "standard_version": Sensitivity.NONE,
    "created_by": Sensitivity.NONE,
}


class SealedRecord(TenantModel):
    """A tenant record with an encrypted payload of its identifier fields."""

    sealed = models.TextField(blank=True, default="")
    standard_version = models.CharField(max_length=10)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        k: v for k, v in _STRUCTURAL.items() if k != "reference"
    }
    # Whose own key seals `sealed` (crypto-shredding, ADR 36): the survivor the record is about.
    sealed_subject: ClassVar[str] = "survivor_id"

    class Meta:
        abstract = True


SurvivorColumns = dictionary_model("SurvivorColumns", "survivor", module=__name__, sealed=True)


class Survivor(SurvivorColumns, SealedRecord):  # type: ignore[misc, valid-type]
    """A person served by one organisation, known inside Harbour by a random reference."""

    reference = models.CharField(_("reference"), max_length=16)
    erased_at = models.DateTimeField(null=True, blank=True)
    # Set while the law requires the file to be kept (e.g. a court case): erasure is refused.
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    sealed_subject: ClassVar[str] = "pk"

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "reference": Sensitivity.NONE,
        "erased_at": Sensitivity.NONE,
        "legal_hold": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "reference"], name="survivor_reference"),
        ]

    def __str__(self) -> str:
        return self.reference


class SurvivorIndexEntry(TenantModel):
    """Blind-index tokens (keyed hashes) for finding a returning survivor by name or birth date
    without decrypting every record."""

    survivor = models.ForeignKey(Survivor, on_delete=models.CASCADE, related_name="index_entries")
    token = models.CharField(max_length=32)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "survivor": Sensitivity.NONE,
        "token": Sensitivity.IDENTIFIER,
    }

    class Meta:
        indexes = [models.Index(fields=["org", "token"])]


CaseColumns = dictionary_model(
    "CaseColumns",
    "case",
    module=__name__,
    sealed=True,
    exclude=frozenset({"status", "intake_date", "intake_province", "owner"}),
)


class CaseStatus(models.TextChoices):
    """Mirrors the dictionary's `case_status` list (HTCDS cas_Status); a test keeps them equal."""

    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed – referred")


class Case(CaseColumns, SealedRecord):  # type: ignore[misc, valid-type]
    """An episode of care for one survivor at one organisation."""

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=16)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE
    )
    intake_date = models.DateField(_("intake date"))
    intake_province = models.CharField(_("intake province or territory"), max_length=5)
    owner = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="owned_cases",
        null=True,
        blank=True,
        verbose_name=_("case owner"),
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # NULL, not "": the unique constraint must ignore cases recorded without a key.
    submission_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    previous_case = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_cases"
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "survivor": Sensitivity.NONE,
        "reference": Sensitivity.NONE,
        "status": Sensitivity.NONE,
        "intake_date": Sensitivity.QUASI_IDENTIFIER,
        "intake_province": Sensitivity.QUASI_IDENTIFIER,
        "owner": Sensitivity.NONE,
        "closed_at": Sensitivity.QUASI_IDENTIFIER,
        "submission_key": Sensitivity.NONE,
        "previous_case": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "reference"], name="case_reference"),
            models.UniqueConstraint(
                fields=["org", "submission_key"],
                name="case_submission_once",
                condition=models.Q(submission_key__isnull=False),
            ),
        ]
        # Match the list's filters and order, so deep pages are read from the index.
        indexes = [
            models.Index(fields=["org", "-intake_date", "-created_at"]),
            models.Index(fields=["org", "status", "-intake_date", "-created_at"]),
            models.Index(fields=["org", "owner"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in {CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP}


class CaseRecord(SealedRecord):
    """Something recorded in a case: an event, a service, a plan, a follow-up, a note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")

    sensitivity: ClassVar[dict[str, Sensitivity]] = {"case": Sensitivity.NONE}
    sealed_subject: ClassVar[str] = "case.survivor_id"

    class Meta:
        abstract = True


def _record_model(name: str, entity: str) -> type[models.Model]:
    return dictionary_model(f"{name}Columns", entity, module=__name__, sealed=True)


class TraffickingEvent(_record_model("TraffickingEvent", "trafficking_event"), CaseRecord):  # type: ignore[misc]
    class Meta:
        ordering = ["event_date", "created_at"]


class ServiceProvided(_record_model("ServiceProvided", "service_provided"), CaseRecord):  # type: ignore[misc]
    class Meta:
        ordering = ["-provided_on", "-created_at"]


class SupportPlan(_record_model("SupportPlan", "support_plan"), CaseRecord):  # type: ignore[misc]
    class Meta:
        ordering = ["-created_at"]


class FollowUp(_record_model("FollowUp", "follow_up"), CaseRecord):  # type: ignore[misc]
    class Meta:
        ordering = ["-follow_up_date", "-created_at"]


class CaseNote(_record_model("CaseNote", "case_note"), CaseRecord):  # type: ignore[misc]
    class Meta:
        ordering = ["-created_at"]


class Screening(_record_model("Screening", "screening"), CaseRecord):  # type: ignore[misc]
    """A Delphi-indicator screening; `result` is the stored Assessment (with its catalogue
    version), which informs but never replaces the caseworker's trafficking-status decision."""

    result = models.JSONField(default=dict)
    catalogue_version = models.CharField(max_length=20)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "result": Sensitivity.SPECIAL_CATEGORY,
        "catalogue_version": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-screened_on", "-created_at"]


class ImmigrationStep(_record_model("ImmigrationStep", "immigration_step"), CaseRecord):  # type: ignore[misc]
    """A dated step of a survivor's immigration timeline (dictionary 1.1). The survivor's current
    status and TRP stage are computed from all their steps (cases/immigration/steps.py)."""

    # Reminder bookkeeping (sharing remind): the smallest lead time, in days, already reminded
    # before `valid_until`, and when a long wait on an application was reminded.
    expiry_reminded_days = models.IntegerField(null=True, blank=True)
    wait_reminded_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "expiry_reminded_days": Sensitivity.NONE,
        "wait_reminded_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["step_date", "created_at"]
        indexes = [models.Index(fields=["org", "valid_until"])]


class IntakeDraft(TenantModel):
    """An unfinished intake, visible only to its author; everything in it is sealed."""

    author = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    sealed = models.TextField()
    survivor = models.ForeignKey(Survivor, on_delete=models.CASCADE, null=True, blank=True)
    # A draft for a returning survivor is theirs; a new person's has no survivor yet.
    sealed_subject: ClassVar[str] = "survivor_id"

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "author": Sensitivity.NONE,
        "sealed": Sensitivity.IDENTIFIER,
        "survivor": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-updated_at"]
