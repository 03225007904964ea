"""The lifecycles of releases and research extract requests, as explicit tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft, waiting for review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected by the reviewer")


class ExtractStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested, waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


# (from, action) -> to. Anything not listed is refused. A published release never changes:
# a correction is a new release with the next version number.
RELEASE_TRANSITIONS: dict[tuple[str, str], str] = {
    (ReleaseStatus.DRAFT, "publish"): ReleaseStatus.PUBLISHED,
    (ReleaseStatus.DRAFT, "reject"): ReleaseStatus.REJECTED,
}
EXTRACT_TRANSITIONS: dict[tuple[str, str], str] = {
    (ExtractStatus.REQUESTED, "approve"): ExtractStatus.APPROVED,
    (ExtractStatus.REQUESTED, "refuse"): ExtractStatus.REFUSED,
}
