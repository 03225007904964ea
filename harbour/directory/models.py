"""The service directory, shaped like Open Referral HSDS 3.0, with Harbour's profile.

Table and field names follow HSDS 3.0 (organization → `Provider`, to keep it apart from Harbour's
partner `orgs.Organisation`). The Harbour profile adds eligibility a caseworker filters on,
seasonal closures, capacity and vacancy, and a confidentiality level on every location (see
docs/adr/0010 and 0011). A record may be owned by a Harbour organisation (`org`), whose staff keep
it current; only `actions.py` writes these tables, and only `policy.py` decides who sees what.

Hidden locations keep their address and coordinates in a `HiddenAddress` row of their own,
sealed with the owning organisation's key: no plain column holds them, so no query, export or
index can leak them, and on PostgreSQL that table is under row-level security (ADR 40).
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity
from harbour.core.tenancy import ME, RowSecurity

# The tables hanging off services and locations live in details.py, imported here so Django and
# every caller find them in `harbour.directory.models`.
from harbour.directory.details import (  # noqa: F401
    Accessibility,
    Attribute,
    Closure,
    CostOption,
    ExtraRecord,
    Funding,
    Language,
    Phone,
    Schedule,
    ServiceArea,
)
from harbour.directory.records import HsdsRecord
from harbour.directory.records import plain as _plain


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    PARTNERS = "partners", _("Harbour partners only")
    HIDDEN = "hidden", _("Hidden: intake by phone only")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class CapacityUnit(models.TextChoices):
    BEDS = "beds", _("beds")
    PLACES = "places", _("places")
    APPOINTMENTS = "appointments", _("appointments this week")


class Owned(HsdsRecord):
    """A record a Harbour organisation may own: its staff with directory.manage keep it current."""

    org = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("managed by"),
    )
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain("org", "is_synthetic")

    class Meta:
        abstract = True


class Taxonomy(HsdsRecord):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=40, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain("name", "description", "uri", "version")

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsRecord):
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.PROTECT, null=True, blank=True, related_name="terms"
    )
    code = models.CharField(_("code"), max_length=120, blank=True)
    name = models.CharField(_("name (English)"), max_length=250)
    name_fr = models.CharField(_("name (French)"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True)
    taxonomy_label = models.CharField(max_length=250, blank=True)  # HSDS `taxonomy` (free text)
    language = models.CharField(max_length=20, blank=True)
    term_uri = models.CharField(max_length=500, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "taxonomy",
        "code",
        "name",
        "name_fr",
        "description",
        "parent",
        "taxonomy_label",
        "language",
        "term_uri",
    )

    class Meta:
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.name


class Provider(Owned):
    """HSDS `organization`: who runs services."""

    name = models.CharField(_("name"), max_length=250)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    tax_status = models.CharField(max_length=120, blank=True)
    tax_id = models.CharField(max_length=120, blank=True)
    year_incorporated = models.IntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=250, blank=True)
    logo = models.CharField(max_length=500, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    parent_organization = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "uri",
        "parent_organization",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Yes/no/not-stated eligibility a caseworker filters on (Harbour profile), in this order
# wherever they are listed.
ELIGIBILITY_FLAGS = (
    "accepts_children",
    "accepts_pregnant",
    "addiction_accepted",
    "immigration_status_not_required",
    "pets_allowed",
)


class Service(Owned):
    # Null only for an imported service whose organisation is in neither the file nor Harbour:
    # its id stays in `extra` as an external reference until that organisation arrives
    # (docs/adr/0043); Harbour's own forms always give one.
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    name = models.CharField(_("name"), max_length=250)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.CharField(_("website"), max_length=500, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(_("interpretation"), blank=True)
    application_process = models.TextField(_("how to get this service"), blank=True)
    fees_description = models.TextField(_("fees"), blank=True)
    accreditations = models.TextField(blank=True)
    eligibility_description = models.TextField(_("who can use it"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    assured_date = models.DateField(_("last verified"), null=True, blank=True)
    assurer_email = models.CharField(max_length=254, blank=True)
    alert = models.TextField(_("alert"), blank=True)
    # Harbour profile: eligibility. None means "not stated" (matches, with a lower fit).
    genders = models.JSONField(_("genders served"), default=list, blank=True)
    accepts_children = models.BooleanField(_("accepts children with a parent"), null=True)
    accepts_pregnant = models.BooleanField(_("accepts pregnant people"), null=True)
    addiction_accepted = models.BooleanField(_("accepts people using substances"), null=True)
    immigration_status_not_required = models.BooleanField(
        _("no immigration status required"), null=True
    )
    pets_allowed = models.BooleanField(_("pets allowed"), null=True)
    # Harbour profile: capacity and vacancy, kept current by the provider.
    capacity_unit = models.CharField(
        _("capacity counted in"), max_length=20, choices=CapacityUnit.choices, blank=True
    )
    capacity_total = models.PositiveIntegerField(_("total capacity"), null=True, blank=True)
    capacity_available = models.PositiveIntegerField(_("available today"), null=True, blank=True)
    waitlist = models.PositiveIntegerField(_("people on the waiting list"), null=True, blank=True)
    capacity_updated_at = models.DateTimeField(_("vacancy updated"), null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "provider",
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "interpretation_services",
        "application_process",
        "fees_description",
        "accreditations",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
        "alert",
        "genders",
        *ELIGIBILITY_FLAGS,
        "capacity_unit",
        "capacity_total",
        "capacity_available",
        "waitlist",
        "capacity_updated_at",
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["org"]), models.Index(fields=["updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="directory_service_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Location(Owned):
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="locations"
    )
    location_type = models.CharField(
        max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    url = models.CharField(max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=250, blank=True)
    alternate_name = models.CharField(max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    transportation = models.TextField(_("getting there"), blank=True)
    # Null for hidden locations: their coordinates are sealed in their `HiddenAddress`.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_identifier = models.CharField(max_length=250, blank=True)
    external_identifier_type = models.CharField(max_length=250, blank=True)
    confidentiality = models.CharField(
        _("who may see the address"),
        max_length=10,
        choices=Confidentiality.choices,
        default=Confidentiality.PUBLIC,
    )
    # The one geographic fact shown for a hidden location.
    province = models.CharField(_("province or territory"), max_length=5, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "provider",
        "location_type",
        "url",
        "name",
        "alternate_name",
        "description",
        "transportation",
        "external_identifier",
        "external_identifier_type",
        "confidentiality",
        "province",
    ) | {
        # Public for public locations; for hidden ones these stay empty and the values are sealed.
        "latitude": Sensitivity.QUASI_IDENTIFIER,
        "longitude": Sensitivity.QUASI_IDENTIFIER,
    }

    def __str__(self) -> str:
        return self.name or str(self.pk)


class HiddenAddress(BaseModel):
    """A hidden location's addresses and true position, sealed with the owning organisation's
    key: the directory's one secret (docs/adr/0044). Apart from the public location row so that
    PostgreSQL's row-level security can keep it to that organisation (ADR 40): the location
    passes for everyone, this row only for its organisation's scope or `all`. Not an HSDS table."""

    location = models.OneToOneField(
        Location, on_delete=models.CASCADE, related_name="hidden_address"
    )
    # The location's owner, whose key seals it (key rotation finds `org` and `sealed`).
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    sealed = models.TextField()

    row_security: ClassVar[RowSecurity] = RowSecurity(
        read=(f"org_id = {ME}",), write=(f"org_id = {ME}",)
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "location": Sensitivity.NONE,
        "org": Sensitivity.NONE,
        "sealed": Sensitivity.IDENTIFIER,
    }


