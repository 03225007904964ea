"""Funders, their programs, awards, organisations' partner profiles and committees.

Nothing here is about survivors. Funding data is public by nature (sensitivity none); a partner
profile's contact person is staff personal data (identifier): shown to signed-in partners, never
exported in bulk and never in an audit event.
"""

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel, TenantModel
from harbour.core.sensitivity import Sensitivity


def _local(en: str, fr: str) -> str:
    return fr if (get_language() or "en").startswith("fr") and fr else en


class FunderKind(models.TextChoices):
    FEDERAL = "federal", _("Federal government")
    PROVINCIAL = "provincial_territorial", _("Provincial or territorial government")
    MUNICIPAL = "municipal", _("Municipal government")
    INDIGENOUS = "indigenous_government", _("Indigenous government")
    FOUNDATION = "foundation", _("Foundation")
    PRIVATE = "private_sector", _("Private sector")
    FAITH = "faith_based", _("Faith-based organisation")


class Pillar(models.TextChoices):
    PREVENTION = "prevention", _("Prevention")
    PROTECTION = "protection", _("Protection")
    PROSECUTION = "prosecution", _("Prosecution")
    PARTNERSHIPS = "partnerships", _("Partnerships")


class Population(models.TextChoices):
    WOMEN_GIRLS = "women_and_girls", _("Women and girls")
    YOUTH = "youth", _("Children and youth")
    INDIGENOUS = "indigenous", _("Indigenous peoples")
    MIGRANTS = "migrant_workers", _("Migrant workers")
    NEWCOMERS = "immigrants_refugees", _("Immigrants and refugees")
    TWOSLGBTQI = "twoslgbtqi", _("2SLGBTQI+ people")
    MEN_BOYS = "men_and_boys", _("Men and boys")
    SURVIVORS = "survivors", _("Survivors (survivor-led work)")


class Group(models.TextChoices):
    """The four groups every federal-provincial-territorial committee should include."""

    FRONTLINE = "frontline_systems", _("Frontline systems (health, policing, justice…)")
    NGO = "ngos", _("Non-governmental organisations")
    COMMUNITIES = "at_risk_communities", _("At-risk communities (immigrant, refugee, Indigenous)")
    SURVIVORS = "survivors", _("Survivors")


class Recurrence(models.TextChoices):
    ONCE = "once", _("One-off")
    ANNUAL = "annual", _("Every year")


class Funder(BaseModel):
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    short_name = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind of funder"), max_length=30, choices=FunderKind.choices)
    province = models.CharField(
        _("province or territory"), max_length=5, blank=True, help_text=_("Empty: national.")
    )
    website = models.URLField(_("website"), blank=True)
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        ["name_en", "name_fr", "short_name", "kind", "province", "website", "is_synthetic"],
        Sensitivity.NONE,
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("funder")
        verbose_name_plural = _("funders")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _local(self.name_en, self.name_fr)


