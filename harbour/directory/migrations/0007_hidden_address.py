"""A hidden location's sealed address and position move from a column of the public location row
into a table of their own, which PostgreSQL's row-level security keeps to the owning organisation
(ADR 40). A ciphertext is bound to its record (`crypto.record_aad`), so each one is opened as
the location's and sealed again as the new row's, under the same organisation's active key."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def _aad(label: str, pk: object) -> str:
    return f"{label}:{pk}"  # as crypto.record_aad spells it for the live models


def _every_organisation(schema_editor) -> None:
    """Every organisation's rows for this migration's transaction, whoever runs it: as an
    ordinary role without `harbour migrate`'s scope, row-level security would show none, and
    moving back would drop the table with every address unread."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('harbour.scope', 'all', true)")


def move_sealed(apps, schema_editor):
    from harbour.orgs import crypto

    _every_organisation(schema_editor)
    Location = apps.get_model("directory", "Location")
    HiddenAddress = apps.get_model("directory", "HiddenAddress")
    sealed = Location.objects.exclude(sealed="").exclude(org_id__isnull=True)
    for pk, org_id, token in sealed.values_list("pk", "org_id", "sealed").iterator():
        payload = crypto.open_sealed(org_id, token, aad=_aad("directory.location", pk))
        row = HiddenAddress(id=uuid.uuid4(), location_id=pk, org_id=org_id)
        row.sealed = crypto.seal(org_id, payload, aad=_aad("directory.hiddenaddress", row.id))
        row.save()


def move_back(apps, schema_editor):
    from harbour.orgs import crypto

    _every_organisation(schema_editor)
    Location = apps.get_model("directory", "Location")
    HiddenAddress = apps.get_model("directory", "HiddenAddress")
    for row in HiddenAddress.objects.all().iterator():
        payload = crypto.open_sealed(
            row.org_id, row.sealed, aad=_aad("directory.hiddenaddress", row.id)
        )
        token = crypto.seal(row.org_id, payload, aad=_aad("directory.location", row.location_id))
        Location.objects.filter(pk=row.location_id).update(sealed=token)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_external_links"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="HiddenAddress",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                ("sealed", models.TextField()),
                (
                    "location",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hidden_address",
                        to="directory.location",
                    ),
                ),
                (
                    "org",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.organisation",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.RunPython(move_sealed, move_back, elidable=False),
        migrations.RemoveField(model_name="location", name="sealed"),
    ]
