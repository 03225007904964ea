"""What each Django benchmark does first: a throwaway folder and throwaway secrets, the settings
read from the environment as in production, Django set up, then the schema migrated."""

import base64
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def throwaway_harbour(
    database_url: str, *, name: str, every_org: bool = False, reuse: bool = False, **env: str
) -> Path:
    """Configure and migrate a Harbour on `database_url` (SQLite in the folder when empty);
    `env` adds or overrides variables. `every_org`: the process runs with the operator's scope
    over every organisation (ADR 40), as a seeding load does. The database must hold no table
    (a benchmark writes throwaway organisations, keys and audit events, and may drop indexes):
    one that does is refused, unless `reuse` (a benchmark's own earlier seed). Returns the
    throwaway folder."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"harbour-bench-{name}-"))
    (var_dir / "static").mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "HARBOUR_VAR_DIR": str(var_dir),
            "HARBOUR_DATABASE_URL": database_url,
            "HARBOUR_KEYSTORE_URL": f"sqlite:///{var_dir / 'keys' / 'keystore.sqlite3'}",
            "HARBOUR_SECRET_KEY": secrets.token_urlsafe(48),
            "HARBOUR_MASTER_KEY": _key(),
            "HARBOUR_AUDIT_KEY": _key(),
            "HARBOUR_DEBUG": "false",
            "HARBOUR_LOG_LEVEL": "ERROR",
        }
        | env
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from harbour.core import tenancy

    if not reuse:
        _refuse_a_used_database()
    if every_org:
        tenancy.set_process_default(tenancy.ALL)
    call_command("migrate", verbosity=0, interactive=False)
    return var_dir


def _refuse_a_used_database() -> None:
    from django.db import connection

    tables = connection.introspection.table_names()
    if tables:
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds tables already ({len(tables)}): a benchmark "
            "needs an EMPTY database of its own (createdb), never a real Harbour's"
        )
