"""Import jobs: one uploaded file on its way in, checked first, then written all at once."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import TenantModel
from harbour.core.sensitivity import Sensitivity


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked, ready to import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")
    DISCARDED = "discarded", _("Discarded")


class ImportJob(TenantModel):
    """The file itself is kept sealed with the organisation's key only while the job needs it
    (between upload and commit or discard); the report names rows and columns, never values."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    dry_run = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en")
    file_kind = models.CharField(max_length=8, blank=True, default="")
    file_size = models.PositiveIntegerField(default=0)
    file_digest = models.CharField(max_length=64)
    upload = models.TextField(blank=True, default="")
    # Distinct code-list values the check did not understand, sealed, for the value choices.
    unknown_values = models.TextField(blank=True, default="")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=dict, blank=True)
    # Values for rows that leave them empty (the HTCDS template has no intake date or province).
    defaults = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "created_by": Sensitivity.NONE,
        "status": Sensitivity.NONE,
        "dry_run": Sensitivity.NONE,
        "language": Sensitivity.NONE,
        "file_kind": Sensitivity.NONE,
        "file_size": Sensitivity.NONE,
        "file_digest": Sensitivity.NONE,
        "upload": Sensitivity.IDENTIFIER,
        "unknown_values": Sensitivity.IDENTIFIER,
        "rows_total": Sensitivity.NONE,
        "rows_done": Sensitivity.NONE,
        "created_count": Sensitivity.NONE,
        "existing_count": Sensitivity.NONE,
        "problems": Sensitivity.NONE,
        "warnings": Sensitivity.NONE,
        "columns": Sensitivity.NONE,
        "defaults": Sensitivity.QUASI_IDENTIFIER,
        "finished_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_running(self) -> bool:
        return self.status in {JobStatus.QUEUED, JobStatus.CHECKING, JobStatus.IMPORTING}

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ColumnChoice(TenantModel):
    """A column name an organisation's files use, and the field someone chose for it: remembered
    so the next file with that column is read the same way. The name is kept only as a keyed
    hash (it could be a row of data in a file without a header)."""

    header_token = models.CharField(max_length=32)
    target = models.CharField(max_length=80)  # "survivor.given_name", or "-" to ignore
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "header_token": Sensitivity.IDENTIFIER,
        "target": Sensitivity.NONE,
        "chosen_by": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "header_token"], name="one_choice_per_column")
        ]


class ValueChoice(TenantModel):
    """What a value an organisation's files use means in a code list ("Sex trafficking" →
    sexual_exploitation), chosen once and remembered; the value is kept as a keyed hash."""

    field_key = models.CharField(max_length=80)  # "case.exploitation_types"
    value_token = models.CharField(max_length=32)
    code = models.CharField(max_length=80)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "field_key": Sensitivity.NONE,
        "value_token": Sensitivity.IDENTIFIER,
        "code": Sensitivity.NONE,
        "chosen_by": Sensitivity.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "field_key", "value_token"], name="one_choice_per_value"
            )
        ]
