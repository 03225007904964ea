"""Receipt codes are stored as keyed hashes (issue 7): existing codes are hashed in place under
each holding organisation's blind-index key, then the readable column is dropped. Survivors keep
the codes printed on their receipts: the same code finds the same consent."""

from django.db import migrations, models


def hash_codes(apps, schema_editor):
    from harbour.orgs import crypto

    Consent = apps.get_model("sharing", "Consent")
    for consent in Consent.objects.all().only("pk", "org_id", "receipt_code"):
        code = "".join(ch for ch in consent.receipt_code.upper() if ch.isalnum())
        digest = crypto.blind_index(consent.org_id, "consent-receipt", code)
        Consent.objects.filter(pk=consent.pk).update(receipt_digest=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0001_initial"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="receipt_digest",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_codes, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="consent", name="receipt_code"),
        migrations.AlterField(
            model_name="consent",
            name="receipt_digest",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
