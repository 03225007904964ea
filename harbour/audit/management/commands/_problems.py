"""A bad audit event, as `harbour audit verify`, `audit checkpoint` and `harbour check` print it,
in the command line's language (issue #9).

The English of DESCRIPTIONS is harbour.audit.chain's, word for word (a test keeps them equal):
chain.py's texts are plain strings, used by Problem.__str__ for logs, so the translatable copy
lives here, beside the commands that print it. Django does not list this module as a command
(its name starts with an underscore).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from harbour.audit.chain import Problem

DESCRIPTIONS = {
    "gap": gettext_lazy(
        "sequence number out of order: an event before it was removed, inserted or moved"
    ),
    "broken_link": gettext_lazy(
        "does not point to the event before it: removed, inserted or reordered events"
    ),
    "altered": gettext_lazy(
        "content does not match its hash: altered (or re-hashed without the audit key)"
    ),
    "unknown_key": gettext_lazy("keyed with an audit key this installation does not hold"),
    "unkeyed_after_keyed": gettext_lazy(
        "an unkeyed event after keyed ones: forged in the old scheme"
    ),
    "unanchored_legacy": gettext_lazy(
        "old, unkeyed events from here on that no keyed event follows: not protected (the "
        "keyed events after them were removed, or they were forged)"
    ),
    "head_mismatch": gettext_lazy(
        "the chain's head does not name its last event: events removed at the end"
    ),
    "missing_head": gettext_lazy("the chain has events but no head: its head row was removed"),
    "chain_missing": gettext_lazy("the chain is gone: it was in the checkpoint"),
    "truncated": gettext_lazy(
        "the chain now ends before the checkpointed event: events removed at the end"
    ),
    "rewritten": gettext_lazy(
        "no longer has the hash the checkpoint signed: the trail up to it was rewritten"
    ),
}


def first_bad_event(problem: Problem) -> str:
    """One line naming the first bad event of a chain and what is wrong with it."""
    what = str(DESCRIPTIONS.get(problem.kind, problem.kind))
    values = {"chain": problem.chain, "seq": problem.seq, "what": what}
    if problem.event_id is None:
        return _("first bad event in chain %(chain)s: event #%(seq)s: %(what)s") % values
    return _(
        "first bad event in chain %(chain)s: event #%(seq)s (id %(id)s, %(action)s): %(what)s"
    ) % {**values, "id": problem.event_id, "action": problem.action}
