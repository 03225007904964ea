"""Rotating the master key writes one event per organisation key, in each organisation's chain:
the chains are taken in one order (ADR 35), not in the keys' order."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from harbour.audit import keys as audit_keys
from harbour.audit.actions import SystemActor
from harbour.audit.tests.crossing import chains_taken
from harbour.orgs import actions, crypto

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("tests")


def test_master_key_rotation_takes_the_chains_in_their_order(
    monkeypatch: pytest.MonkeyPatch, make_org: Callable[..., Any]
) -> None:
    made = [make_org(), make_org()]
    while [str(o.pk) for o in made] == sorted(str(o.pk) for o in made):
        made.append(make_org())  # created (and keyed) in an order that is not the chains'
    old, new = settings.HARBOUR_MASTER_KEY, crypto.new_master_key()
    pinned = {"HARBOUR_AUDIT_KEY": audit_keys.secret_in_use()}
    try:
        with override_settings(HARBOUR_MASTER_KEY=new, HARBOUR_OLD_MASTER_KEYS=[old], **pinned):
            crypto._unwrap_cached.cache_clear()
            taken = chains_taken(monkeypatch)
            assert actions.rotate_master_key(by=ACTOR) >= len(made)
    finally:
        crypto._unwrap_cached.cache_clear()
    assert {str(o.pk) for o in made} <= set(taken)
    assert taken == sorted(taken)
