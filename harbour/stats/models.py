"""Releases of national statistics, the privacy budget and its ledger, research extract requests.

Nothing here holds a survivor's data: a release stores the published (protected) figures and the
configuration that produced them; the ledger stores epsilons; a request stores who asked and why.
"""

from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity
from harbour.stats.states import ExtractStatus, ReleaseStatus
from harbour.stats.tables import Spec

NATIONAL = "national"
RESEARCH = "research"  # the budget synthetic research extracts spend (ADR 29)


class PrivacyBudget(BaseModel):
    """The total epsilon that differentially private releases over one dataset may spend."""

    dataset = models.CharField(max_length=40, unique=True)
    epsilon_total = models.DecimalField(max_digits=8, decimal_places=3)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "dataset": Sensitivity.NONE,
        "epsilon_total": Sensitivity.NONE,
    }

    def __str__(self) -> str:
        return self.dataset


class Release(BaseModel):
    """One published table (or a draft of it), immutable once published."""

    dataset = models.CharField(max_length=40, default=NATIONAL)
    version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    row_variable = models.CharField(max_length=40)
    col_variable = models.CharField(max_length=40, blank=True)
    layer_variable = models.CharField(max_length=40, blank=True)  # a three-way table (ADR 46)
    first_year = models.PositiveIntegerField(null=True, blank=True)
    last_year = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=20)
    threshold = models.PositiveIntegerField(default=10)
    epsilon = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    status = models.CharField(max_length=20, choices=ReleaseStatus.choices)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    config = models.JSONField(default=dict)
    result = models.JSONField(default=dict)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "dataset": Sensitivity.NONE,
        "version": Sensitivity.NONE,
        "title": Sensitivity.NONE,
        "title_fr": Sensitivity.NONE,
        "row_variable": Sensitivity.NONE,
        "col_variable": Sensitivity.NONE,
        "layer_variable": Sensitivity.NONE,
        "first_year": Sensitivity.NONE,
        "last_year": Sensitivity.NONE,
        "method": Sensitivity.NONE,
        "threshold": Sensitivity.NONE,
        "epsilon": Sensitivity.NONE,
        "status": Sensitivity.NONE,
        "created_by": Sensitivity.NONE,
        "reviewed_by": Sensitivity.NONE,
        "published_at": Sensitivity.NONE,
        "config": Sensitivity.NONE,
        "result": Sensitivity.NONE,  # protected figures only (disclosure control applied)
    }

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="release_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def local_title(self) -> str:
        """The title in the reader's language (the English one when no French was given)."""
        from django.utils.translation import get_language

        french = (get_language() or "en").startswith("fr")
        return self.title_fr if french and self.title_fr else self.title

    @property
    def is_published(self) -> bool:
        return self.status == ReleaseStatus.PUBLISHED

    def spec(self) -> Spec:
        """The table this release counts: rows, columns (or none), layer (or none)."""
        return Spec(self.row_variable, self.col_variable, self.layer_variable)


class BudgetSpend(BaseModel):
    """One line of the ledger: what a differentially private release or synthetic extract spent."""

    budget = models.ForeignKey(PrivacyBudget, on_delete=models.PROTECT, related_name="spends")
    release = models.OneToOneField(
        Release, on_delete=models.PROTECT, related_name="spend", null=True, blank=True
    )
    extract = models.OneToOneField(
        "ExtractRequest", on_delete=models.PROTECT, related_name="spend", null=True, blank=True
    )
    epsilon = models.DecimalField(max_digits=8, decimal_places=3)
    spent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "budget": Sensitivity.NONE,
        "release": Sensitivity.NONE,
        "extract": Sensitivity.NONE,
        "epsilon": Sensitivity.NONE,
        "spent_by": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(epsilon__gt=Decimal(0)), name="spend_positive"
            ),
            # every spend is for exactly one thing: a release or a synthetic extract
            models.CheckConstraint(
                condition=models.Q(release__isnull=True) ^ models.Q(extract__isnull=True),
                name="spend_release_xor_extract",
            ),
        ]


class ExtractMethod(models.TextChoices):
    KANON = "kanon", _("k-anonymised microdata")
    SYNTHETIC = "synthetic", _("synthetic microdata (differentially private)")


class ExtractRequest(BaseModel):
    """A researcher's request for research microdata: who, why, how protected, who approved it.

    A synthetic extract is generated once, at approval, and stored: pac-synth takes no seed, and
    generating again would be a new release spending the research budget again (ADR 29).
    """

    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField(_("purpose"))
    k = models.PositiveIntegerField(default=11)
    first_year = models.PositiveIntegerField(null=True, blank=True)
    last_year = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ExtractStatus.choices)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    method = models.CharField(
        _("protection"), max_length=20, choices=ExtractMethod.choices, default=ExtractMethod.KANON
    )
    epsilon = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    synthetic_csv = models.TextField(blank=True)
    synthesis = models.JSONField(default=dict, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "method": Sensitivity.NONE,
        "epsilon": Sensitivity.NONE,
        # Rows sampled from differentially private counts only: no survivor's record.
        "synthetic_csv": Sensitivity.NONE,
        "synthesis": Sensitivity.NONE,  # the DP parameters and the DP number of records
        "requested_by": Sensitivity.NONE,
        "purpose": Sensitivity.NONE,  # the research project, never a survivor's data
        "k": Sensitivity.NONE,
        "first_year": Sensitivity.NONE,
        "last_year": Sensitivity.NONE,
        "status": Sensitivity.NONE,
        "decided_by": Sensitivity.NONE,
        "decided_at": Sensitivity.NONE,
        "downloads": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]
