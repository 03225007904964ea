"""Partner organisations (the tenants) and their encryption keys."""

from typing import ClassVar

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity


class Organisation(BaseModel):
    """A partner organisation. Its `type` comes from the standard's `organisation_type` list."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    short_name = models.SlugField(_("short name"), max_length=40, unique=True)
    type = models.CharField(_("type"), max_length=60)
    province = models.CharField(_("province or territory"), max_length=5)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    provinces_served = models.JSONField(
        _("provinces and territories served"), default=list, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_synthetic = models.BooleanField(
        _("synthetic demo organisation"), default=False, help_text=_("Created by the demo loader.")
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "name_en", "name_fr", "short_name", "type", "province", "city", "latitude",
            "longitude", "provinces_served", "is_active", "is_synthetic",
        ],
        Sensitivity.NONE,
    )  # fmt: skip

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return getattr(self, name_column())


def name_column() -> str:
    """The column of an organisation's name in the language of the moment (`Organisation.name`;
    for queries that read names without Organisation instances)."""
    return "name_fr" if (get_language() or "en").startswith("fr") else "name_en"


class KeyPurpose(models.TextChoices):
    DATA = "data", _("data encryption")
    INDEX = "index", _("search index")


class OrgKey(BaseModel):
    """An organisation's data or index key, wrapped (encrypted) by the master key.

    Data keys rotate (old versions stay until every record is re-encrypted); the index key, used
    for the blind index that lets staff find a returning survivor by name, stays for the life of
    the organisation because re-keying it would mean recomputing every index entry.
    """

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="keys")
    purpose = models.CharField(max_length=10, choices=KeyPurpose.choices)
    version = models.PositiveIntegerField()
    wrapped = models.TextField()
    master_key_id = models.CharField(max_length=16)
    is_active = models.BooleanField(default=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "org": Sensitivity.NONE,
        "purpose": Sensitivity.NONE,
        "version": Sensitivity.NONE,
        "wrapped": Sensitivity.IDENTIFIER,
        "master_key_id": Sensitivity.NONE,
        "is_active": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "purpose", "version"], name="orgkey_version"),
            models.UniqueConstraint(
                fields=["org", "purpose"],
                condition=models.Q(is_active=True),
                name="orgkey_one_active",
            ),
        ]
