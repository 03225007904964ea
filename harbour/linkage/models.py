"""What record linkage stores: encodings (never plaintext) and the outcome of each run (ADR 41)."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core.models import BaseModel, TenantModel
from harbour.core.sensitivity import Sensitivity


class SurvivorEncoding(TenantModel):
    """A survivor's keyed, balanced per-field Bloom filters, made inside the owning
    organisation from its decrypted record. Reversible by no one without the hub's linkage key;
    still treated as an identifier (a key holder could test guesses against it)."""

    survivor = models.OneToOneField(
        "cases.Survivor", on_delete=models.CASCADE, related_name="linkage_encoding"
    )
    scheme = models.CharField(_("scheme version"), max_length=8)
    key_id = models.CharField(_("linkage key"), max_length=16)
    encoding = models.TextField(_("encoding"))
    weak = models.BooleanField(_("too few linkage fields"), default=False)
    # The person (cluster) the latest linkage run put this record in; random, means nothing
    # outside Harbour. Empty until a run has seen the record.
    person = models.UUIDField(_("person"), null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "survivor": Sensitivity.NONE,
        "scheme": Sensitivity.NONE,
        "key_id": Sensitivity.NONE,
        "encoding": Sensitivity.IDENTIFIER,
        "weak": Sensitivity.NONE,
        "person": Sensitivity.NONE,
    }

    class Meta:
        indexes = [models.Index(fields=["scheme", "key_id"])]


class EncodingBlock(TenantModel):
    """One block key of an encoding, for the hint's lookup (ADR 41): the hint reads only the
    encodings sharing a key with the one asked about. The key is `matching.block_text` hashed
    with the hub's linkage key (HMAC, short hex): it says nothing the encoding does not, and a
    new linkage key gives new keys, so blocks of the old key never match. Rows of the same
    organisation as their encoding; written and deleted with it."""

    encoding = models.ForeignKey(SurvivorEncoding, on_delete=models.CASCADE, related_name="blocks")
    key = models.CharField(_("block key"), max_length=20)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "encoding": Sensitivity.NONE,
        # Derived from the encoding alone: an identifier as the encoding is.
        "key": Sensitivity.IDENTIFIER,
    }

    class Meta:
        # Across organisations on purpose: the hint looks up every other organisation's blocks.
        indexes = [models.Index(fields=["key"])]


class Withdrawal(TenantModel):
    """An organisation's leaving of record linkage (ADR 41), from `harbour linkage withdraw`
    until `harbour linkage rejoin`: while one is open (not rejoined), nothing of the
    organisation is encoded and its staff get no hint. Kept once closed: the organisation's
    history of leaving and returning, beside the audit events of both."""

    rejoined_at = models.DateTimeField(_("rejoined"), null=True, blank=True)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {"rejoined_at": Sensitivity.NONE}

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org"],
                condition=models.Q(rejoined_at__isnull=True),
                name="linkage_one_open_withdrawal",
            )
        ]


class LinkageRun(BaseModel):
    """One matching of every current encoding into persons, and how sure it was. National,
    not any organisation's: it holds counts only."""

    scheme = models.CharField(_("scheme version"), max_length=8)
    key_id = models.CharField(_("linkage key"), max_length=16)
    records = models.PositiveIntegerField(_("records"))
    persons = models.PositiveIntegerField(_("persons"))
    persons_if_uncertain_merged = models.PositiveIntegerField(
        _("persons if every uncertain pair were one person")
    )
    # The point estimate between the two counts (`matching.cluster`); empty for runs
    # made before it was computed.
    persons_expected = models.PositiveIntegerField(_("expected persons"), null=True, blank=True)
    uncertain_pairs = models.PositiveIntegerField(_("uncertain pairs"))
    weak_records = models.PositiveIntegerField(_("weak records"))
    stale_records = models.PositiveIntegerField(_("records of another key or scheme"))
    candidate_pairs = models.PositiveIntegerField(_("candidate pairs"))
    # The Fellegi-Sunter weights learnt by this run (m, u, prior): reused by the hint at intake.
    weights = models.JSONField(_("weights"), default=dict)

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "scheme": Sensitivity.NONE,
        "key_id": Sensitivity.NONE,
        "records": Sensitivity.NONE,
        "persons": Sensitivity.NONE,
        "persons_if_uncertain_merged": Sensitivity.NONE,
        "persons_expected": Sensitivity.NONE,
        "uncertain_pairs": Sensitivity.NONE,
        "weak_records": Sensitivity.NONE,
        "stale_records": Sensitivity.NONE,
        "candidate_pairs": Sensitivity.NONE,
        "weights": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]
