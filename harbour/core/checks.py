"""System checks that enforce project invariants at start-up (`harbour check`)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import models

from harbour.core.sensitivity import unclassified_fields


def sensitivity_errors(candidates: Iterable[type[models.Model]]) -> list[Error]:
    errors = []
    for model in candidates:
        if not model.__module__.startswith("harbour."):
            continue
        for name in unclassified_fields(model):
            errors.append(
                Error(
                    f"{model._meta.label}.{name} does not declare its sensitivity.",
                    hint="Add it to the model's `sensitivity` mapping.",
                    obj=model,
                    id="harbour.E001",
                )
            )
    return errors


@register("harbour")
def check_sensitivity_declared(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Invariant 3: every field of every Harbour model declares its sensitivity."""
    return sensitivity_errors(apps.get_models())


# --- deployment (`harbour check --deploy`, ADR 35 and 36) --------------------------------------


@register(Tags.security, deploy=True)
def check_deployment_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What Harbour's own promises need from a production configuration, beyond Django's."""
    found: list[CheckMessage] = []
    if not settings.HARBOUR_AUDIT_KEY:
        found.append(
            Warning(
                "HARBOUR_AUDIT_KEY is not set: the audit trail's key is derived from the master "
                "key, which then cannot be rotated.",
                hint="Run `harbour audit key` and add its line to the environment.",
                id="harbour.W101",
            )
        )
    found += _linkage_key_problems()
    if _same_store(settings.HARBOUR_KEYSTORE_URL, settings.DATABASES["default"]):
        found.append(
            Error(
                "HARBOUR_KEYSTORE_URL names the application's own database: survivors' keys "
                "would be in its backups, and erasure would not reach them.",
                hint="Use a separate SQLite file or PostgreSQL database (ADR 36).",
                id="harbour.E102",
            )
        )
    elif _beside_sqlite_database(settings.HARBOUR_KEYSTORE_URL, settings.DATABASES["default"]):
        found.append(
            Warning(
                "The survivor key store is in the same folder as the SQLite database: a copy "
                "of the folder would back both up together, and erasure would not reach it.",
                hint="Set HARBOUR_KEYSTORE_URL to a file elsewhere, backed up on its own.",
                id="harbour.W103",
            )
        )
    if not settings.HARBOUR_SITE_URL.startswith("https://"):
        found.append(
            Warning(
                "HARBOUR_SITE_URL is not an https:// address: links in e-mails and the "
                "checkpoints' origin would point to an unencrypted site.",
                id="harbour.W104",
            )
        )
    return found


def _linkage_key_problems() -> list[CheckMessage]:
    """The record-linkage key (ADR 41): set, and usable — a bad one would fail only at the
    first intake that encodes a survivor."""
    from django.core.exceptions import ImproperlyConfigured

    from harbour.linkage.keys import hub_key

    if not settings.HARBOUR_LINKAGE_KEY:
        return [
            Warning(
                "HARBOUR_LINKAGE_KEY is not set: record-linkage encodings are keyed by a key "
                "derived from the master key, so rotating the master key leaves every encoding "
                "stale until each organisation re-encodes (ADR 41).",
                hint="Set HARBOUR_LINKAGE_KEY to 32 random bytes in base64 (harbour orgs "
                "new-master-key prints one), kept with the master key.",
                id="harbour.W106",
            )
        ]
    try:
        hub_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="harbour.E107")]
    return []


@register(Tags.security, deploy=True)
def check_session_folder(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """On SQLite sessions are files (ADR 45) named by their session keys: whoever can list the
    folder can sign in as anyone signed in, and whoever can write to it can plant a session.
    The settings make it 0700; one made by hand, or loosened since, is reported."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.file":
        return []
    folder = Path(settings.SESSION_FILE_PATH or "")
    if not settings.SESSION_FILE_PATH or not folder.is_dir():
        return []
    mode = folder.stat().st_mode & 0o777
    if not mode & 0o077:
        return []
    return [
        Warning(
            f"The sessions folder {folder} has mode {mode:o}: other accounts on the server can "
            "read the session keys of everyone signed in, or add sessions of their own.",
            hint=f"chmod 700 {folder}: only the account the web server runs as needs it.",
            id="harbour.W108",
        )
    ]


@register(Tags.security, deploy=True)
def check_password_hasher(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """HARBOUR_FAST_PASSWORD_HASHER makes the test suite fast by storing passwords as salted MD5,
    which a stolen backup gives up at once: it must never reach a server (ADR 47)."""
    if settings.PASSWORD_HASHERS[0] in settings.HARBOUR_PASSWORD_HASHERS.values():
        return []
    return [
        Warning(
            f"Passwords are hashed with {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}, "
            "a hasher for tests only: a copy of the database would give up every password.",
            hint="Remove HARBOUR_FAST_PASSWORD_HASHER from the environment.",
            id="harbour.W109",
        )
    ]


@register(Tags.database, deploy=True)
def check_row_level_security_applies(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """On PostgreSQL the application must connect as an ordinary role: superusers and roles
    with BYPASSRLS skip row-level security, the second guard of tenancy (ADR 40). Runs when the
    check is given the database (`harbour check --deploy --database default`)."""
    from django.db import connections

    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    if not row or not row[0]:
        return []
    return [
        Warning(
            "Harbour connects to PostgreSQL as a superuser or a role with BYPASSRLS: row-level "
            "security does not apply, and organisations are kept apart by the application alone.",
            hint="Connect as an ordinary role that owns nothing but Harbour's tables "
            "(docs/how-to/deploy.md).",
            id="harbour.W105",
        )
    ]


def _same_store(keystore_url: str, database: Any) -> bool:
    parts = urlsplit(keystore_url)
    if parts.scheme == "sqlite":
        return database["ENGINE"].endswith("sqlite3") and _samefile(parts.path, database["NAME"])
    return (
        database["ENGINE"].endswith("postgresql")
        and parts.path.lstrip("/") == database["NAME"]
        and _host(parts.hostname) == _host(database.get("HOST"))
        and (parts.port or 5432) == int(database.get("PORT") or 5432)
    )


def _host(name: str | None) -> str:
    return "localhost" if name in {None, "", "127.0.0.1", "::1", "localhost"} else str(name)


def _beside_sqlite_database(keystore_url: str, database: Any) -> bool:
    parts = urlsplit(keystore_url)
    if parts.scheme != "sqlite" or not database["ENGINE"].endswith("sqlite3"):
        return False
    return Path(parts.path).resolve().parent == Path(str(database["NAME"])).resolve().parent


def _samefile(a: str, b: Any) -> bool:
    return Path(a).resolve() == Path(str(b)).resolve()
