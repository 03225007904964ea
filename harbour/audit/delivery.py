"""Getting checkpoints out of the database, where they protect the trail: files for auditors,
e-mails to each organisation's auditors, downloads; and the words for refusing a checkpoint."""

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from harbour.audit import keys, note
from harbour.audit.actions import signer_name
from harbour.audit.chain import Problem
from harbour.audit.checkpoint import CheckpointError
from harbour.audit.models import Checkpoint

MAX_CHECKPOINT_BYTES = 2_000_000


def file_name(checkpoint: Checkpoint, label: str = "") -> str:
    stamp = checkpoint.issued_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    scope = f"-{label or checkpoint.scope}" if checkpoint.scope else ""
    return f"harbour-audit-checkpoint{scope}-{stamp}-{checkpoint.pk}.txt"


def write_file(checkpoint: Checkpoint, target: Path) -> Path:
    """Write the signed note to `target` (a directory, or a file path), never overwriting, read-
    only: a checkpoint is evidence, and a later one never replaces an earlier one."""
    path = target / file_name(checkpoint) if target.is_dir() or not target.suffix else target
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(checkpoint.note)
        out.flush()
        os.fsync(out.fileno())
    return path


def verifier_key() -> str:
    key = keys.current_key()
    return note.Verifier(signer_name(), key.public_bytes()).encoded()


SUBJECT = _("Harbour: a signed checkpoint of your organisation's audit trail")
BODY = _(
    "Attached is a signed checkpoint of %(org)s's audit trail in Harbour, as of %(when)s UTC.\n\n"
    "Keep it outside Harbour, with your organisation's records. Whoever holds it can later "
    "check that Harbour's trail still contains, unchanged, every event the checkpoint saw: "
    "Audit trail > Checkpoints > Check a checkpoint, or `harbour audit verify --checkpoint FILE`."
    "\n\nThis e-mail contains no case details."
)


def email_checkpoint(
    checkpoint: Checkpoint,
    recipients: list[tuple[str, str]],
    *,
    org_names: Mapping[str, str],
    label: str,
) -> int:
    """Send the organisation's checkpoint to each (address, language); returns how many.
    `org_names` gives the organisation's name by language code."""
    when = f"{checkpoint.issued_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}"
    for address, language in recipients:
        language = language or settings.LANGUAGE_CODE
        org = org_names.get(language) or next(iter(org_names.values()))
        with translation.override(language):
            message = EmailMessage(
                str(SUBJECT),
                str(BODY) % {"org": org, "when": when},
                settings.DEFAULT_FROM_EMAIL,
                [address],
            )
        message.attach(file_name(checkpoint, label), checkpoint.note, "text/plain")
        message.send()
    return len(recipients)


REFUSALS = {
    "malformed": _("This is not a well-formed Harbour audit checkpoint."),
    "unknown_signer": _(
        "This checkpoint was not signed by this Harbour's audit key: it comes from another "
        "installation, or was forged."
    ),
    "bad_signature": _("This checkpoint's signature does not match its text: it was altered."),
    "future": _("This checkpoint is dated in the future: it cannot have been signed here."),
    "other_chains": _(
        "This checkpoint covers other organisations' trails: only the platform's operators can "
        "check it (harbour audit verify --checkpoint)."
    ),
}


def checkpoint_refusal(exc: CheckpointError) -> str:
    """Why a checkpoint is refused, in the reader's language, with the technical detail."""
    reason = str(REFUSALS.get(exc.code, REFUSALS["malformed"]))
    return f"{reason} ({exc.detail})" if exc.detail else reason


PROBLEMS = {
    "gap": _("events before it were removed, inserted or moved"),
    "broken_link": _("it does not follow the event before it: events were removed or reordered"),
    "altered": _("its content was changed after it was written"),
    "unknown_key": _("it was chained with a key this Harbour does not hold"),
    "unkeyed_after_keyed": _("it was forged: written without the audit key"),
    "unanchored_legacy": _("the events after it were removed, or it was forged"),
    "head_mismatch": _("events after it were removed"),
    "missing_head": _("the trail's record of its last event was removed"),
    "chain_missing": _("the whole trail was removed"),
    "truncated": _("the trail now ends before this event: events were removed"),
    "rewritten": _("it no longer matches the checkpoint: the trail up to it was rewritten"),
}


def described(problems: list[Problem]) -> list[dict[str, object]]:
    """Problems as a person reads them, in their language."""
    return [
        {"seq": p.seq, "action": p.action, "kind": p.kind, "label": PROBLEMS.get(p.kind, p.kind)}
        for p in problems
    ]
