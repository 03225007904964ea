"""Writes to organisations and their keys."""

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from harbour.audit import keys as audit_keys
from harbour.audit.actions import Actor, lock_chains, record_event
from harbour.core.errors import Conflict, InvalidInput
from harbour.orgs import crypto, keystore
from harbour.orgs.models import KeyPurpose, Organisation, OrgKey
from harbour.standard.dictionary import current
from harbour.standard.validation import MSG_CHOOSE


def _check_codes(fields: dict[str, Any]) -> None:
    """The organisation's type and provinces come from the standard's code lists."""
    d = current()
    errors: dict[str, list[Any]] = {}
    checks = {"type": "organisation_type", "province": "province"}
    for name, list_id in checks.items():
        if name in fields and d.codelists[list_id].get(fields[name]) is None:
            errors[name] = [MSG_CHOOSE]
    served = fields.get("provinces_served", [])
    if not isinstance(served, list) or any(d.codelists["province"].get(p) is None for p in served):
        errors["provinces_served"] = [MSG_CHOOSE]
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def create_organisation(*, by: Actor, **fields: Any) -> Organisation:
    _check_codes(fields)
    org = Organisation(**fields)
    org.full_clean()
    org.save()
    for purpose in KeyPurpose.values:
        _add_key(org.id, purpose, version=1)
    record_event(by=by, action="org.created", org_id=org.id, target_type="org", target_id=org.id)
    return org


@transaction.atomic
def update_organisation(*, by: Actor, org: Organisation, **fields: Any) -> Organisation:
    _check_codes(fields)
    for name, value in fields.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()
    record_event(
        by=by,
        action="org.updated",
        org_id=org.id,
        target_type="org",
        target_id=org.id,
        fields=fields.keys(),
    )
    return org


def _add_key(org_id: uuid.UUID, purpose: str, *, version: int) -> OrgKey:
    wrapped, kid = crypto.wrap(
        crypto.new_key_material(), org_id=org_id, purpose=purpose, version=version
    )
    return OrgKey.objects.create(
        org_id=org_id, purpose=purpose, version=version, wrapped=wrapped, master_key_id=kid
    )


@transaction.atomic
def rotate_master_key(*, by: Actor) -> int:
    """Re-wrap every organisation key under the current master key; returns how many changed."""
    current = crypto.current_master_key_id()
    stale = OrgKey.objects.select_for_update().exclude(master_key_id=current)
    if stale.exists() and audit_keys.current_key().derived_from_master:
        raise Conflict(
            _(
                "The audit trail's key is still derived from the master key: pin it first "
                "(`harbour audit key` prints the HARBOUR_AUDIT_KEY line to add to the "
                "environment), or the events chained so far could not be verified once the old "
                "master key is removed."
            )
        )
    rewrapped = list(stale)
    # One event per key in its organisation's chain: every chain taken first, in one order
    # (ADR 35), not in the keys' order, which another transaction could cross.
    lock_chains(key.org_id for key in rewrapped)
    changed = 0
    for key in rewrapped:
        raw = crypto.unwrap(key)
        key.wrapped, key.master_key_id = crypto.wrap(
            raw, org_id=key.org_id, purpose=key.purpose, version=key.version
        )
        key.save(update_fields=["wrapped", "master_key_id", "updated_at"])
        record_event(
            by=by,
            action="org.key.rewrapped",
            org_id=key.org_id,
            target_type="org_key",
            target_id=key.id,
            context={"purpose": key.purpose, "version": key.version},
        )
        changed += 1
    return changed


@transaction.atomic
def start_data_key_rotation(*, by: Actor, org: Organisation) -> OrgKey:
    """Make a new data key active; existing ciphertexts still open with the old versions."""
    old = OrgKey.objects.select_for_update().get(org=org, purpose=KeyPurpose.DATA, is_active=True)
    old.is_active = False
    old.save(update_fields=["is_active", "updated_at"])
    new = _add_key(org.id, KeyPurpose.DATA, version=old.version + 1)
    record_event(
        by=by,
        action="org.key.rotated",
        org_id=org.id,
        target_type="org_key",
        target_id=new.id,
        context={"purpose": KeyPurpose.DATA, "version": new.version},
    )
    return new


def sealed_models() -> list[type[Any]]:
    """Every model that keeps identifying data in a `sealed` column of an organisation."""
    from django.apps import apps

    names = ("sealed", "org")
    return [
        m
        for m in apps.get_models()
        if all(any(f.name == n for f in m._meta.concrete_fields) for n in names)
    ]


