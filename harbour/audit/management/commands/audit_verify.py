from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from harbour.audit import note, queries
from harbour.audit.checkpoint import Body, CheckpointError
from harbour.audit.delivery import MAX_CHECKPOINT_BYTES, checkpoint_refusal


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
            scope = f"chain {body.scope}" if body.scope else "all chains"
            self.stdout.write(
                f"checkpoint of {body.issued_at:%Y-%m-%d %H:%M:%S} UTC ({scope}, "
                f"{len(body.heads)} chains): signature valid"
            )
        if result.problems:
            first = queries.first_problems(result.problems)
            for problem in first:
                self.stderr.write(f"first bad event in {problem}")
            raise CommandError(
                f"audit trail NOT intact: {len(result.problems)} problem(s) in {len(first)} "
                f"chain(s), {result.checked} events checked"
            )
        extends = f"; extends {len(bodies)} checkpoint(s)" if bodies else ""
        self.stdout.write(
            self.style.SUCCESS(f"audit trail intact: {result.checked} events verified{extends}")
        )

    def _files(self, path: Path) -> list[Path]:
        if not path.is_dir():
            return [path]
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".txt")
        if not found:
            raise CommandError(f"{path}: no checkpoint (*.txt) in this folder")
        return found

    def _verifier(self, text: str) -> note.Verifier:
        try:
            return note.parse_verifier(text)
        except note.NoteError as exc:
            raise CommandError(f"--public-key: {exc}") from exc

    def _read(self, path: Path, extra: list[note.Verifier]) -> Body:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror})") from exc
        try:
            if len(raw) > MAX_CHECKPOINT_BYTES:
                raise CheckpointError("malformed", "too large")
            return queries.open_checkpoint(raw.decode("utf-8"), extra=extra)
        except UnicodeDecodeError:
            raise CommandError(f"{path}: refused: not UTF-8 text") from None
        except CheckpointError as exc:
            raise CommandError(f"{path}: refused: {checkpoint_refusal(exc)}") from exc
