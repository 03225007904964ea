"""Fixtures of the cross-domain tests that start real servers (load and crash runs)."""

import subprocess
from collections.abc import Callable, Iterator

import pytest
from django.db import connection


@pytest.fixture
def empty_database_url() -> Iterator[Callable[[str], str]]:
    """An empty PostgreSQL database beside the test database, for a run that needs its own;
    dropped afterwards."""
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", str(s["PORT"] or 5432)
    admin = ["psql", "-h", host, "-p", port, "-U", s["USER"], "-d", "postgres", "-c"]
    made: list[str] = []

    def make(suffix: str) -> str:
        name = f"{s['NAME']}_{suffix}"
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            subprocess.run([*admin, sql], check=True, capture_output=True)  # noqa: S603
        made.append(name)
        return f"postgres://{s['USER']}@{host}:{port}/{name}"

    yield make
    for name in made:
        subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}"'], capture_output=True)  # noqa: S603
