"""ADR 8's access table, state by state, on every read route (web and API).

The stateful test explores random sequences; this one walks each row of the table on purpose, so
that a change which lets a declined, withdrawn, expired or completed referral (or a withdrawn
consent, a lapsed agreement) keep opening another organisation's case fails at once.

Organisation A holds Élodie's case; B is the partner. Consent and agreement cover identity,
case summary and her immigration steps for both care purposes, so whenever access is granted B
sees her name and her TRP's file number (issue 14); a consent without the immigration category
shows the name but never the steps.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from harbour.cases import actions as case_actions
from harbour.cases.models import Case, ImmigrationStep
from harbour.sharing import actions
from harbour.sharing.models import Agreement, Consent, Referral

pytestmark = pytest.mark.django_db

NAME = "Élodie"
TRP_FILE = "W4471-0912"


@dataclass
class Scene:
    case: Case
    referral: Referral
    sender: Any
    receiver: Any
    receiver_api: Client
    receiver_web: Client
    sender_api: Client


@pytest.fixture
def scene(
    case: Case,
    caseworker: Any,
    org_admin: Any,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    api_for: Callable[[Any], Client],
    client_for: Callable[[Any], Client],
) -> Callable[[str], Scene]:
    partner = make_org(province="CA-NS", type="shelter")
    receiver = make_user("caseworker", partner)
    actions.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "case_summary", "immigration"],
        purposes=["referral", "continuity_of_care"],
        method="verbal",
    )
    _record_trp(case, caseworker)
    agreement = actions.propose_agreement(
        by=org_admin,
        title="Protocol",
        partners=[partner],
        categories=["identity_contact", "case_summary", "immigration"],
        purposes=["referral", "continuity_of_care"],
        valid_from=case.intake_date,
    )
    actions.accept_agreement(by=make_user("org_admin", partner), agreement=agreement)

    def make(kind: str) -> Scene:
        referral = actions.send_referral(
            by=caseworker,
            case=case,
            receiving_org=partner,
            kind=kind,
            values={"referral_date": timezone.localdate()},
        )
        return Scene(
            case,
            referral,
            caseworker,
            receiver,
            api_for(receiver),
            client_for(receiver),
            api_for(caseworker),
        )

    return make


def _record_trp(case: Case, by: Any) -> None:
    for values in (
        {"step": "trp_applied", "step_date": case.intake_date},
        {"step": "trp_issued_initial", "step_date": case.intake_date,
         "valid_until": case.intake_date + dt.timedelta(days=365), "document_reference": TRP_FILE},
    ):  # fmt: skip
        case_actions.add_record(by=by, case=case, model=ImmigrationStep, values=values)


def _accept(s: Scene) -> None:
    actions.accept_referral(by=s.receiver, referral=s.referral)


def _decline(s: Scene) -> None:
    actions.decline_referral(by=s.receiver, referral=s.referral, reason="no_capacity")


def _withdraw(s: Scene) -> None:
    actions.withdraw_referral(by=s.sender, referral=_fresh(s))


def _complete(s: Scene) -> None:
    actions.complete_referral(by=s.receiver, referral=_fresh(s), outcome="served")


def _expire(s: Scene) -> None:
    Referral.objects.filter(pk=s.referral.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )


def _open_case(s: Scene) -> None:
    actions.open_case_for_referral(
        by=s.receiver,
        referral=_fresh(s),
        case_values={
            "intake_date": timezone.localdate(),
            "consent_to_record": True,
            "intake_province": "CA-NS",
        },
        submission_key=None,
    )


def _withdraw_consent(s: Scene) -> None:
    actions.withdraw_consent(by=s.sender, consent=Consent.objects.get(survivor=s.case.survivor))


def _expire_consent(s: Scene) -> None:
    Consent.objects.update(expires_on=timezone.localdate())


def _lapse_agreement(s: Scene) -> None:
    Agreement.objects.update(valid_until=timezone.localdate() - dt.timedelta(days=1))


def _terminate_agreement(s: Scene) -> None:
    Agreement.objects.update(terminated_at=timezone.now())


def _leave_agreement(s: Scene) -> None:
    agreement = Agreement.objects.get()
    from harbour.accounts.models import User

    admin = User.objects.get(org=s.receiver.org, role="org_admin")
    actions.leave_agreement(by=admin, agreement=agreement)


def _fresh(s: Scene) -> Referral:
    return Referral.objects.get(pk=s.referral.pk)


# (kind, steps, does the receiver see the sender's case afterwards?) A live referral whose consent
# or agreement ended still answers (the page says nothing is shared now), but shows nothing.
TABLE = [
    ("referral", [], True),  # sent: to decide
    ("referral", [_expire], False),  # sent but unanswered past the expiry
    ("referral", [_accept], True),
    ("referral", [_accept, _open_case], True),
    ("referral", [_decline], False),
    ("referral", [_withdraw], False),
    ("referral", [_accept, _withdraw], False),
    ("referral", [_accept, _open_case, _withdraw], False),
    ("referral", [_accept, _complete], False),
    ("referral", [_accept, _open_case, _complete], False),
    ("referral", [_accept, _withdraw_consent], False),
    ("referral", [_accept, _expire_consent], False),
    ("referral", [_accept, _lapse_agreement], False),
    ("referral", [_accept, _terminate_agreement], False),
    ("referral", [_accept, _leave_agreement], False),
    ("transfer", [], True),
    ("transfer", [_expire], False),
    ("transfer", [_accept], True),  # the transfer is done: continuity of care
    ("transfer", [_accept, _complete], True),
    ("transfer", [_decline], False),
    ("transfer", [_withdraw], False),
    ("transfer", [_accept, _withdraw], False),
    ("transfer", [_accept, _withdraw_consent], False),
    ("transfer", [_accept, _lapse_agreement], False),
]


def _label(row: tuple[str, list[Any], bool]) -> str:
    kind, steps, _sees = row
    return "-".join([kind, *(s.__name__.strip("_") for s in steps)]) or kind


@pytest.mark.parametrize("row", TABLE, ids=[_label(r) for r in TABLE])
def test_access_follows_the_current_state(scene: Callable[[str], Scene], row: Any) -> None:
    kind, steps, sees = row
    s = scene(kind)
    for step in steps:
        step(s)
    case_id, referral_id = s.case.pk, s.referral.pk

    reason = _reason_live(kind, steps)
    api_case = s.receiver_api.get(f"/api/v1/shared/cases/{case_id}")
    assert api_case.status_code == (200 if reason else 404)
    if reason:
        assert (api_case.json()["survivor"].get("given_name") == NAME) == sees
        steps = api_case.json()["immigration"]
        assert ([x.get("document_reference") for x in steps][-1:] == [TRP_FILE]) == sees

    web_case = s.receiver_web.get(f"/sharing/shared/cases/{case_id}/")
    assert web_case.status_code == (200 if reason else 404)
    assert (NAME in web_case.content.decode()) == sees
    assert (TRP_FILE in web_case.content.decode()) == sees

    api_referral = s.receiver_api.get(f"/api/v1/referrals/{referral_id}").json()
    assert (api_referral["shared"] is not None) == reason
    assert bool(api_referral["shared"] and api_referral["shared"]["categories"]) == sees
    web_referral = s.receiver_web.get(f"/sharing/referrals/{referral_id}/")
    assert web_referral.status_code == 200  # the referral itself stays in the receiver's list
    assert (NAME in web_referral.content.decode()) == sees

    _check_continuum(s, reason)


ENDS_THE_REASON = {"expire", "decline", "withdraw", "complete"}
ENDS_THE_SHARING = {"withdraw_consent", "expire_consent", "lapse_agreement"}
ENDS_THE_SHARING |= {"terminate_agreement", "leave_agreement"}


def _reason_live(kind: str, steps: list[Any]) -> bool:
    """Does the referral (or the link it made) still give a reason to look? ADR 8's table."""
    names = [step.__name__.strip("_") for step in steps]
    if kind == "transfer" and names[:2] == ["accept", "complete"]:
        return True
    return not ENDS_THE_REASON & set(names)


