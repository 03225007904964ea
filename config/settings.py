"""Harbour's one settings file.

Everything that differs between machines comes from the environment (HARBOUR_*). A missing or
malformed required value stops the process at start-up with a message naming the variable: a
half-configured deployment of a system holding survivors' data must not run.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HARBOUR_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ImproperlyConfigured(
            f"{name} is not set. Harbour reads its configuration from the environment; "
            f"see README.md ('Configuration') for every variable."
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return default if raw is None else int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


DEBUG = env_bool("HARBOUR_DEBUG", False)
SECRET_KEY = env("HARBOUR_SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("HARBOUR_SECRET_KEY must be at least 32 characters long.")

# The master key wraps every organisation's data key (envelope encryption). Old master keys stay
# listed only until `harbour keys rotate-master` has re-wrapped every data key.
HARBOUR_MASTER_KEY = env("HARBOUR_MASTER_KEY")
HARBOUR_OLD_MASTER_KEYS = [
    k for k in os.environ.get("HARBOUR_OLD_MASTER_KEYS", "").split(",") if k.strip()
]
# The hub's record-linkage key (ADR 41); derived from the master key when unset (demo, tests).
HARBOUR_LINKAGE_KEY = os.environ.get("HARBOUR_LINKAGE_KEY", "")

ALLOWED_HOSTS = env("HARBOUR_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("HARBOUR_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "ninja",  # its bundled Swagger UI (static files), not the CDN fallback
    "harbour.core",
    "harbour.audit",
    "harbour.standard",
    "harbour.accounts",
    "harbour.orgs",
    "harbour.cases",
    "harbour.directory",
    "harbour.sharing",
    "harbour.linkage",
    "harbour.stats",
    "harbour.grants",
    "harbour.interchange",
    "harbour.api",
    "harbour.web",
    "harbour.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "harbour.accounts.middleware.SessionMiddleware",
    "harbour.accounts.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "harbour.api.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "harbour.accounts.middleware.AuthenticationMiddleware",
    "harbour.accounts.middleware.TenancyMiddleware",
    "harbour.accounts.middleware.SecondFactorMiddleware",
    "harbour.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "harbour.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "harbour.web.middleware.NoStoreMiddleware",
    "harbour.web.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "harbour.web.context_processors.navigation",
            ],
            "string_if_invalid": ""
            if not env_bool("HARBOUR_STRICT_TEMPLATES", False)
            else "!!%s!!",
        },
    }
]

# --- database ---------------------------------------------------------------------------------

DATABASE_URL = os.environ.get("HARBOUR_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'harbour.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"HARBOUR_DATABASE_URL is not a usable database URL: {exc}") from exc

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work during a write; synchronous=FULL makes a committed intake survive a
    # power cut; IMMEDIATE transactions avoid the "database is locked" upgrade deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("HARBOUR_SQLITE_TEST_NAME")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication and sessions --------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ADR 47: Argon2id at OWASP's parameters; HARBOUR_PASSWORD_HASHER=pbkdf2 where FIPS 140
# validated primitives are required. Both stay listed, so a hash of either kind verifies and is
# re-made with the preferred one at the next sign-in. MD5 is the test suite's, never production's
# (harbour.W109).
HARBOUR_PASSWORD_HASHERS = {  # the hashers a server may use, by HARBOUR_PASSWORD_HASHER
    "argon2id": "harbour.accounts.hashers.Argon2idPasswordHasher",
    "pbkdf2": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
}
_PREFERRED_HASHER = os.environ.get("HARBOUR_PASSWORD_HASHER", "argon2id")
if _PREFERRED_HASHER not in HARBOUR_PASSWORD_HASHERS:
    raise ImproperlyConfigured(
        f"HARBOUR_PASSWORD_HASHER must be one of {', '.join(HARBOUR_PASSWORD_HASHERS)}, "
        f"not {_PREFERRED_HASHER!r}."
    )
PASSWORD_HASHERS = [HARBOUR_PASSWORD_HASHERS[_PREFERRED_HASHER]] + [
    path for name, path in HARBOUR_PASSWORD_HASHERS.items() if name != _PREFERRED_HASHER
]
if env_bool("HARBOUR_FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")

# Idle timeout: a session ends HARBOUR_SESSION_IDLE_MINUTES after its last write, and a request
# re-writes it once its last write is SESSION_REFRESH_SECONDS old
# (accounts.middleware.SessionRefreshMiddleware), not on every request: that was a database write
# per page. Shared computers in drop-in centres are the threat (ADR 9).
SESSION_IDLE_MINUTES = env_int("HARBOUR_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
# A minute, or a quarter of a (test's) very short idle limit, so a session in use never lapses.
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 4)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer: while an import writes (one transaction for minutes, ADR 45) every
    # request would wait for it to save its session, then fail. Sessions live in files beside
    # the database instead (private to the server's account), so pages, and the import's
    # progress, are still served meanwhile. The folder is made only where the database's is
    # (`harbour --help` on a bare machine writes nothing), and only for this account (mode
    # 0700, which a umask can only narrow): the files are named by their session keys. A folder
    # made otherwise is left as it is (an operator's choice) and reported by `harbour check
    # --deploy` (harbour.W108).
    SESSION_ENGINE = "django.contrib.sessions.backends.file"
    _DATABASE_DIR = Path(DATABASES["default"]["NAME"]).parent
    SESSION_FILE_PATH = str(_DATABASE_DIR / "sessions")
    if _DATABASE_DIR.is_dir():
        os.makedirs(SESSION_FILE_PATH, mode=0o700, exist_ok=True)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# ... and however active, a session ends HARBOUR_SESSION_MAX_HOURS after sign-in: a stolen or
# forgotten session does not last for ever (accounts.middleware.SessionLifetimeMiddleware).
SESSION_MAX_HOURS = env_int("HARBOUR_SESSION_MAX_HOURS", 12)
SECURE_COOKIES = env_bool("HARBOUR_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"

LOGIN_THROTTLE_FAILURES = env_int("HARBOUR_LOGIN_THROTTLE_FAILURES", 5)
LOGIN_THROTTLE_MINUTES = env_int("HARBOUR_LOGIN_THROTTLE_MINUTES", 15)
# Failed sign-ins from one address (any accounts) before it may no longer retry the accounts it
# failed on: high, because a shelter's staff share one connection (ADR 9).
LOGIN_ADDRESS_FAILURES = env_int("HARBOUR_LOGIN_ADDRESS_FAILURES", 100)
# Invitation and password-reset links work once, for this many days.
HARBOUR_INVITATION_DAYS = env_int("HARBOUR_INVITATION_DAYS", 7)
# Consent receipt codes that match nothing, per user, before lookups wait for the same window.
RECEIPT_LOOKUP_FAILURES = env_int("HARBOUR_RECEIPT_LOOKUP_FAILURES", 10)
API_TOKEN_DAYS = env_int("HARBOUR_API_TOKEN_DAYS", 90)

# --- security headers -------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": other sites never see our URLs, while our own forms keep a real Origin
# header ("no-referrer" makes browsers send `Origin: null`, which fails the CSRF check).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("HARBOUR_SSL_REDIRECT", False)
# Strict-Transport-Security, for deployments served over TLS: 0 (off) by default, because a
# value sent once binds browsers for that long; docs/how-to/deploy.md suggests 31536000.
SECURE_HSTS_SECONDS = env_int("HARBOUR_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HARBOUR_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HARBOUR_HSTS_PRELOAD", False)
# Preloading is a deployment's own, slow-to-undo commitment (docs/how-to/deploy.md): not a defect.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("HARBOUR_BEHIND_PROXY", False) else None
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HARBOUR_MAX_REQUEST_BYTES", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("HARBOUR_TIME_ZONE", "America/Toronto")
USE_I18N = True
USE_TZ = True

# --- static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- e-mail, logging --------------------------------------------------------------------------

# The demo prints e-mails to the console; a deployment sets the SMTP backend and its host.
_MAIL_BACKEND = env("HARBOUR_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS: dict[str, dict[str, object]] = {"default": {"BACKEND": _MAIL_BACKEND}}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("HARBOUR_EMAIL_HOST", "localhost"),
        "port": env_int("HARBOUR_EMAIL_PORT", 25),
        "use_tls": env_bool("HARBOUR_EMAIL_TLS", True),
    }
DEFAULT_FROM_EMAIL = env("HARBOUR_FROM_EMAIL", "harbour@localhost")

# Request bodies and query strings are never logged: they can hold survivors' data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "harbour.core.logging.ScrubFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HARBOUR_LOG_LEVEL", "WARNING")},
}

# --- Harbour ----------------------------------------------------------------------------------

# A referral with no answer after this many days is flagged to its sender.
HARBOUR_STALE_REFERRAL_DAYS = env_int("HARBOUR_STALE_REFERRAL_DAYS", 7)
# ... and after this many days it expires: it opens nothing and can no longer be accepted (ADR 8).
HARBOUR_REFERRAL_EXPIRY_DAYS = env_int("HARBOUR_REFERRAL_EXPIRY_DAYS", 30)
# Consents expiring within this many days are announced to whoever recorded them.
HARBOUR_CONSENT_WARNING_DAYS = env_int("HARBOUR_CONSENT_WARNING_DAYS", 14)
# Spreadsheet imports (issue 13, ADR 45): the largest file, and the most rows one file may hold.
# 100,000 rows of a typical intake sheet take 10-30 MB; the file is kept sealed until imported.
HARBOUR_IMPORT_MAX_MB = env_int("HARBOUR_IMPORT_MAX_MB", 40)
HARBOUR_IMPORT_MAX_ROWS = env_int("HARBOUR_IMPORT_MAX_ROWS", 100_000)
# Returning-survivor hints (record linkage, ADR 41) one user may ask in an hour: a hint answers
# whether a typed identity is known elsewhere, so unlimited it would be a membership oracle.
HARBOUR_HINT_PROBES_PER_HOUR = env_int("HARBOUR_HINT_PROBES_PER_HOUR", 30)
if HARBOUR_HINT_PROBES_PER_HOUR < 1:
    raise ImproperlyConfigured(
        f"HARBOUR_HINT_PROBES_PER_HOUR must be at least 1, not {HARBOUR_HINT_PROBES_PER_HOUR}."
    )
# ... and all users of one organisation together: many accounts of one organisation (or one
# stolen token per colleague) must not multiply the oracle. At least the per-user limit.
HARBOUR_HINT_PROBES_PER_HOUR_ORG = env_int("HARBOUR_HINT_PROBES_PER_HOUR_ORG", 300)
if HARBOUR_HINT_PROBES_PER_HOUR_ORG < HARBOUR_HINT_PROBES_PER_HOUR:
    raise ImproperlyConfigured(
        "HARBOUR_HINT_PROBES_PER_HOUR_ORG must be at least HARBOUR_HINT_PROBES_PER_HOUR "
        f"({HARBOUR_HINT_PROBES_PER_HOUR}), not {HARBOUR_HINT_PROBES_PER_HOUR_ORG}."
    )
# A hint tells a province only when it holds at least this many active organisations; fewer
# would point at the organisation that served the survivor, so the hint says Canada instead.
HARBOUR_HINT_MIN_ORGS_PER_PLACE = env_int("HARBOUR_HINT_MIN_ORGS_PER_PLACE", 3)
if HARBOUR_HINT_MIN_ORGS_PER_PLACE < 1:
    raise ImproperlyConfigured(
        "HARBOUR_HINT_MIN_ORGS_PER_PLACE must be at least 1, "
        f"not {HARBOUR_HINT_MIN_ORGS_PER_PLACE}."
    )


def _bad_days(raw: str) -> int:
    raise ImproperlyConfigured(
        f"HARBOUR_PERMIT_REMINDER_DAYS must be whole numbers of days, like 60,14; not {raw!r}."
    )


# Immigration (issue 14): reminders this many days before a permit or coverage ends (comma-
# separated lead times), and when an application has waited this many days for its decision.
HARBOUR_PERMIT_REMINDER_DAYS = sorted(
    {
        int(d) if d.strip().isdigit() and int(d) > 0 else _bad_days(d)
        for d in env("HARBOUR_PERMIT_REMINDER_DAYS", "60,14").split(",")
    }
)
HARBOUR_APPLICATION_WAIT_DAYS = env_int("HARBOUR_APPLICATION_WAIT_DAYS", 120)
# The address people use to reach this Harbour, for links in e-mails.
HARBOUR_SITE_URL = env("HARBOUR_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
HARBOUR_DEMO_BANNER = env_bool("HARBOUR_DEMO", False)
# Where the quick-exit control sends someone: an everyday site that raises no suspicion.
HARBOUR_QUICK_EXIT_URL = env("HARBOUR_QUICK_EXIT_URL", "https://www.google.ca/")

# --- audit keys, checkpoints, survivor keys (ADR 35, 36) --------------------------------------

# The audit trail's secret: keys its hash chain and signs its checkpoints. Kept with the master
# key, never in the database. Unset, it is derived from the master key, which then cannot be
# rotated until it is set explicitly (`harbour audit key` prints the value in use).
HARBOUR_AUDIT_KEY = os.environ.get("HARBOUR_AUDIT_KEY", "")
HARBOUR_OLD_AUDIT_KEYS = [
    k for k in os.environ.get("HARBOUR_OLD_AUDIT_KEYS", "").split(",") if k.strip()
]
# Where `harbour audit checkpoint` writes signed checkpoints: ideally storage the database's
# owner cannot rewrite (an append-only mount, a synced off-site folder).
HARBOUR_AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("HARBOUR_AUDIT_CHECKPOINT_DIR") or VAR_DIR / "checkpoints"
)
# Survivors' own data keys live outside the database, so that erasing a survivor (destroying
# their key) reaches every backup of the database: a SQLite file or a separate PostgreSQL database.
HARBOUR_KEYSTORE_URL = (
    os.environ.get("HARBOUR_KEYSTORE_URL") or f"sqlite:///{VAR_DIR / 'keystore.sqlite3'}"
)
