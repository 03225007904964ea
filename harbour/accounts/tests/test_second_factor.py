"""Second factors, the actions (ADR 38): enrolment, codes that work once and only in time,
recovery codes, passkeys that belong to one account, and the reset by another administrator."""

import time
from collections.abc import Callable
from functools import partial

import pyotp
import pytest
from django.core import mail
from django.db import connection

from harbour.accounts import actions
from harbour.accounts.actions.passkeys import relying_party
from harbour.accounts.models import LoginThrottle, Passkey, RecoveryCode, TotpDevice, User
from harbour.accounts.policy import second_factor_required
from harbour.accounts.tests.factors import enrol_totp
from harbour.accounts.tests.soft_authenticator import SoftAuthenticator
from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.core.errors import Forbidden, InvalidInput, NotFound, TooManyAttempts
from harbour.orgs.actions import reseal_records, start_data_key_rotation

pytestmark = pytest.mark.django_db


enrol = enrol_totp


def code_at(secret: str, seconds_from_now: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + seconds_from_now)


def refusal(call: Callable[[], object]) -> str:
    with pytest.raises(InvalidInput) as caught:
        call()
    return str(next(iter(caught.value.errors.values()))[0])


def failures(user: User, reason: str) -> int:
    return AuditEvent.objects.filter(
        action="user.second_factor_failed", target_id=str(user.pk), context__reason=reason
    ).count()


def test_the_secret_is_sealed_never_stored_readable(org_admin) -> None:
    device, secret = actions.start_totp(by=org_admin, name="Phone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM accounts_totpdevice WHERE id = %s", [device.pk.hex])
        rows = cursor.fetchall() or []
    stored = TotpDevice.objects.get(pk=device.pk).sealed
    assert secret not in stored and stored.startswith("hbr1.")
    assert all(secret not in str(row) for row in rows)
    assert actions.totp_secret(TotpDevice.objects.get(pk=device.pk)) == secret


def test_the_secret_follows_a_data_key_rotation(org_admin, org) -> None:
    secret, _codes = enrol(org_admin)
    start_data_key_rotation(by=SystemActor("tests"), org=org)
    assert reseal_records(by=SystemActor("tests"), org=org) >= 1
    assert actions.totp_secret(TotpDevice.objects.get(user=org_admin)) == secret


