"""Seeding for bench_cases.py: plausible, valid intakes, through the real action or in bulk.

Imported after bench_cases.configure() has set Django up; nothing here is timed.
"""

import datetime as dt
import functools
import random
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

BULK_BATCH = 1000
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as harbour.cases.actions


def reference(prefix: str) -> str:
    """A random S-/C- reference in the format the intake action makes."""
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))


# --- synthetic intakes -------------------------------------------------------------------------

GIVEN = [
    "Amina",
    "Élodie",
    "Maya",
    "Jordan",
    "Kateri",
    "Sofia",
    "Nadia",
    "Alex",
    "Chloé",
    "Tala",
    "Priya",
    "Mei",
    "Fatima",
    "Olena",
    "Ana",
    "Sam",
    "Noor",
    "Camille",
    "Aiyana",
    "Grace",
]
FAMILY = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Singh",
    "Nguyen",
    "Smith",
    "Martin",
    "Côté",
    "Bouchard",
    "Wilson",
    "Morin",
    "Lavoie",
    "Cardinal",
    "Okafor",
    "Haddad",
    "Kowalski",
    "Chen",
]


class Intakes:
    """Plausible, valid intake values drawn from the standard's own code lists."""

    def __init__(self, seed: int) -> None:
        from harbour.standard.dictionary import current

        self.rng = random.Random(seed)
        self.today = dt.date.today()
        version = current().latest
        self.codes: dict[tuple[str, str], list[str]] = {}
        for entity_id in ("survivor", "case"):
            for f in current().entity(entity_id).offered_fields(version):
                if f.codelist is not None:
                    offered = [c.code for c in f.codelist.codes if c.lifetime.offered_in(version)]
                    self.codes[(entity_id, f.id)] = offered

    def _one(self, entity: str, field_id: str) -> str:
        return self.rng.choice(self.codes[(entity, field_id)])

    def _some(self, entity: str, field_id: str, most: int) -> list[str]:
        pool = self.codes[(entity, field_id)]
        return sorted(self.rng.sample(pool, self.rng.randint(1, min(most, len(pool)))))

    def survivor(self) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Any] = {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "gender_identity": self._one("survivor", "gender_identity"),
            "pronouns": self._some("survivor", "pronouns", 1),
            "primary_language": rng.choice(["eng", "fra", "spa", "tgl", "crk", "ara"]),
            "mobile_phone": f"+1416555{rng.randint(0, 9999):04d}",
        }
        if rng.random() < 0.7:
            values["birth_date"] = (
                self.today - dt.timedelta(days=rng.randint(16, 55) * 365 + rng.randint(0, 364))
            ).isoformat()
        else:
            values["estimated_age"] = rng.randint(18, 50)
        return values

    def case(self) -> dict[str, Any]:
        intake = self.today - dt.timedelta(days=self.rng.randint(0, 5 * 365))
        return {
            "intake_date": intake.isoformat(),
            "intake_province": self._one("case", "intake_province"),
            "consent_to_record": True,
            "trafficking_status": self._one("case", "trafficking_status"),
            "exploitation_types": self._some("case", "exploitation_types", 2),
            "recruitment_methods": self._some("case", "recruitment_methods", 2),
            "control_methods": self._some("case", "control_methods", 4),
            "current_needs": self._some("case", "current_needs", 5),
        }

    def closing(self) -> dict[str, Any]:
        """Status values for a seeded case: most are open, some closed with a reason."""
        roll = self.rng.random()
        if roll < 0.55:
            return {"status": "active"}
        if roll < 0.75:
            return {"status": "follow_up"}
        return {"status": "closed", "closure_reason": self._one("case", "closure_reason")}


# --- seeding (not measured) --------------------------------------------------------------------


@dataclass
class Seeded:
    org: Any
    user: Any
    token: str
    through_actions: int = 0
    actions_seconds: float = 0.0
    bulk: int = 0
    bulk_seconds: float = 0.0


def make_org_and_caseworker() -> Seeded:
    from harbour.accounts.actions import create_user, issue_token
    from harbour.audit.actions import SystemActor
    from harbour.orgs.actions import create_organisation

    system = SystemActor("benchmark")
    org = create_organisation(
        by=system,
        name_en="Benchmark organisation",
        name_fr="Organisme de référence",
        short_name="bench",
        type="ngo",
        province="CA-ON",
        city="Toronto",
        provinces_served=["CA-ON"],
    )
    user = create_user(
        by=system,
        org_id=org.pk,
        role="caseworker",
        email="bench@example.org",
        full_name="Bench Caseworker",
        password=secrets.token_urlsafe(24),
        must_change_password=False,
    )
    _token, plain = issue_token(by=user, name="benchmark")
    return Seeded(org=org, user=user, token=plain)


