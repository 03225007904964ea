"""Background work (Django's tasks framework): the configured backend runs an import job in a
worker; the default immediate backend runs it at once, in the request that queued it."""

from django.tasks import task

from harbour.interchange import actions


@task
def run_import(job_id: str) -> None:
    actions.run_import_job(job_id=job_id)


def start(job_id: object) -> None:
    run_import.enqueue(str(job_id))
