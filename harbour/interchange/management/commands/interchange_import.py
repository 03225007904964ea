"""`harbour interchange import FILE --user EMAIL [--dry-run]`: import a file of intakes as that
member of staff (who must be allowed to import), all or nothing, with the same report as the
web page. The command is its own worker: it checks and writes at once."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.core.errors import DomainError
from harbour.interchange import actions, reading
from harbour.interchange.models import ImportJob, JobStatus


def staff_member(email: str) -> User:
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise CommandError(_("No active account has this e-mail address."))
    return user


class Command(BaseCommand):
    help = "Import intakes from CSV, XLSX, HTCDS or KoBoToolbox/ODK exports (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="e-mail of the importing supervisor")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--intake-date", help="for rows without one (YYYY-MM-DD)")
        parser.add_argument("--intake-province", help="for rows without one (e.g. CA-ON)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("There is no file at this path."))
        if path.stat().st_size > reading.MAX_BYTES:
            raise CommandError(reading.too_large_message())
        user = staff_member(options["user"])
        defaults = {
            "intake_date": options["intake_date"],
            "intake_province": options["intake_province"],
        }
        try:
            job = actions.create_import_job(
                by=user, data=path.read_bytes(), dry_run=options["dry_run"], defaults=defaults
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        job = actions.run_import_job(job_id=job.pk)
        self._report(job)

    def _report(self, job: ImportJob) -> None:
        for warning in job.warnings:
            self.stderr.write(_("Column %(column)s: %(message)s") % warning)
        if job.status == JobStatus.FAILED:
            lines = [_line(p) for p in job.problems]
            raise CommandError(_("Nothing was imported.") + "\n" + "\n".join(lines))
        if job.status == JobStatus.CHECKED:
            self.stdout.write(
                _("The file is valid: %(n)d rows ready to import.") % {"n": job.rows_total}
            )
            return
        self.stdout.write(
            _("Imported: %(created)d new cases; %(existing)d rows were already imported before.")
            % {"created": job.created_count, "existing": job.existing_count}
        )


def _line(problem: dict[str, Any]) -> str:
    if problem.get("row"):
        return _("Row %(row)s, column %(column)s: %(message)s") % problem
    if problem.get("column"):
        return _("Column %(column)s: %(message)s") % problem
    return str(problem["message"])
