"""Every official HSDS 3.0 example (read from ../shared, never copied) imports unchanged."""

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from harbour.audit.actions import SystemActor
from harbour.directory import imports

pytestmark = pytest.mark.django_db


def _examples() -> Path:
    """../shared/standards/hsds-3.0/examples next to the checkout (or above a worktree)."""
    if os.environ.get("HARBOUR_HSDS_EXAMPLES"):
        return Path(os.environ["HARBOUR_HSDS_EXAMPLES"])
    for parent in Path(__file__).resolve().parents[3:]:
        candidate = parent / "shared" / "standards" / "hsds-3.0" / "examples"
        if candidate.is_dir():
            return candidate
    return Path("/nonexistent")


EXAMPLES = _examples()
if not EXAMPLES.is_dir():
    pytest.skip("the official HSDS 3.0 examples (../shared) are not here", allow_module_level=True)
BY = SystemActor("tests")
JSON_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("*.json"))


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted((EXAMPLES / "csv").iterdir()):
            archive.write(item, item.name)
    return buffer.getvalue()


@pytest.mark.parametrize("name", [*JSON_EXAMPLES, "csv"])
def test_each_official_example_imports_unchanged(name: str) -> None:
    data = package() if name == "csv" else (EXAMPLES / name).read_bytes()
    report = imports.import_file(by=BY, data=data, filename=name)
    assert report.ok, report.problems