class HiddenRegion(BaseModel):
    """The coarse service region of a hidden location (docs/adr/0044): a grid cell's centre,
    the reach the provider chose, and the cell's name. Worked out from the cell alone, so it
    is public. Not an HSDS table: exports and the HSDS API never carry it."""

    location = models.OneToOneField(Location, on_delete=models.CASCADE, related_name="region")
    latitude = models.FloatField()
    longitude = models.FloatField()
    km = models.PositiveSmallIntegerField(_("service region reaches"))
    label = models.CharField(max_length=250)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "location", "latitude", "longitude", "km", "label"
    )


class ServiceAtLocation(HsdsRecord):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="at_services")
    description = models.TextField(blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain("service", "location", "description")


class Address(HsdsRecord):
    """Addresses of public and partners-only locations (hidden ones are in `HiddenAddress`)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=250, blank=True)
    address_1 = models.CharField(_("street address"), max_length=250)
    address_2 = models.CharField(max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=120)
    region = models.CharField(max_length=120, blank=True)
    state_province = models.CharField(_("province or territory"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=20)
    country = models.CharField(max_length=2, default="CA")
    address_type = models.CharField(max_length=10, default="physical")

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        "location",
        "attention",
        "region",
        "state_province",
        "country",
        "address_type",
        "city",
    ) | {
        "address_1": Sensitivity.QUASI_IDENTIFIER,
        "address_2": Sensitivity.QUASI_IDENTIFIER,
        "postal_code": Sensitivity.QUASI_IDENTIFIER,
    }


# What the policy and the eligibility filters read on a search-index row, and its id (the order
# is the covering indexes' column order).
_FILTERED = [
    "confidentiality",
    "org_id",
    "status",
    "minimum_age",
    "maximum_age",
    "genders",
    *ELIGIBILITY_FLAGS,
    "id",
]


class SearchEntry(models.Model):
    """Search index: one row per service, place and pathway stage, denormalised so the care map
    and directory search are index range scans (see docs/adr/0012). Rebuilt by actions only.

    A hidden location's entry has no coordinates: it matches where its coarse service region
    reaches (or by province, without one), so no distance computed from its true position can
    ever leave its organisation.
    """

    id = models.BigAutoField(primary_key=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, related_name="+"
    )
    stage = models.CharField(max_length=20)
    terms = models.CharField(max_length=400)  # " code code " for contains-matching
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    province = models.CharField(max_length=5)  # "CA" for a national remote service
    # A hidden location's service region (docs/adr/0044); null for every other row.
    region_latitude = models.FloatField(null=True)
    region_longitude = models.FloatField(null=True)
    region_km = models.PositiveSmallIntegerField(null=True)
    remote = models.BooleanField(default=False)
    confidentiality = models.CharField(max_length=10)
    org_id = models.UUIDField(null=True)
    status = models.CharField(max_length=20)
    minimum_age = models.PositiveSmallIntegerField(null=True)
    maximum_age = models.PositiveSmallIntegerField(null=True)
    genders = models.CharField(max_length=200)  # " code code " or "" for everyone
    accepts_children = models.BooleanField(null=True)
    accepts_pregnant = models.BooleanField(null=True)
    addiction_accepted = models.BooleanField(null=True)
    immigration_status_not_required = models.BooleanField(null=True)
    pets_allowed = models.BooleanField(null=True)
    languages = models.CharField(max_length=200)  # " eng fra "
    capacity_available = models.IntegerField(null=True)
    # Closures and dated schedules ("c:2026-09-15/2026-11-30 s:2026-04-01/"), so the care map
    # knows who is open on a day without another query; "" for most services.
    dates = models.TextField(default="", blank=True)
    text = models.TextField()  # lower-cased searchable words, never from a hidden location

    sensitivity: ClassVar[dict[str, Sensitivity]] = _plain(
        *_FILTERED,
        "service",
        "service_at_location",
        "stage",
        "terms",
        "province",
        "region_latitude",
        "region_longitude",
        "region_km",
        "remote",
        "languages",
        "capacity_available",
        "dates",
        "text",
    ) | {"latitude": Sensitivity.QUASI_IDENTIFIER, "longitude": Sensitivity.QUASI_IDENTIFIER}

    class Meta:
        # Covering indexes: the care map's per-stage "nearest in the box" and "in the province"
        # queries filter (policy, status, eligibility) and rank on index entries alone and
        # return ids; only the few dozen rows kept per stage are then read from the table
        # (docs/adr/0012). Plain columns, not INCLUDE, so both engines build the same index.
        indexes = [
            models.Index(
                fields=["stage", "latitude", "longitude", *_FILTERED], name="dir_entry_box"
            ),
            models.Index(
                fields=[
                    "province",
                    "latitude",
                    "region_km",
                    "stage",
                    "capacity_available",
                    *_FILTERED,
                ],
                name="dir_entry_area_ranked",
            ),
            # hidden rows (no position) by their region's latitude (docs/adr/0044)
            models.Index(
                fields=[
                    "stage",
                    "latitude",
                    "region_latitude",
                    "region_longitude",
                    "region_km",
                    "capacity_available",
                    *_FILTERED,
                ],
                name="dir_entry_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.stage}"
