"""Dictionary 1.1 computes a survivor's immigration status and TRP stage from their timeline.
The snapshot each survivor held becomes the first step of that timeline ("status noted" on their
latest case, dated its intake), so nothing recorded is lost and the value is not kept twice."""

from django.db import migrations


def snapshot_to_steps(apps, schema_editor):
    Survivor = apps.get_model("cases", "Survivor")
    Case = apps.get_model("cases", "Case")
    Step = apps.get_model("cases", "ImmigrationStep")
    held = Survivor.objects.exclude(immigration_status="", trp_stage="")
    for survivor in held.iterator():
        case = Case.objects.filter(survivor=survivor).order_by("-intake_date").first()
        if case is None:
            continue  # no case to hang the step on: the snapshot stays where it is
        Step.objects.create(
            org_id=survivor.org_id,
            case=case,
            standard_version="1.1",
            step="status_noted",
            step_date=case.intake_date,
            status=survivor.immigration_status,
            trp_stage=survivor.trp_stage,
        )
        Survivor.objects.filter(pk=survivor.pk).update(immigration_status="", trp_stage="")


def steps_to_snapshot(apps, schema_editor):
    Survivor = apps.get_model("cases", "Survivor")
    Step = apps.get_model("cases", "ImmigrationStep")
    noted = Step.objects.filter(step="status_noted", created_by__isnull=True)
    for step in noted.select_related("case").iterator():
        Survivor.objects.filter(pk=step.case.survivor_id).update(
            immigration_status=step.status, trp_stage=step.trp_stage
        )
    noted.delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_immigration_steps")]

    operations = [migrations.RunPython(snapshot_to_steps, steps_to_snapshot, elidable=False)]
