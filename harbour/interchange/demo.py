"""Demo data for import and export: a legacy spreadsheet imported by a supervisor, a file whose
check found problems (to show the report), and KoBoToolbox submissions collected offline.
Everything goes through the real actions, as a supervisor would do it on the import page."""

from collections.abc import Callable
from typing import Any

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.interchange import actions

LEGACY = (
    "First Name,Family name,Date of birth,Gender,Intake date,Province or territory of "
    "intake,consent_to_record,Type of exploitation,Current needs\n"
    "Maëlle,Demo-Gagnon,1999-03-14,Woman,2026-06-02,Ontario,yes,Sexual exploitation,"
    "Safe housing\n"
    "Priya,Demo-Raman,2001-11-30,woman,2026-06-19,CA-ON,yes,forced_labour,legal|income\n"
    "Ana,Demo-Santos,,Woman,2026-07-08,CA-ON,yes,Forced labour,\n"
    ",,,,2026-07-21,CA-ON,no,sexual_exploitation,\n"
)
WITH_PROBLEMS = (
    "Intake date,Province or territory of intake,consent_to_record,Gender\n"
    "14/07/2026,Ontario,yes,woman\n"
    "2026-07-15,Atlantis,maybe,woman\n"
)
KOBO = (
    "start,end,case/intake_date,case/intake_province,case/consent_to_record,"
    "case/exploitation_types,case/exploitation_types/forced_labour,"
    "case/exploitation_types/sexual_exploitation,survivor/gender_identity,_id,_uuid\n"
    "2026-08-03T10:00:00.000-05:00,2026-08-03T10:25:00.000-05:00,2026-08-03,CA-ON,yes,"
    "forced_labour,1,0,man,1,demo-kobo-0001\n"
)
# the first organisation of the demo imports its old spreadsheet
IMPORTER_ORG = "lakeshore-toronto"


def load_demo(*, orgs: list[Any], report: Callable[[str], None]) -> None:
    org = next((o for o in orgs if o.short_name == IMPORTER_ORG), None)
    supervisor = User.objects.filter(org=org, role=Role.SUPERVISOR, is_active=True).first()
    if supervisor is None:
        return
    created = 0
    for data, dry_run in ((LEGACY, False), (WITH_PROBLEMS, True), (KOBO, False)):
        job = actions.create_import_job(by=supervisor, data=data.encode(), dry_run=dry_run)
        created += actions.run_import_job(job_id=job.pk).created_count
    report(f"Imported {created} cases from demo spreadsheets and KoBoToolbox submissions.")
