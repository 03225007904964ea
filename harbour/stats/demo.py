"""The statistics part of the demo: research consents of some survivors, a privacy budget, a
second analyst (publishing needs two people) and a few published releases, all written through the
real actions. The national protocol is also the statistics agreement (harbour/demo/sharing.py)."""

import datetime as dt
import random

from django.db import transaction

from harbour.accounts.actions import create_user
from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit.actions import SystemActor
from harbour.cases.models import Case
from harbour.orgs.models import Organisation
from harbour.sharing import actions as sharing
from harbour.stats import actions
from harbour.stats.tables import Method

ACTOR = SystemActor("demo")
RESEARCH_SHARE = 0.35
RELEASES = (
    (
        "Persons served by province or territory",
        "Personnes servies par province ou territoire",
        "province",
        "",
        Method.SUPPRESSION,
        None,
    ),
    (
        "Types of exploitation by age group",
        "Types d'exploitation selon le groupe d'âge",
        "exploitation_type",
        "age_band",
        Method.SUPPRESSION,
        None,
    ),
    (
        "Methods of recruitment (rounded to base 5)",
        "Méthodes de recrutement (arrondies en base 5)",
        "recruitment_method",
        "",
        Method.ROUNDING,
        None,
    ),
    (
        "Persons served by year (differential privacy)",
        "Personnes servies par année (confidentialité différentielle)",
        "year",
        "",
        Method.DP,
        "1",
    ),
)


def _one(org: Organisation, role: str) -> User:
    found = User.objects.filter(org=org, role=role, is_active=True).order_by("email").first()
    assert found is not None, f"demo organisation {org.short_name} has no {role}"
    return found


def load(
    *, partners: list[Organisation], national: Organisation, today: dt.date, seed: int
) -> None:
    rng = random.Random(f"{seed}:stats")
    with transaction.atomic():
        _research_consents(partners, rng)
        actions.set_budget(by=ACTOR, epsilon_total="5")
        _releases(national)


def _research_consents(partners: list[Organisation], rng: random.Random) -> None:
    for org in partners:
        worker = _one(org, Role.CASEWORKER)
        cases = Case.objects.filter(org=org, survivor__erased_at__isnull=True).select_related(
            "survivor"
        )
        for case in cases.order_by("reference"):
            if rng.random() < RESEARCH_SHARE:
                sharing.record_consent(
                    by=worker,
                    survivor=case.survivor,
                    recipient_kind="research",
                    categories=["case_summary", "trafficking_details"],
                    purposes=["research"],
                    method="written",
                )


def _releases(national: Organisation) -> None:
    analyst = _one(national, Role.NATIONAL_ANALYST)
    reviewer = create_user(
        by=ACTOR,
        email=analyst.email.replace("analyst@", "analyst2@"),
        full_name="Samira Côté",
        org_id=national.pk,
        role=Role.NATIONAL_ANALYST,
        password="",
        password_hash=analyst.password,
        job_title="Statistical disclosure reviewer",
        preferred_language="fr",
        must_change_password=False,
    )
    for title, title_fr, row, col, method, epsilon in RELEASES:
        draft = actions.create_release(
            by=analyst,
            title=title,
            title_fr=title_fr,
            row_variable=row,
            col_variable=col,
            method=method,
            epsilon=epsilon,
        )
        actions.publish_release(by=reviewer, release=draft)
    # The organised-crime methods view: a three-way table, one table per region (ADR 46).
    three_way = actions.create_release(
        by=analyst,
        title="Methods of recruitment by method of control, per province (rounded to base 5)",
        title_fr="Méthodes de recrutement selon la méthode de contrôle, par province "
        "(arrondies en base 5)",
        row_variable="recruitment_method",
        col_variable="control_method",
        layer_variable="province",
        method=Method.ROUNDING,
    )
    actions.publish_release(by=reviewer, release=three_way)
    actions.create_release(
        by=analyst,
        title="Methods of control by province (draft for review)",
        row_variable="control_method",
        col_variable="province",
        method=Method.SUPPRESSION,
    )
