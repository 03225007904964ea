"""The hub's linkage key (ADR 41).

`HARBOUR_LINKAGE_KEY` (base64 of 32 bytes or more) when set; otherwise derived from the master
key, so a deployment links without new configuration. The key id names the key in every
encoding; a new key (or scheme version) makes every stored encoding stale until its
organisation re-encodes it from its own records (`harbour linkage encode`).
"""

import base64
import hashlib
import hmac
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from harbour.linkage.core.encoding import SCHEME, LinkageKey
from harbour.orgs import crypto


def hub_key() -> LinkageKey:
    configured = getattr(settings, "HARBOUR_LINKAGE_KEY", "") or ""
    return _key(configured, crypto.current_master_key_id())


@cache
def _key(configured: str, master_id: str) -> LinkageKey:
    if configured:
        try:
            secret = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except ValueError as exc:
            raise ImproperlyConfigured("HARBOUR_LINKAGE_KEY is not valid base64.") from exc
        if len(secret) < 32:
            raise ImproperlyConfigured("HARBOUR_LINKAGE_KEY must encode at least 32 bytes.")
        return LinkageKey(secret)
    master = crypto.master_keys()[master_id]
    return LinkageKey(
        hmac.new(master, f"harbour-linkage:{SCHEME}".encode(), hashlib.sha256).digest()
    )