@transaction.atomic
def reseal_records(*, by: Actor, org: Organisation, batch_size: int = 500) -> int:
    """Re-encrypt the organisation's identifying data with the current keys: records about a
    survivor under the survivor's own key (records sealed before ADR 36 move to it), the others
    under the active organisation key; then re-wrap survivor keys under the active data key.
    Returns how many records changed."""
    active = crypto.active_key(org.id, KeyPurpose.DATA).version
    changed = 0
    for model in sealed_models():
        for record in _sealed_rows(model, org, batch_size):
            if _is_current(record, active):
                continue
            record.sealed = crypto.seal_record(record, crypto.open_record(record))
            model.objects.filter(pk=record.pk).update(sealed=record.sealed)
            changed += 1
    rewrapped = crypto.rewrap_subject_keys(org.id)
    record_event(
        by=by,
        action="org.records.resealed",
        org_id=org.id,
        target_type="org",
        target_id=org.id,
        context={"version": active, "records": changed, "survivor_keys": rewrapped},
    )
    return changed


def _sealed_rows(model: type[Any], org: Organisation, batch_size: int) -> Any:
    path = getattr(model, "sealed_subject", "")
    rows = model.objects.filter(org=org).exclude(sealed="")
    if "." in path:  # the survivor is found through a relation: read it in the same query
        relation = path.split(".")[0]
        rows = rows.select_related(relation).only(
            "id", "org_id", "sealed", f"{relation}__{path.split('.')[1]}"
        )
    else:
        rows = rows.only("id", "org_id", "sealed", *([path] if path and path != "pk" else []))
    return rows.iterator(chunk_size=batch_size)


def _is_current(record: Any, active: int) -> bool:
    """Sealed as it would be sealed now: under the survivor's key if it is about a survivor,
    else under the active organisation key."""
    if crypto.subject_of(record) is not None:
        return crypto.sealed_subject(record.sealed) is not None
    return crypto.sealed_version(record.sealed) == active


@transaction.atomic
def retire_old_data_keys(*, by: Actor, org: Organisation) -> int:
    """Destroy data keys no ciphertext needs any more (after `reseal_records`)."""
    active = crypto.active_key(org.id, KeyPurpose.DATA).version
    versions = (
        crypto.sealed_version(token)
        for model in sealed_models()
        for token in model.objects.filter(org=org)
        .exclude(sealed="")
        .values_list("sealed", flat=True)
    )
    still_used = {v for v in versions if v is not None}
    still_used |= keystore.store().versions_in_use(str(org.id))
    old = OrgKey.objects.filter(org=org, purpose=KeyPurpose.DATA, is_active=False).exclude(
        version__in=still_used | {active}
    )
    count = old.count()
    old.delete()
    record_event(
        by=by,
        action="org.key.retired",
        org_id=org.id,
        target_type="org",
        target_id=org.id,
        context={"keys": count},
    )
    return count


# --- crypto-shredding (ADR 36) ----------------------------------------------------------------


def shred_survivor_key(*, by: Actor, org_id: uuid.UUID, survivor_id: uuid.UUID) -> None:
    """Destroy the survivor's own key once the caller's erasure commits (never before: a rolled
    back erasure must leave their data readable); the destruction is then audited. A crash in
    between leaves the key for `sweep_erased_keys`."""
    transaction.on_commit(lambda: _destroy(by, org_id, [str(survivor_id)]))


def _destroy(by: Actor, org_id: uuid.UUID, survivor_ids: list[str]) -> int:
    count = crypto.destroy_subject_keys(survivor_ids)
    with transaction.atomic():
        for survivor_id in survivor_ids:
            record_event(
                by=by,
                action="survivor.key_destroyed",
                org_id=org_id,
                target_type="survivor",
                target_id=survivor_id,
            )
    return count


def sweep_erased_keys(*, by: Actor) -> int:
    """Destroy any survivor key still live although the audit trail records the survivor's
    erasure (a crash between an erasure's commit and its key's destruction, or a key store
    restored from a backup older than the erasure). Run daily and after restoring backups."""
    from harbour.audit.models import AuditEvent

    erased = AuditEvent.objects.filter(action="survivor.erased", target_type="survivor")
    pending: dict[str, uuid.UUID] = {}
    for survivor_id, org_id in erased.values_list("target_id", "org_id").iterator():
        stored = keystore.store().get(survivor_id)
        if stored is not None and not stored.destroyed and org_id is not None:
            pending[survivor_id] = org_id
    for org_id in set(pending.values()):
        _destroy(by, org_id, [s for s, o in pending.items() if o == org_id])
    keystore.store().compact()  # what earlier destructions left in the store's files
    return len(pending)