def seed_through_actions(seeded: Seeded, intakes: Intakes, count: int) -> None:
    """The real path, one transaction per intake, as a caseworker's saves would be."""
    from harbour.cases.actions import start_intake

    started = time.perf_counter()
    for _ in range(count):
        start_intake(by=seeded.user, survivor_values=intakes.survivor(), case_values=intakes.case())
    seeded.through_actions, seeded.actions_seconds = count, time.perf_counter() - started


def seed_in_bulk(seeded: Seeded, intakes: Intakes, count: int) -> None:
    """Valid rows without the per-row action: validated by the dictionary validator, identifiers
    sealed with the organisation's key, blind-index entries, unique references; one audit event
    records the bulk load (the per-row events are what the action path costs, measured above)."""
    from django.db import transaction

    from harbour.audit.actions import SystemActor, record_event

    started = time.perf_counter()
    references = _taken_references(seeded.org.pk)
    with _active_keys_cached():
        for batch in _batches(count, BULK_BATCH):
            with transaction.atomic():
                _bulk_batch(seeded, intakes, batch, references)
    with transaction.atomic():
        record_event(
            by=SystemActor("benchmark"),
            action="benchmark.seeded",
            org_id=seeded.org.pk,
            target_type="org",
            target_id=seeded.org.pk,
            context={"cases": count},
        )
    seeded.bulk, seeded.bulk_seconds = count, time.perf_counter() - started


@contextmanager
def _active_keys_cached() -> Iterator[None]:
    """While seeding, look each organisation key up once instead of once per value sealed or
    indexed (the keys cannot change meanwhile). Restored before anything is measured."""
    from harbour.orgs import crypto

    original = crypto.active_key
    crypto.active_key = functools.cache(original)
    try:
        yield
    finally:
        crypto.active_key = original


def _batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _taken_references(org_id: Any) -> set[str]:
    from harbour.cases.models import Case, Survivor

    return set(Survivor.objects.filter(org_id=org_id).values_list("reference", flat=True)) | set(
        Case.objects.filter(org_id=org_id).values_list("reference", flat=True)
    )


def _unique_reference(prefix: str, taken: set[str]) -> str:
    while (code := reference(prefix)) in taken:
        pass
    taken.add(code)
    return code


def _bulk_batch(seeded: Seeded, intakes: Intakes, size: int, taken: set[str]) -> None:
    from django.utils import timezone

    from harbour.cases.actions import search_tokens
    from harbour.cases.models import Case, Survivor, SurvivorIndexEntry
    from harbour.cases.values import apply_values
    from harbour.standard.dictionary import current
    from harbour.standard.validation import validate

    version = current().latest
    org_id, user = seeded.org.pk, seeded.user
    survivors, cases, index = [], [], []
    for _ in range(size):
        s_clean = validate(current().entity("survivor"), intakes.survivor(), version=version)
        c_values = intakes.case() | intakes.closing()
        c_clean = validate(current().entity("case"), c_values, version=version)
        survivor = Survivor(
            org_id=org_id,
            reference=_unique_reference("S-", taken),
            standard_version=str(version),
            created_by=user,
        )
        apply_values(survivor, s_clean)
        case = Case(
            org_id=org_id,
            survivor=survivor,
            reference=_unique_reference("C-", taken),
            standard_version=str(version),
            created_by=user,
            owner=user,
        )
        apply_values(case, c_clean | {"owner": user.pk})
        if case.status == "closed":
            case.closed_at = timezone.now()
        survivors.append(survivor)
        cases.append(case)
        index += [
            SurvivorIndexEntry(org_id=org_id, survivor=survivor, token=t)
            for t in search_tokens(org_id, s_clean)
        ]
    Survivor.objects.bulk_create(survivors)
    Case.objects.bulk_create(cases)
    SurvivorIndexEntry.objects.bulk_create(index)


def refresh_statistics() -> None:
    """Bring PostgreSQL to the state autovacuum reaches after a bulk load: statistics for the
    planner and a visibility map for index-only counts (this cluster may run with autovacuum
    off). SQLite is left as deployed: Harbour does not run ANALYZE on it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
