from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.audit import note, queries
from harbour.audit.checkpoint import Body, CheckpointError
from harbour.audit.delivery import MAX_CHECKPOINT_BYTES, checkpoint_refusal
from harbour.audit.management.commands._problems import first_bad_event


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chains, and with --checkpoint that it extends "
        "signed checkpoints kept outside the database; names the first bad event of each chain "
        "and exits non-zero on any altered, removed, inserted or reordered event."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            type=Path,
            metavar="FILE",
            help="a signed checkpoint, or a folder of them (repeatable): the trail must extend "
            "every one",
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            metavar="VKEY",
            help="also accept checkpoints signed by this verifier key (name+hash+key)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = [self._verifier(text) for text in options["public_key"]]
        files = [f for path in options["checkpoint"] for f in self._files(path)]
        bodies = [self._read(path, extra) for path in files]
        result = queries.check_against(bodies)
        for body in result.checkpoints:
            scope = _("chain %(scope)s") % {"scope": body.scope} if body.scope else _("all chains")
            self.stdout.write(
                _("checkpoint of %(issued)s UTC (%(scope)s, %(chains)d chains): signature valid")
                % {
                    "issued": f"{body.issued_at:%Y-%m-%d %H:%M:%S}",
                    "scope": scope,
                    "chains": len(body.heads),
                }
            )
        if result.problems:
            first = queries.first_problems(result.problems)
            for problem in first:
                self.stderr.write(first_bad_event(problem))
            raise CommandError(
                _(
                    "audit trail NOT intact: %(problems)d problem(s) in %(chains)d chain(s), "
                    "%(checked)d events checked"
                )
                % {
                    "problems": len(result.problems),
                    "chains": len(first),
                    "checked": result.checked,
                }
            )
        if bodies:
            done = _(
                "audit trail intact: %(checked)d events verified; extends %(count)d checkpoint(s)"
            )
        else:
            done = _("audit trail intact: %(checked)d events verified")
        self.stdout.write(
            self.style.SUCCESS(done % {"checked": result.checked, "count": len(bodies)})
        )

    def _files(self, path: Path) -> list[Path]:
        if not path.is_dir():
            return [path]
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".txt")
        if not found:
            raise CommandError(_("%(path)s: no checkpoint (*.txt) in this folder") % {"path": path})
        return found

    def _verifier(self, text: str) -> note.Verifier:
        try:
            return note.parse_verifier(text)
        except note.NoteError as exc:
            raise CommandError(_("--public-key: %(error)s") % {"error": exc}) from exc

    def _read(self, path: Path, extra: list[note.Verifier]) -> Body:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("%(path)s: cannot be read (%(error)s)") % {"path": path, "error": exc.strerror}
            ) from exc
        try:
            if len(raw) > MAX_CHECKPOINT_BYTES:
                raise CheckpointError("malformed", "too large")
            return queries.open_checkpoint(raw.decode("utf-8"), extra=extra)
        except UnicodeDecodeError:
            raise CommandError(_("%(path)s: refused: not UTF-8 text") % {"path": path}) from None
        except CheckpointError as exc:
            raise CommandError(
                _("%(path)s: refused: %(reason)s")
                % {"path": path, "reason": checkpoint_refusal(exc)}
            ) from exc
