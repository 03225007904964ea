"""`referred_by_other` is free text that can name a person: it moves from a readable column into
the case's sealed (encrypted) values (issue 7)."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from harbour.cases.models import Case as LiveCase
    from harbour.cases.values import apply_values

    Case = apps.get_model("cases", "Case")
    written = Case.objects.exclude(referred_by_other="").exclude(referred_by_other__isnull=True)
    for pk, text in written.values_list("pk", "referred_by_other").iterator():
        case = LiveCase.objects.only("pk", "org_id", "sealed", "survivor_id").get(pk=pk)
        apply_values(case, {"referred_by_other": text})
        LiveCase.objects.filter(pk=pk).update(sealed=case.sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_list_indexes"),
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="case", name="referred_by_other"),
    ]
