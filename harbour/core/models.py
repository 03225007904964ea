"""Abstract bases every Harbour model builds on. No business logic lives here."""

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.sensitivity import Sensitivity


class BaseModel(models.Model):
    """UUID keys so ids reveal nothing about volumes or order, and timestamps for every row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "id": Sensitivity.NONE,
        "created_at": Sensitivity.QUASI_IDENTIFIER,
        "updated_at": Sensitivity.QUASI_IDENTIFIER,
    }

    class Meta:
        abstract = True


class TenantModel(BaseModel):
    """A record that belongs to exactly one organisation (invariant 1)."""

    org = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {"org": Sensitivity.NONE}

    class Meta:
        abstract = True
