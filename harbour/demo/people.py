"""The demo's staff accounts, one e-mail scheme, and the logins printed by `harbour demo`.

Every account uses the one demo password (from HARBOUR_DEMO_PASSWORD) and does not have to change
it. E-mail addresses are predictable: `<part>@<organisation short name>.demo.harbour.ca`, where the
part is `caseworker`, `caseworker2`, ..., `supervisor`, `admin`, `auditor`, `analyst`,
`researcher` or `sysadmin`. Each account is created through `create_user`; the password is
checked against the password rules and hashed (PBKDF2) once, and that hash is given to every
account, because hashing it 59 times was the largest fixed cost of the demo load.
"""

import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password

from harbour.accounts.actions import create_user
from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit.actions import Actor
from harbour.demo.names import STAFF_FAMILY, STAFF_GIVEN
from harbour.demo.organisations import NATIONAL, NATIONAL_ORG, PARTNERS, PRIMARY_ORG, OrgSpec
from harbour.orgs.models import Organisation

DOMAIN = "demo.harbour.ca"

# (e-mail part, role, English job title, French job title)
_PARTNER_STAFF = (
    ("supervisor", Role.SUPERVISOR, "Program supervisor", "Superviseur·e de programme"),
    ("admin", Role.ORG_ADMIN, "Executive director", "Direction générale"),
)
_CASEWORKER = ("caseworker", Role.CASEWORKER, "Caseworker", "Intervenant·e")
_AUDITOR = ("auditor", Role.AUDITOR, "Quality and privacy auditor", "Auditeur·rice qualité")
_NATIONAL_STAFF = (
    ("analyst", Role.NATIONAL_ANALYST, "National data analyst", "Analyste de données nationales"),
    ("researcher", Role.RESEARCHER, "Researcher", "Chercheur·euse"),
    ("sysadmin", Role.SYSTEM_ADMIN, "Platform administrator", "Administrateur·rice Harbour"),
    # Invites the national staff (a system admin only brings in first administrators: ADR 9).
    ("admin", Role.ORG_ADMIN, "Director of national coordination", "Direction, coordination"),
)


def email_of(part: str, short_name: str) -> str:
    return f"{part}@{short_name}.{DOMAIN}"


# The accounts to show and to use in docs: one per role.
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    (Role.CASEWORKER, email_of("caseworker", PRIMARY_ORG)),
    (Role.SUPERVISOR, email_of("supervisor", PRIMARY_ORG)),
    (Role.ORG_ADMIN, email_of("admin", PRIMARY_ORG)),
    (Role.NATIONAL_ANALYST, email_of("analyst", NATIONAL_ORG)),
    (Role.RESEARCHER, email_of("researcher", NATIONAL_ORG)),
    (Role.AUDITOR, email_of("auditor", PRIMARY_ORG)),
    (Role.SYSTEM_ADMIN, email_of("sysadmin", NATIONAL_ORG)),
)


def demo_logins() -> list[tuple[str, str, str]]:
    """(role label, e-mail, organisation name) of one demo account per role, from the database."""
    wanted = {email: role for role, email in DEMO_LOGINS}
    users = {
        u.email: u
        for u in User.objects.filter(email__in=wanted, org__is_synthetic=True).select_related("org")
    }
    return [
        (str(Role(role).label), email, users[email].org.name)
        for role, email in DEMO_LOGINS
        if email in users
    ]


@dataclass
class Staff:
    """The accounts of one organisation, by what the case loader needs them for."""

    caseworkers: list[User] = field(default_factory=list)
    others: list[User] = field(default_factory=list)

    @property
    def all(self) -> list[User]:
        return [*self.caseworkers, *self.others]


def _rows(spec: OrgSpec) -> list[tuple[str, str, str, str]]:
    if spec.short_name == NATIONAL_ORG:
        return list(_NATIONAL_STAFF)
    part, role, en, fr = _CASEWORKER
    rows: list[tuple[str, str, str, str]] = [
        (part if n == 1 else f"{part}{n}", role, en, fr) for n in range(1, spec.caseworkers + 1)
    ]
    rows += list(_PARTNER_STAFF)
    if spec.short_name == PRIMARY_ORG:
        rows.append(_AUDITOR)
    return rows


def create_staff(
    *, by: Actor, org: Organisation, spec: OrgSpec, password: str, rng: random.Random
) -> Staff:
    staff = Staff()
    for part, role, title_en, title_fr in _rows(spec):
        french = rng.random() < spec.french
        user = create_user(
            by=by,
            email=email_of(part, spec.short_name),
            full_name=_staff_name(rng),
            org_id=org.pk,
            role=role,
            password="",
            password_hash=password,
            job_title=title_fr if french else title_en,
            preferred_language="fr" if french else "en",
            must_change_password=False,
        )
        (staff.caseworkers if role == Role.CASEWORKER else staff.others).append(user)
    return staff


def create_all_staff(
    *, by: Actor, partners: list[Organisation], national: Organisation, password: str, seed: int
) -> dict[Any, Staff]:
    """Staff of every demo organisation, keyed by organisation id."""
    validate_password(password)
    password = make_password(password)
    rng = random.Random(f"{seed}:staff")
    result = {
        org.pk: create_staff(by=by, org=org, spec=spec, password=password, rng=rng)
        for org, spec in zip(partners, PARTNERS, strict=True)
    }
    result[national.pk] = create_staff(
        by=by, org=national, spec=NATIONAL, password=password, rng=rng
    )
    return result


def _staff_name(rng: random.Random) -> str:
    return f"{rng.choice(STAFF_GIVEN)} {rng.choice(STAFF_FAMILY)}"
