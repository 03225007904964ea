"""How far a running import job is, kept outside the database (ADR 45).

The write pass is one transaction (all or nothing): anything it wrote to the job's row would be
invisible to other connections until the commit on PostgreSQL, and on SQLite another writer —
even a progress update outside that transaction — waits for the one write lock. So both passes
note their progress in a small file under HARBOUR_VAR_DIR, one per job, replaced atomically
(a reader sees the previous note or the next one, never half of one) and removed when the job
ends. The file holds the phase and two counts, nothing from the uploaded file.

The job's row stays the truth: the file is read only while the job's status says it runs, so a
finished or failed job shows its final counts even if a killed worker left its file behind
(such files are swept after a day).
"""

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from harbour.interchange.models import ImportJob, JobStatus

CHECKING, WRITING = "checking", "writing"
PHASES = {CHECKING: _("Checking the rows"), WRITING: _("Writing the rows")}
logger = logging.getLogger(__name__)
FORGET_AFTER = 24 * 3600  # seconds: a file this old belongs to a worker that was killed


@dataclass(frozen=True)
class Progress:
    phase: str | None  # CHECKING, WRITING, or None for a job that is not running
    done: int
    total: int

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    @property
    def label(self) -> str:
        return str(PHASES[self.phase]) if self.phase else ""


def _folder() -> Path:
    return Path(settings.VAR_DIR) / "import-progress"


def path_of(job_id: Any) -> Path:
    return _folder() / f"{job_id}.json"


def note(job_id: Any, phase: str, done: int, total: int) -> None:
    """Replace the job's progress (a temporary file renamed over it: atomic on one file
    system). Not synced to disk: after a power cut the job's row, not this, is the truth.
    A note that cannot be written (a full disk) is skipped: the import matters, not its bar."""
    temporary = None
    try:
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".progress-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"phase": phase, "done": done, "total": total}, out)
        os.replace(temporary, path_of(job_id))
    except OSError:
        logger.warning("The progress of import job %s could not be noted.", job_id, exc_info=True)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def clear(job_id: Any) -> None:
    try:
        path_of(job_id).unlink(missing_ok=True)
    except OSError:  # read only while the job's row says it runs: a left-over misleads no one
        logger.warning("The progress of import job %s could not be removed.", job_id)


def forget_old() -> None:
    """Files left by workers that were killed mid-job (their jobs read their row's counts)."""
    if not _folder().is_dir():
        return
    old = time.time() - FORGET_AFTER
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < old:
                path.unlink(missing_ok=True)
        except OSError:
            continue  # removed by another worker meanwhile


def _noted(job_id: Any) -> Progress | None:
    try:
        noted = json.loads(path_of(job_id).read_text(encoding="utf-8"))
        progress = Progress(str(noted["phase"]), int(noted["done"]), int(noted["total"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not started yet, or already ended
    return progress if progress.phase in PHASES else None


def of(job: ImportJob) -> Progress:
    """What the job page and the API show: the running job's noted progress, else the counts
    stored with the job."""
    if job.is_running:
        noted = _noted(job.pk)
        if noted is not None:
            return noted
        # Not noted yet (or by a worker on another machine): nothing done of this pass, whose
        # size is the last check's (a committed dry run's row still holds its own counts).
        phase = WRITING if job.status == JobStatus.IMPORTING else CHECKING
        return Progress(phase, 0, job.rows_total)
    return Progress(None, job.rows_done, job.rows_total)
