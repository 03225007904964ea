"""Append-only, hash-chained audit events (invariant 2).

No foreign keys: an event outlives the record it mentions (erasure keeps the trace). No values:
events name fields, never their contents.
"""

from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.audit.chain import content_of
from harbour.core.sensitivity import Sensitivity
from harbour.core.tenancy import ME, ME_TEXT, RowSecurity

# Row-level security on PostgreSQL (ADR 40, amended 2026-12-06): an organisation's connection
# reads its own chain, and the events its own people wrote in other chains (what its trail page
# shows); it writes only its own chain. An event for another organisation's chain is appended
# as that organisation (`actions._appending`); the platform chain ("system") belongs to no
# organisation and passes only for the scope `all` (commands, audited national readers).
_OWN_CHAIN = f"chain = {ME_TEXT}"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events are append-only.")


class Outcome(models.TextChoices):
    OK = "ok", _("done")
    REFUSED = "refused", _("refused")


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True)
    actor_org_id = models.UUIDField(null=True, blank=True)
    actor_role = models.CharField(max_length=40)
    action = models.CharField(max_length=80)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    org_id = models.UUIDField(null=True, blank=True)
    fields = models.JSONField(default=list)
    context = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which audit key the hash is an HMAC under (ADR 35); empty for events of the old,
    # keyless SHA-256 scheme.
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    row_security: ClassVar[RowSecurity] = RowSecurity(
        read=(_OWN_CHAIN, f"actor_org_id = {ME}"), write=(_OWN_CHAIN,)
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "id", "chain", "seq", "actor_id", "actor_org_id", "actor_role", "action", "outcome",
            "target_type", "target_id", "org_id", "fields", "context", "prev_hash", "hash",
            "key_id",
        ],
        Sensitivity.NONE,
    ) | {"occurred_at": Sensitivity.QUASI_IDENTIFIER}  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]
        indexes = [
            models.Index(fields=["org_id", "-occurred_at"]),
            models.Index(fields=["actor_org_id", "-occurred_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def hashed_content(self) -> dict[str, Any]:
        return content_of(self)


class ChainHead(models.Model):
    """The last event of each chain; locking this row serialises writers of one chain."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    row_security: ClassVar[RowSecurity] = RowSecurity(read=(_OWN_CHAIN,), write=(_OWN_CHAIN,))

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "chain": Sensitivity.NONE,
        "seq": Sensitivity.NONE,
        "hash": Sensitivity.NONE,
    }

    def __str__(self) -> str:
        return f"{self.chain} @ {self.seq}"


class CheckpointQuerySet(models.QuerySet["Checkpoint"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Checkpoints are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Checkpoints are append-only.")


class Checkpoint(models.Model):
    """A signed statement of chain heads (a signed note, see audit/note.py).

    The copy kept here is for convenience (the download page, narrowing a verification); the
    copies that protect the trail are the ones outside the database: files, e-mails, downloads.
    """

    id = models.BigAutoField(primary_key=True)
    issued_at = models.DateTimeField()
    # "" for a checkpoint of every chain; a chain id for one organisation's.
    scope = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16)
    note = models.TextField()

    objects = CheckpointQuerySet.as_manager()

    # An organisation's own checkpoints; those of every chain (scope "") only for `all`.
    row_security: ClassVar[RowSecurity] = RowSecurity(
        read=(f"scope = {ME_TEXT}",), write=(f"scope = {ME_TEXT}",)
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        ["id", "issued_at", "scope", "key_id", "note"], Sensitivity.NONE
    )

    class Meta:
        indexes = [models.Index(fields=["scope", "-issued_at"])]
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"checkpoint {self.scope or 'all'} {self.issued_at:%Y-%m-%dT%H:%M:%SZ}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Checkpoints are append-only.")


class RefusalTally(models.Model):
    """How many of another organisation's records one person was refused on one day.

    A colleague probing other organisations' ids must be seen, but a sweep of thousands of ids
    must read as one event that grows, not thousands: the audit trail records the 1st, 10th,
    100th... refusal of the day (ADR 8), and this row keeps the running count between them.
    """

    id = models.BigAutoField(primary_key=True)
    actor_id = models.UUIDField()
    actor_org_id = models.UUIDField(null=True, blank=True)
    owner_org_id = models.UUIDField()
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_target_type = models.CharField(max_length=40)
    last_target_id = models.CharField(max_length=64)

    # The viewer's organisation counts its people's refusals; the owner learns of them from
    # the events in its chain, not from this row (which names the record's id).
    row_security: ClassVar[RowSecurity] = RowSecurity(
        read=(f"actor_org_id = {ME}",), write=(f"actor_org_id = {ME}",)
    )

    sensitivity: ClassVar[dict[str, Sensitivity]] = dict.fromkeys(
        [
            "id", "actor_id", "actor_org_id", "owner_org_id", "count", "last_target_type",
            "last_target_id",
        ],
        Sensitivity.NONE,
    ) | {"day": Sensitivity.QUASI_IDENTIFIER}  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor_id", "owner_org_id", "day"], name="audit_refusal_tally_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} refused {self.count}x at {self.owner_org_id} on {self.day}"
