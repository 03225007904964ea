"""Background work (Django's tasks framework): the configured backend runs an import job in a
worker; the default immediate backend runs it at once, in the request that queued it.

Under PostgreSQL's row-level security (ADR 40) a worker's connection sees nothing by default:
the task finds its job under a named widening, then works scoped to the uploader's organisation
(as the request that queued it would), and puts the connection's scope back afterwards.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.tasks import task

from harbour.core import tenancy
from harbour.interchange import actions
from harbour.interchange.models import ImportJob


@task
def run_import(job_id: str) -> None:
    with _as_uploader(job_id):
        actions.run_import_job(job_id=job_id)


def start(job_id: object) -> None:
    run_import.enqueue(str(job_id))


@contextmanager
def _as_uploader(job_id: Any) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with tenancy.widened("an import task finds the job it was queued for"):
        uploader = ImportJob.objects.select_related("created_by").get(pk=job_id).created_by
    previous = tenancy._current()
    tenancy.for_user(uploader)
    try:
        yield
    finally:
        tenancy._set(*previous)
