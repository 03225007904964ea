"""Writes to organisations and their keys."""

import uuid
from typing import Any

from django.db import transaction

from harbour.audit.actions import Actor, record_event
from harbour.core.errors import InvalidInput
from harbour.orgs import crypto
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
    changed = 0
    for key in OrgKey.objects.select_for_update().exclude(master_key_id=current):
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
    """Re-encrypt every sealed record of the organisation with its active data key."""
    active = crypto.active_key(org.id, KeyPurpose.DATA).version
    changed = 0
    for model in sealed_models():
        rows = model.objects.filter(org=org).exclude(sealed="").only("id", "org_id", "sealed")
        for record in rows.iterator(chunk_size=batch_size):
            if crypto.sealed_version(record.sealed) == active:
                continue
            record.sealed = crypto.seal_record(record, crypto.open_record(record))
            model.objects.filter(pk=record.pk).update(sealed=record.sealed)
            changed += 1
    record_event(
        by=by,
        action="org.records.resealed",
        org_id=org.id,
        target_type="org",
        target_id=org.id,
        context={"version": active, "records": changed},
    )
    return changed


@transaction.atomic
def retire_old_data_keys(*, by: Actor, org: Organisation) -> int:
    """Destroy data keys no ciphertext needs any more (after `reseal_records`)."""
    active = crypto.active_key(org.id, KeyPurpose.DATA).version
    still_used = {
        crypto.sealed_version(token)
        for model in sealed_models()
        for token in model.objects.filter(org=org)
        .exclude(sealed="")
        .values_list("sealed", flat=True)
    }
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
