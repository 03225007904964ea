"""pytest plugin (loaded with `-p harbour.testenv`): test-only environment defaults.

It runs before Django's settings are imported, so the one settings file can insist on its
required variables without a second "test settings" file.
"""

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import settings as hypothesis_settings

# The password of every user the `make_user` fixture (conftest.py) creates.
PASSWORD = "a-long-test-password-42"  # noqa: S105 - test users only

_DEFAULTS = {
    "HARBOUR_SECRET_KEY": "test-only-secret-key-not-for-any-deployment-0123456789",
    # 32 zero-free bytes, base64url; test-only.
    "HARBOUR_MASTER_KEY": "dGVzdC1vbmx5LW1hc3Rlci1rZXktMzItYnl0ZXMhISE",
    "HARBOUR_FAST_PASSWORD_HASHER": "1",
    "HARBOUR_DEBUG": "false",
    "HARBOUR_SECURE_COOKIES": "false",
    "HARBOUR_STRICT_TEMPLATES": "false",
    "HARBOUR_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}
for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)
# The tests' var directory (session files, key files, exports) in memory where there is a tmpfs:
# on ext4 each session save (a rename over the old file) waited for the disk, about a tenth of
# the cross-organisation sweep's time on a busy machine. The same files, only faster.
_TMPFS = "/dev/shm"  # noqa: S108 - mkdtemp makes a private directory in it
if "HARBOUR_VAR_DIR" not in os.environ:
    _var = tempfile.mkdtemp(
        prefix="harbour-test-", dir=_TMPFS if os.access(_TMPFS, os.W_OK) else None
    )
    os.environ["HARBOUR_VAR_DIR"] = _var
    # Processes started by this one (pytest-xdist's workers, servers) share it; its maker removes
    # it, so that memory is not left holding old runs' files.
    atexit.register(shutil.rmtree, _var, ignore_errors=True)
os.makedirs(os.path.join(os.environ["HARBOUR_VAR_DIR"], "static"), exist_ok=True)

# Property tests check what is true, not how fast: Hypothesis's default 200 ms deadline per
# example turns a busy machine (a CI runner, parallel workers) into flaky failures. Speed is
# measured in benchmarks/.
# The default run (`./dev test` at a desk) tries 25 examples per property to stay quick; CI
# (HARBOUR_SLOW=1) tries Hypothesis's usual 100, so the search is as deep as before where every
# change is checked. A property that sets its own max_examples keeps it in both.
hypothesis_settings.register_profile("harbour", deadline=None, max_examples=25)
hypothesis_settings.register_profile("harbour-ci", deadline=None, max_examples=100)
hypothesis_settings.load_profile(
    "harbour-ci" if os.environ.get("HARBOUR_SLOW") == "1" else "harbour"
)


# A browser drives the same pages whichever database is behind them: CI runs them once.
ONCE_ON_SQLITE = "browser tests run on SQLite; the pages are the same on PostgreSQL"


def on_postgresql() -> bool:
    """Whether this run's database is PostgreSQL (read before Django's settings are)."""
    return os.environ.get("HARBOUR_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# The modules whose tests take longest (a minute or so each with their fixtures, measured
# 2026-12-06), run first: pytest-xdist hands each worker a contiguous half of the list and a
# worker that runs out takes queued tests from the other's end, so a long module left near the end
# kept one worker busy while the other had nothing left (longest first, as a scheduler would).
LONG_FIRST = (
    "tests/test_crawl.py",
    "tests/test_cross_org.py",
    "tests/test_api_fuzz.py",
    "tests/test_sharing_stateful.py",
    "harbour/demo/tests/test_demo_load.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONG_FIRST)  # stable
    run_slow = os.environ.get("HARBOUR_SLOW") == "1"
    chromium = shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow test: set HARBOUR_SLOW=1 (CI does)"))
        if "browser" in item.keywords and on_postgresql():
            item.add_marker(pytest.mark.skip(reason=ONCE_ON_SQLITE))
        if "browser" in item.keywords and not chromium and os.environ.get("CI") != "1":
            item.add_marker(
                pytest.mark.skip(reason="Chromium not installed (apt-get install chromium)")
            )
