"""Every chain written under the old keyless scheme gets one keyed event at its end (ADR 35).

Its HMAC covers the last old hash, so from now on the old stretch of the chain cannot be rewritten
without the audit key; verification accepts old events only in front of a keyed one.
"""

import uuid

from django.db import migrations
from django.utils import timezone


def anchor(apps, schema_editor):
    from harbour.audit import keys
    from harbour.audit.chain import content_of, event_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    key = keys.current_key()
    for head in ChainHead.objects.filter(seq__gt=0).order_by("chain"):
        last = AuditEvent.objects.filter(chain=head.chain).order_by("-seq").first()
        if last is None or last.key_id:
            continue
        legacy = AuditEvent.objects.filter(chain=head.chain, key_id="").count()
        event = AuditEvent(
            chain=head.chain,
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor_role="system:migration",
            action="audit.chain_keyed",
            outcome="ok",
            target_type="chain",
            target_id=head.chain,
            org_id=_uuid_or_none(head.chain),
            fields=[],
            context={"legacy_events": legacy, "legacy_head": head.hash},
            prev_hash=head.hash,
            key_id=key.key_id,
        )
        event.hash = event_hash(content_of(event), {key.key_id: key.hmac_key})
        event.save(force_insert=True)
        ChainHead.objects.filter(chain=head.chain).update(seq=event.seq, hash=event.hash)


def _uuid_or_none(text):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_keyed_chain_and_checkpoints")]

    operations = [migrations.RunPython(anchor, migrations.RunPython.noop)]