def test_confirming_needs_a_good_code_and_gives_recovery_codes_once(org_admin) -> None:
    device, secret = actions.start_totp(by=org_admin, name="Phone")
    assert not actions.has_second_factor(org_admin)
    assert "not correct" in refusal(
        lambda: actions.confirm_totp(by=org_admin, device_id=device.pk, code="000000")
    )
    codes = actions.confirm_totp(by=org_admin, device_id=device.pk, code=pyotp.TOTP(secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert actions.has_second_factor(org_admin)
    stored = set(RecoveryCode.objects.filter(user=org_admin).values_list("digest", flat=True))
    assert not stored & {c.replace("-", "") for c in codes}  # only keyed hashes
    with pytest.raises(NotFound):  # confirmed once; not again
        actions.confirm_totp(by=org_admin, device_id=device.pk, code=pyotp.TOTP(secret).now())


def test_another_persons_device_cannot_be_confirmed(org_admin, supervisor) -> None:
    device, secret = actions.start_totp(by=org_admin, name="Phone")
    for wanted in (device.pk, "not-an-id", "", "\x00"):
        with pytest.raises(NotFound):
            actions.confirm_totp(by=supervisor, device_id=wanted, code=pyotp.TOTP(secret).now())


def test_a_good_code_passes_once(org_admin) -> None:
    secret, _codes = enrol(org_admin)
    code = pyotp.TOTP(secret).now()
    assert actions.verify_code(user=org_admin, code=code) == "totp"
    assert "already been used" in refusal(lambda: actions.verify_code(user=org_admin, code=code))
    assert failures(org_admin, "replayed") == 1


def test_an_older_code_after_a_newer_one_is_a_replay(org_admin) -> None:
    secret, _codes = enrol(org_admin)
    actions.verify_code(user=org_admin, code=code_at(secret, 30))  # a phone a bit ahead
    message = refusal(lambda: actions.verify_code(user=org_admin, code=code_at(secret, 0)))
    assert "already been used" in message


def test_expired_and_wrong_codes_are_refused_and_audited(org_admin) -> None:
    secret, _codes = enrol(org_admin)
    expired = code_at(secret, -150)
    if expired not in {code_at(secret, s) for s in (-30, 0, 30)}:
        assert "expired" in refusal(lambda: actions.verify_code(user=org_admin, code=expired))
        assert failures(org_admin, "expired") == 1
    for hostile in ("12345", "abcdef", "", "１２３４５６", "0" * 5000, "\ud800", "' OR 1=1 --"):
        LoginThrottle.objects.all().delete()
        message = refusal(partial(actions.verify_code, user=org_admin, code=hostile))
        assert "not correct" in message


def test_wrong_codes_are_slowed_down_like_passwords(org_admin, settings) -> None:
    secret, _codes = enrol(org_admin)
    for _n in range(settings.LOGIN_THROTTLE_FAILURES):
        with pytest.raises(InvalidInput):
            actions.verify_code(user=org_admin, code="000000")
    with pytest.raises(TooManyAttempts):  # even the right code waits now
        actions.verify_code(user=org_admin, code=pyotp.TOTP(secret).now())


def test_a_recovery_code_works_once(org_admin) -> None:
    _secret, codes = enrol(org_admin)
    assert actions.verify_code(user=org_admin, code=codes[0].upper()) == "recovery"
    assert actions.recovery_codes_left(org_admin) == 9
    assert "already been used" in refusal(
        lambda: actions.verify_code(user=org_admin, code=codes[0])
    )
    assert failures(org_admin, "reused") == 1


def test_recovery_codes_are_per_account(org_admin, supervisor) -> None:
    _secret, codes = enrol(org_admin)
    enrol(supervisor)
    assert "not correct" in refusal(lambda: actions.verify_code(user=supervisor, code=codes[1]))


def test_new_recovery_codes_replace_the_old_ones(org_admin) -> None:
    with pytest.raises(Forbidden):
        actions.regenerate_recovery_codes(by=org_admin)
    _secret, old = enrol(org_admin)
    new = actions.regenerate_recovery_codes(by=org_admin)
    assert "not correct" in refusal(lambda: actions.verify_code(user=org_admin, code=old[2]))
    assert actions.verify_code(user=org_admin, code=new[2]) == "recovery"


def test_the_person_is_told_when_a_factor_is_added_or_removed(
    caseworker, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enrol(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        device = TotpDevice.objects.get(user=caseworker)
        actions.remove_factor(by=caseworker, kind="totp", factor_id=device.pk)
    bodies = [m.body for m in mail.outbox if m.to == [caseworker.email]]
    assert len(bodies) == 2
    assert "was added" in bodies[0] and "Phone" in bodies[0] and "was removed" in bodies[1]


def test_the_last_factor_a_role_needs_cannot_be_removed(org_admin, caseworker) -> None:
    enrol(org_admin)
    device = TotpDevice.objects.get(user=org_admin)
    with pytest.raises(Forbidden):
        actions.remove_factor(by=org_admin, kind="totp", factor_id=device.pk)
    enrol(caseworker)  # optional for caseworkers: they may remove it
    theirs = TotpDevice.objects.get(user=caseworker)
    with pytest.raises(NotFound):
        actions.remove_factor(by=org_admin, kind="totp", factor_id=theirs.pk)
    actions.remove_factor(by=caseworker, kind="totp", factor_id=theirs.pk)
    assert not actions.has_second_factor(caseworker)
    assert not RecoveryCode.objects.filter(user=caseworker).exists()
    with pytest.raises(NotFound):
        actions.remove_factor(by=caseworker, kind="sms", factor_id=theirs.pk)


def test_who_needs_a_second_factor(make_user, org, caseworker, org_admin) -> None:
    for role in ("supervisor", "org_admin", "auditor"):
        assert second_factor_required(make_user(role, org))
    assert not second_factor_required(caseworker)
    actions.set_caseworker_policy(by=org_admin, org=org, required=True)
    assert second_factor_required(caseworker) and actions.caseworkers_required(org)
    assert AuditEvent.objects.filter(action="org.second_factor_policy_changed").count() == 1
    with pytest.raises(NotFound):  # a caseworker does not decide it
        actions.set_caseworker_policy(by=caseworker, org=org, required=False)


def test_another_administrator_resets_a_lost_device(
    make_user, org, org_admin, api_for, django_capture_on_commit_callbacks
) -> None:
    colleague = make_user("org_admin", org)
    supervisor = make_user("supervisor", org)
    enrol(supervisor)
    api_for(supervisor)
    stamp = supervisor.security_stamp
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.reset_second_factor(by=org_admin, user=supervisor)
    supervisor.refresh_from_db()
    assert not actions.has_second_factor(supervisor)
    assert not RecoveryCode.objects.filter(user=supervisor).exists()
    assert supervisor.security_stamp != stamp  # every session ends
    assert not supervisor.api_tokens.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(
        action="user.second_factor_reset", target_id=str(supervisor.pk)
    ).exists()
    told = {m.to[0] for m in mail.outbox}
    assert {supervisor.email, colleague.email} <= told and org_admin.email not in told


def test_nobody_resets_their_own_or_another_organisations(
    org_admin, supervisor, make_user, other_org
) -> None:
    enrol(org_admin)
    with pytest.raises(Forbidden):
        actions.reset_second_factor(by=org_admin, user=org_admin)
    with pytest.raises(NotFound):
        actions.reset_second_factor(by=make_user("org_admin", other_org), user=org_admin)
    with pytest.raises(NotFound):
        actions.reset_second_factor(by=supervisor, user=org_admin)
    assert actions.has_second_factor(org_admin)
    actions.reset_second_factor(by=SystemActor("command line"), user=org_admin)  # sole admin
    assert not actions.has_second_factor(org_admin)


# --- passkeys (server side, with a software authenticator) ------------------------------------


def passkey_for(user: User) -> SoftAuthenticator:
    rp_id, origin = relying_party()
    authenticator = SoftAuthenticator(rp_id=rp_id, origin=origin)
    _options, challenge = actions.registration_options(user)
    actions.register_passkey(
        by=user, name="Laptop", credential=authenticator.register(challenge), challenge=challenge
    )
    return authenticator


def test_a_passkey_registers_and_signs_in(org_admin) -> None:
    authenticator = passkey_for(org_admin)
    assert actions.has_second_factor(org_admin)
    options, challenge = actions.authentication_options(org_admin)
    assert Passkey.objects.get(user=org_admin).credential_id in options
    actions.verify_passkey(
        user=org_admin, credential=authenticator.sign_in(challenge), challenge=challenge
    )
    assert Passkey.objects.get(user=org_admin).sign_count == 1


def test_a_passkey_registered_to_another_user_is_refused(org_admin, supervisor) -> None:
    authenticator = passkey_for(org_admin)
    passkey_for(supervisor)
    _options, challenge = actions.authentication_options(supervisor)
    message = refusal(
        lambda: actions.verify_passkey(
            user=supervisor, credential=authenticator.sign_in(challenge), challenge=challenge
        )
    )
    assert "not registered to this account" in message
    assert failures(supervisor, "not_yours") == 1
    _options, challenge = actions.registration_options(supervisor)  # nor registered twice
    message = refusal(
        lambda: actions.register_passkey(
            by=supervisor,
            name="Stolen",
            credential=authenticator.register(challenge),
            challenge=challenge,
        )
    )
    assert "already registered" in message


def test_passkey_answers_that_do_not_verify(org_admin) -> None:
    authenticator = passkey_for(org_admin)
    _options, challenge = actions.authentication_options(org_admin)
    actions.verify_passkey(
        user=org_admin, credential=authenticator.sign_in(challenge), challenge=challenge
    )
    _options, challenge = actions.authentication_options(org_admin)
    _other, stale = actions.authentication_options(org_admin)
    bad = {
        "another challenge": authenticator.sign_in(stale),
        "a phishing origin": authenticator.sign_in(challenge, origin="https://harbour.example"),
        "a copied key": authenticator.sign_in(challenge, count=1),
        "not JSON": "{nope",
        "JSON of the wrong shape": "[1, 2]",
        "huge": "x" * 100_000,
    }
    for label, credential in bad.items():
        LoginThrottle.objects.all().delete()
        with pytest.raises(InvalidInput):
            actions.verify_passkey(user=org_admin, credential=credential, challenge=challenge)
        assert Passkey.objects.get(user=org_admin).sign_count == 1, label
    assert failures(org_admin, "cloned") == 1
    _options, challenge = actions.registration_options(org_admin)
    for credential in (
        "{}",
        "null",
        SoftAuthenticator("evil.example", "https://evil.example").register(challenge),
    ):
        with pytest.raises(InvalidInput):
            actions.register_passkey(
                by=org_admin, name="Key", credential=credential, challenge=challenge
            )
    assert Passkey.objects.filter(user=org_admin).count() == 1


def test_demo_accounts_enrol_with_printed_keys_and_the_code_command(make_org) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from harbour.accounts.demo import demo_totp_secret, enrol_demo_staff

    demo = make_org(is_synthetic=True)
    real = make_org()
    password = "a-long-demo-password-42"
    admin = User.objects.create(
        email="admin@demo.example", full_name="A", org=demo, role="org_admin"
    )
    worker = User.objects.create(
        email="cw@demo.example", full_name="C", org=demo, role="caseworker"
    )
    User.objects.create(email="admin@real.example", full_name="R", org=real, role="org_admin")
    assert enrol_demo_staff(by=SystemActor("demo"), password=password, report=print) == 1
    secret = demo_totp_secret(password, admin.email)
    assert actions.totp_secret(TotpDevice.objects.get(user=admin)) == secret
    assert not actions.has_second_factor(worker)  # optional for caseworkers
    out = StringIO()
    call_command("accounts_demo_code", admin.email, stdout=out)
    assert out.getvalue().strip() == pyotp.TOTP(secret).now()
    with pytest.raises(CommandError):  # never for a real organisation's account
        call_command("accounts_demo_code", "admin@real.example", stdout=StringIO())
    with pytest.raises(Forbidden):
        actions.enrol_known_totp(
            by=admin,  # type: ignore[arg-type]  # a person is refused at run time too
            user=worker,
            secret=secret,
            name="x",
        )


def test_the_commands_reset_and_set_the_policy(org_admin, org) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    enrol(org_admin)
    out = StringIO()
    call_command("accounts_reset_second_factor", org_admin.email, stdout=out)
    assert "removed" in out.getvalue() and not actions.has_second_factor(org_admin)
    event = AuditEvent.objects.get(action="user.second_factor_reset")
    assert event.actor_role == "system:accounts reset-second-factor"
    with pytest.raises(CommandError):
        call_command("accounts_reset_second_factor", "nobody@example.org")
    call_command("accounts_second_factor_policy", org.short_name, "--require", stdout=out)
    assert actions.caseworkers_required(org) and "required" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("accounts_second_factor_policy", "no-such-org")