class Program(BaseModel):
    """A funding program. Empty eligibility lists mean "any" (any province, any type...)."""

    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="programs")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    pillars = models.JSONField(_("pillars"), default=list, blank=True)
    populations = models.JSONField(_("populations served"), default=list, blank=True)
    provinces = models.JSONField(_("provinces and territories"), default=list, blank=True)
    org_types = models.JSONField(_("eligible types of organisation"), default=list, blank=True)
    amount_min = models.PositiveIntegerField(_("smallest amount (CAD)"), default=0)
    amount_max = models.PositiveIntegerField(_("largest amount (CAD)"))
    term_years = models.PositiveSmallIntegerField(_("term (years)"), default=1)
    opens_on = models.DateField(_("intake opens"))
    deadline = models.DateField(_("deadline"))
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    url = models.URLField(_("link"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "funder", "code", "name_en", "name_fr", "description_en", "description_fr",
            "pillars", "populations", "provinces", "org_types", "amount_min", "amount_max",
            "term_years", "opens_on", "deadline", "recurrence", "url", "is_active",
            "is_synthetic",
        ],
        Sensitivity.NONE,
    )  # fmt: skip

    class Meta:
        ordering = ["deadline", "name_en"]
        verbose_name = _("funding program")
        verbose_name_plural = _("funding programs")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_min__lte=F("amount_max")), name="program_amounts_ordered"
            ),
            models.CheckConstraint(
                condition=Q(opens_on__lte=F("deadline")), name="program_opens_before_deadline"
            ),
            models.CheckConstraint(
                condition=Q(term_years__gte=1, term_years__lte=10), name="program_term_years"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _local(self.name_en, self.name_fr)

    @property
    def description(self) -> str:
        return _local(self.description_en, self.description_fr)

    def window(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The intake window that is open now or comes next: a yearly program's window moves
        forward a year at a time once its deadline has passed."""
        opens, closes = self.opens_on, self.deadline
        if self.recurrence == Recurrence.ANNUAL:
            while closes < today:
                opens, closes = _next_year(opens), _next_year(closes)
        return opens, closes

    def is_open(self, today: dt.date) -> bool:
        opens, closes = self.window(today)
        return self.is_active and opens <= today <= closes


def _next_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class Award(BaseModel):
    """Money an organisation (`org`, the recipient) received from a program.

    Not a TenantModel on purpose: `org` says who may change the award, not who may read it —
    who funded whom is public, and a national coordinator records awards for any organisation.
    Tenant tables are under row-level security (ADR 40), which would hide other organisations'
    awards from the funding map and refuse the coordinator's writes (ADR 25)."""

    org = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="awards")
    amount = models.PositiveIntegerField(_("amount (CAD)"))
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    province = models.CharField(_("province or territory where it is spent"), max_length=5)
    pillars = models.JSONField(_("pillars"), default=list, blank=True)
    populations = models.JSONField(_("populations served"), default=list, blank=True)
    purpose_en = models.CharField(_("purpose (English)"), max_length=300)
    purpose_fr = models.CharField(_("purpose (French)"), max_length=300, blank=True)
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "org", "program", "amount", "starts_on", "ends_on", "province", "pillars",
            "populations", "purpose_en", "purpose_fr", "is_synthetic",
        ],
        Sensitivity.NONE,
    )  # fmt: skip

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="award_amount_positive"),
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="award_dates_ordered"
            ),
        ]

    @property
    def purpose(self) -> str:
        return _local(self.purpose_en, self.purpose_fr)


class PartnerProfile(BaseModel):
    """An organisation's entry in the partner network registry, kept by its own admins."""

    org = models.OneToOneField(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="partner_profile"
    )
    group = models.CharField(_("representation group"), max_length=30, choices=Group.choices)
    regions = models.JSONField(_("provinces and territories"), default=list, blank=True)
    pillars = models.JSONField(_("focus areas"), default=list, blank=True)
    populations = models.JSONField(_("populations served"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_fr = models.TextField(_("summary (French)"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # A staff member's work contact, published by their own organisation for partners: personal
    # data all the same, so identifier (never in CSV exports, audit events or logs).
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=30, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "org", "group", "regions", "pillars", "populations", "languages", "summary_en",
            "summary_fr", "website",
        ],
        Sensitivity.NONE,
    ) | dict.fromkeys(
        ["contact_name", "contact_email", "contact_phone"], Sensitivity.IDENTIFIER
    )  # fmt: skip

    class Meta:
        verbose_name = _("partner profile")
        verbose_name_plural = _("partner profiles")

    @property
    def summary(self) -> str:
        return _local(self.summary_en, self.summary_fr)


class Committee(BaseModel):
    """A committee or roundtable of partner organisations."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    province = models.CharField(
        _("province or territory"), max_length=5, blank=True, help_text=_("Empty: national.")
    )
    mandate_en = models.TextField(_("mandate (English)"), blank=True)
    mandate_fr = models.TextField(_("mandate (French)"), blank=True)
    members = models.ManyToManyField(
        "orgs.Organisation", through="CommitteeMember", related_name="+"
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        ["code", "name_en", "name_fr", "province", "mandate_en", "mandate_fr"], Sensitivity.NONE
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("committee")
        verbose_name_plural = _("committees")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _local(self.name_en, self.name_fr)

    @property
    def mandate(self) -> str:
        return _local(self.mandate_en, self.mandate_fr)


class CommitteeMember(BaseModel):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="seats")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    is_chair = models.BooleanField(_("chair"), default=False)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        ["committee", "org", "is_chair"], Sensitivity.NONE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "org"], name="committee_seat_once"),
        ]


class DeadlineReminder(TenantModel):
    """That `org` was reminded of a program's deadline (so the daily run reminds only once)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    deadline = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        ["program", "deadline", "recipients"], Sensitivity.NONE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "program", "deadline"], name="deadline_reminded_once"
            ),
        ]
