"""The directory's abstract HSDS record and the sensitivity shorthand its tables share."""

from typing import ClassVar

from django.db import models

from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity

NONE = Sensitivity.NONE


def plain(*names: str) -> dict[str, Sensitivity]:
    return dict.fromkeys(names, NONE)


class HsdsRecord(BaseModel):
    """Every HSDS row keeps the properties Harbour does not model in `extra`, so data from other
    publishers survives an import and export unchanged."""

    extra = models.JSONField(default=dict, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {"extra": NONE}

    class Meta:
        abstract = True
