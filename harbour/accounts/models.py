"""People who sign in to Harbour, their API tokens and the login throttle."""

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import ROLE_PERMISSIONS, Perm, Role
from harbour.core.models import BaseModel
from harbour.core.sensitivity import Sensitivity
from harbour.core.tenancy import ME, RowSecurity

# Row-level security (ADR 40, decided 2026-12-06): an account's secrets and an organisation's
# invitations and second-factor policy pass for the organisation of their user. Every user has
# one (`User.org` is required; the platform's and national staff belong to their own body's
# organisation), so one's own devices always pass in one's own scoped requests. Users are not
# under RLS, so the subquery on accounts_user sees every user and filters by organisation.
_OWN_ORG = RowSecurity(read=(f"org_id = {ME}",), write=(f"org_id = {ME}",))
_USERS_ORG = (
    "user_id IN (SELECT u.id FROM accounts_user u"  # noqa: S608 - constant SQL, no input
    f" WHERE u.org_id = {ME})"
)
_OWN_USERS = RowSecurity(read=(_USERS_ORG,), write=(_USERS_ORG,))


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, BaseModel):
    """A member of staff of exactly one organisation, with exactly one role."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    org = models.ForeignKey(
        "orgs.Organisation",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=[("en", "English"), ("fr", "Français")],
        default="en",
    )
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(default=False)
    # Changed whenever credentials or the role change: every session signed with the old value
    # ends at its next request (see _get_session_auth_hash).
    security_stamp = models.CharField(max_length=32, default="", blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "email": Sensitivity.IDENTIFIER,
        "full_name": Sensitivity.IDENTIFIER,
        "job_title": Sensitivity.QUASI_IDENTIFIER,
        "password": Sensitivity.IDENTIFIER,
        "last_login": Sensitivity.QUASI_IDENTIFIER,
        "org": Sensitivity.NONE,
        "role": Sensitivity.NONE,
        "preferred_language": Sensitivity.NONE,
        "is_active": Sensitivity.NONE,
        "must_change_password": Sensitivity.NONE,
        "security_stamp": Sensitivity.IDENTIFIER,
    }

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Sessions are bound to the password AND the security stamp, so a role change, a
        deactivation or an administrator's reset ends every session of the account."""
        key_salt = "harbour.accounts.User.session_auth_hash"
        value = f"{self.password}:{self.security_stamp}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    # Django's admin asks these; only system admins reach it, and only for reference data.
    @property
    def is_staff(self) -> bool:
        return self.is_active and Perm.REFERENCE_DATA_MANAGE in ROLE_PERMISSIONS.get(self.role, ())

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_staff and perm.split(".")[0] in {"orgs", "standard"}

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff and app_label in {"orgs", "standard"}


class ApiToken(BaseModel):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    row_security: ClassVar[RowSecurity] = _OWN_USERS

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "user": Sensitivity.NONE,
        "name": Sensitivity.NONE,
        "prefix": Sensitivity.NONE,
        "digest": Sensitivity.IDENTIFIER,
        "expires_at": Sensitivity.NONE,
        "last_used_at": Sensitivity.QUASI_IDENTIFIER,
        "revoked_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def digest_of(token: str) -> str:
        # A header or link may carry text no real token has (lone surrogates): hash it, never fail.
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class LinkPurpose(models.TextChoices):
    JOIN = "join", _("invitation to join")
    RESET = "reset", _("password reset")


class Invitation(BaseModel):
    """A single-use, expiring link e-mailed to one person: to join an organisation with a role,
    or to choose a new password. Nobody but its recipient ever sees the link; only its SHA-256 is
    stored. The person sets their own password (ADR 9)."""

    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices)
    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("full name"), max_length=150)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    preferred_language = models.CharField(max_length=5, default="en")
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by_system = models.CharField(max_length=60, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    row_security: ClassVar[RowSecurity] = _OWN_ORG

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "purpose": Sensitivity.NONE,
        "org": Sensitivity.NONE,
        "email": Sensitivity.IDENTIFIER,
        "full_name": Sensitivity.IDENTIFIER,
        "job_title": Sensitivity.QUASI_IDENTIFIER,
        "role": Sensitivity.NONE,
        "preferred_language": Sensitivity.NONE,
        "digest": Sensitivity.IDENTIFIER,
        "invited_by": Sensitivity.NONE,
        "invited_by_system": Sensitivity.NONE,
        "expires_at": Sensitivity.NONE,
        "used_at": Sensitivity.NONE,
        "revoked_at": Sensitivity.NONE,
        "user": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def digest_of(token: str) -> str:
        # A header or link may carry text no real token has (lone surrogates): hash it, never fail.
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def is_live(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class LoginThrottle(models.Model):
    """Failed sign-ins per account and per address, keyed by a hash (no e-mail or IP stored)."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.failures} failure(s)"

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "key": Sensitivity.NONE,
        "failures": Sensitivity.NONE,
        "window_started_at": Sensitivity.NONE,
        "locked_until": Sensitivity.NONE,
    }


# --- second factors (ADR 38) -------------------------------------------------------------------


class TotpDevice(BaseModel):
    """An authenticator app (RFC 6238). The shared secret is sealed with the organisation's data
    key (`sealed` + `org`, so key rotation re-seals it with everything else) and never stored
    readable. `last_step` is the last accepted 30-second step: a code is good once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="totp_devices")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    sealed = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    row_security: ClassVar[RowSecurity] = _OWN_ORG

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "user": Sensitivity.NONE,
        "org": Sensitivity.NONE,
        "name": Sensitivity.NONE,
        "sealed": Sensitivity.IDENTIFIER,
        "confirmed_at": Sensitivity.NONE,
        "last_step": Sensitivity.NONE,
        "last_used_at": Sensitivity.QUASI_IDENTIFIER,
    }

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class RecoveryCode(BaseModel):
    """A single-use code for when the authenticator is lost. Only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    row_security: ClassVar[RowSecurity] = _OWN_USERS

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "user": Sensitivity.NONE,
        "digest": Sensitivity.IDENTIFIER,
        "used_at": Sensitivity.NONE,
    }

    class Meta:
        ordering = ["created_at"]


class Passkey(BaseModel):
    """A WebAuthn credential (a passkey or a security key). Only its public key is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(_("name"), max_length=80)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.TextField()  # base64url COSE key
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    row_security: ClassVar[RowSecurity] = _OWN_USERS

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "user": Sensitivity.NONE,
        "name": Sensitivity.NONE,
        "credential_id": Sensitivity.QUASI_IDENTIFIER,
        "public_key": Sensitivity.NONE,
        "sign_count": Sensitivity.NONE,
        "transports": Sensitivity.NONE,
        "last_used_at": Sensitivity.QUASI_IDENTIFIER,
    }

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class SecondFactorPolicy(BaseModel):
    """An organisation's own choice, made by its administrators: whether its caseworkers must
    have a second factor too (every other role must, ADR 38)."""

    org = models.OneToOneField(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="second_factor_policy"
    )
    caseworkers_required = models.BooleanField(_("caseworkers need a second factor"), default=False)

    row_security: ClassVar[RowSecurity] = _OWN_ORG

    sensitivity: ClassVar[dict[str, Sensitivity]] = {
        "org": Sensitivity.NONE,
        "caseworkers_required": Sensitivity.NONE,
    }
