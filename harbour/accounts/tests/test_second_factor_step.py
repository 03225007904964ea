"""What a signed-in session must do before anything else (ADR 38), asked on every web page of a
session that has not passed a second factor: one query, the same answer as the actions' and the
policy's own questions (issue #9, the load run)."""

import itertools

import pytest

from harbour.accounts import actions
from harbour.accounts.middleware import second_factor_step
from harbour.accounts.models import Passkey, SecondFactorPolicy, TotpDevice
from harbour.accounts.policy import second_factor_required

pytestmark = pytest.mark.django_db


def expected(user) -> str | None:
    if actions.has_second_factor(user):
        return "verify"
    return "enrol" if second_factor_required(user) else None


@pytest.mark.parametrize(
    ("role", "totp", "passkey", "policy"),
    list(
        itertools.product(
            ("caseworker", "supervisor"),
            (None, "unconfirmed", "confirmed"),
            (False, True),
            (None, False, True),
        )
    ),
)
def test_the_step_is_what_the_factors_and_the_policy_say(
    make_user, org, role, totp, passkey, policy
) -> None:
    user = make_user(role, org)
    if totp is not None:
        device, _secret = actions.start_totp(by=user, name="Phone")
        if totp == "confirmed":
            TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=device.created_at)
    if passkey:
        Passkey.objects.create(user=user, name="Key", credential_id=f"c-{user.pk}", public_key="k")
    if policy is not None:
        SecondFactorPolicy.objects.create(org=org, caseworkers_required=policy)
    assert second_factor_step(user) == expected(user)


def test_another_persons_factor_or_organisations_policy_does_not_count(
    make_user, make_org, org, caseworker
) -> None:
    colleague = make_user("caseworker", org)
    Passkey.objects.create(user=colleague, name="Key", credential_id="c-1", public_key="k")
    SecondFactorPolicy.objects.create(org=make_org(), caseworkers_required=True)
    assert second_factor_step(caseworker) is None
    assert second_factor_step(colleague) == "verify"


def test_one_query_whatever_the_answer(caseworker, org_admin, django_assert_num_queries) -> None:
    for user in (caseworker, org_admin):
        with django_assert_num_queries(1):
            second_factor_step(user)
