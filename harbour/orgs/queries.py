"""Reads across models for organisations' keys."""

from harbour.orgs import crypto
from harbour.orgs.actions import sealed_models


def records_awaiting_survivor_keys() -> int:
    """Records about a survivor still sealed with their organisation's key (written before
    ADR 36): erasing the survivor would not reach backups of them. `harbour orgs reseal` moves
    them to the survivor's own key."""
    total = 0
    for model in sealed_models():
        path = getattr(model, "sealed_subject", "")
        if not path:
            continue
        rows = model.objects.filter(sealed__startswith=f"{crypto.PREFIX}.")
        if path != "pk" and "." not in path:
            rows = rows.exclude(**{path: None})
        total += rows.count()
    return total
