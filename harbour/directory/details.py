"""HSDS tables that hang off services, locations and providers (phones, schedules, service
areas, languages, accessibility, costs, funding, attributes), Harbour's closures, and the rows of
tables Harbour does not model. Imported by `models.py`, where the rest of the directory is, and
where every caller finds them; they name the tables they point at by label ("directory.Service"),
so this module needs nothing from there.
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity
from harbour.directory.records import HsdsRecord
from harbour.directory.records import plain as _plain


class Phone(HsdsRecord):
    provider = models.ForeignKey(
        "directory.Provider", on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    location = models.ForeignKey(
        "directory.Location", on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        "directory.ServiceAtLocation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="phones",
    )
    contact_id = models.UUIDField(null=True, blank=True)
    number = models.CharField(_("number"), max_length=60)
    extension = models.IntegerField(null=True, blank=True)
    type = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "provider",
        "service",
        "location",
        "service_at_location",
        "contact_id",
        "number",
        "extension",
        "type",
        "description",
    )


class Schedule(HsdsRecord):
    service = models.ForeignKey(
        "directory.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    location = models.ForeignKey(
        "directory.Location",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    service_at_location = models.ForeignKey(
        "directory.ServiceAtLocation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.CharField(max_length=40, blank=True)
    timezone = models.FloatField(null=True, blank=True)
    until = models.CharField(max_length=40, blank=True)
    count = models.IntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, blank=True)
    interval = models.IntegerField(null=True, blank=True)
    byday = models.CharField(max_length=60, blank=True)
    byweekno = models.CharField(max_length=200, blank=True)
    bymonthday = models.CharField(max_length=200, blank=True)
    byyearday = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.CharField(max_length=20, blank=True)
    closes_at = models.CharField(max_length=20, blank=True)
    schedule_link = models.CharField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "service",
        "location",
        "service_at_location",
        "valid_from",
        "valid_to",
        "dtstart",
        "timezone",
        "until",
        "count",
        "wkst",
        "freq",
        "interval",
        "byday",
        "byweekno",
        "bymonthday",
        "byyearday",
        "description",
        "opens_at",
        "closes_at",
        "schedule_link",
        "attending_type",
        "notes",
    )


class ServiceArea(HsdsRecord):
    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, related_name="service_areas"
    )
    name = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=40, blank=True)
    uri = models.CharField(max_length=500, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "service", "name", "description", "extent", "extent_type", "uri"
    )


class Language(HsdsRecord):
    service = models.ForeignKey(
        "directory.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="languages",
    )
    location = models.ForeignKey(
        "directory.Location",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="languages",
    )
    phone = models.ForeignKey(
        Phone, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    name = models.CharField(max_length=120, blank=True)
    code = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "service", "location", "phone", "name", "code", "note"
    )


class Accessibility(HsdsRecord):
    location = models.ForeignKey(
        "directory.Location", on_delete=models.CASCADE, related_name="accessibility"
    )
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "location", "description", "details", "url"
    )


class CostOption(HsdsRecord):
    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, related_name="cost_options"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.TextField(blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.FloatField(null=True, blank=True)
    amount_description = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "service", "valid_from", "valid_to", "option", "currency", "amount", "amount_description"
    )


class Funding(HsdsRecord):
    provider = models.ForeignKey(
        "directory.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="funding",
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="funding"
    )
    source = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain("provider", "service", "source")


class Attribute(HsdsRecord):
    """HSDS `attribute`: a taxonomy term attached to any record (`link_entity` + `link_id`)."""

    link_id = models.UUIDField()
    link_type = models.CharField(max_length=120, blank=True)
    link_entity = models.CharField(max_length=60)
    # Null only for an imported attribute whose term is in neither the file nor Harbour: the
    # term's id stays in `extra` as an external reference until it arrives (docs/adr/0043).
    term = models.ForeignKey(
        "directory.TaxonomyTerm", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "link_id", "link_type", "link_entity", "term", "value"
    )

    class Meta:
        indexes = [models.Index(fields=["link_entity", "link_id"])]


class Closure(HsdsRecord):
    """Harbour profile: a period when a service takes nobody (e.g. every fall while it finds
    winter shelter). Seasonal opening hours are HSDS schedules with valid_from/valid_to."""

    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, related_name="closures"
    )
    starts_on = models.DateField(_("closed from"))
    ends_on = models.DateField(_("closed until"))
    reason = models.CharField(_("reason"), max_length=250, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "service", "starts_on", "ends_on", "reason"
    )

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")),
                name="directory_closure_order",
            )
        ]


class ExtraRecord(BaseModel):
    """Rows of HSDS tables Harbour does not model (contacts, programs, required documents,
    organisation identifiers, metadata...), kept verbatim so a round trip loses nothing."""

    table = models.CharField(max_length=60)
    row = models.JSONField(default=dict)
    parent_id = models.UUIDField(null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain("table", "row", "parent_id")

    class Meta:
        indexes = [models.Index(fields=["table", "parent_id"])]