def _check_continuum(s: Scene, sees: bool) -> None:
    """The receiver's own record (if it has one) shows the sender's case only while linked."""
    own = Case.objects.filter(org=s.receiver.org).first()
    if own is None:
        return
    items = s.receiver_api.get(f"/api/v1/survivors/{own.survivor_id}/continuum").json()
    others = {i["org_id"] for i in items if not i["own"]}
    assert others == ({str(s.case.org_id)} if sees else set())
    page = s.receiver_web.get(f"/sharing/survivors/{own.survivor_id}/continuum/")
    assert page.status_code == 200
    assert (s.case.org.name in page.content.decode()) == sees


def test_an_expired_referral_cannot_be_accepted(scene: Callable[[str], Scene]) -> None:
    s = scene("referral")
    _expire(s)
    response = s.receiver_api.post(
        f"/api/v1/referrals/{s.referral.pk}/accept", {}, "application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "expired"
    assert _fresh(s).status == "sent"


def test_an_expired_referral_does_not_block_a_new_one(scene: Callable[[str], Scene]) -> None:
    s = scene("referral")
    _expire(s)
    again = actions.send_referral(
        by=s.sender,
        case=s.case,
        receiving_org=s.receiver.org,
        values={"referral_date": timezone.localdate()},
    )
    assert again.pk != s.referral.pk
    assert s.receiver_api.get(f"/api/v1/shared/cases/{s.case.pk}").status_code == 200


@pytest.mark.parametrize("kind", ["referral", "transfer"])
def test_immigration_steps_travel_only_with_their_category(
    scene: Callable[[str], Scene], kind: str
) -> None:
    """A consent that leaves out "immigration" still opens the case, never the timeline."""
    s = scene(kind)
    _accept(s)
    Consent.objects.update(categories=["identity_contact", "case_summary"])
    shared = s.receiver_api.get(f"/api/v1/shared/cases/{s.case.pk}").json()
    assert shared["survivor"]["given_name"] == NAME
    assert shared["immigration"] == [] and shared["immigration_standing"] is None
    page = s.receiver_web.get(f"/sharing/shared/cases/{s.case.pk}/").content.decode()
    assert NAME in page and TRP_FILE not in page
    Consent.objects.update(categories=["identity_contact", "case_summary", "immigration"])
    again = s.receiver_api.get(f"/api/v1/shared/cases/{s.case.pk}").json()
    assert again["immigration_standing"]["trp_stage"] == "initial_trp_issued"
