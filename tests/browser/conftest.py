"""Shared by the browser tests: Debian's Chromium, launched headless with a fresh profile.

The fixture hands out a context manager rather than a started browser: Playwright's sync API
runs an asyncio loop in the test's thread, where Django refuses ORM calls, so a test does its
database work first and opens the browser after.
"""

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # never `playwright install`: it cannot download here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def _chromium() -> Iterator[Browser]:
    """Each launch gets a new temporary profile from Playwright; downloads go to a temp dir."""
    with (
        tempfile.TemporaryDirectory(prefix="harbour-chromium-") as downloads,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, downloads_path=downloads
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def chromium() -> Callable[[], AbstractContextManager[Browser]]:
    return _chromium
