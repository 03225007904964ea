"""Notification e-mails: in the recipient's language, without details, and never fatal."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from harbour.accounts.models import User
from harbour.sharing.models import Notification
from harbour.sharing.tests.test_actions import consent_to, refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def french_partner_worker(make_user, partner):
    return make_user("caseworker", partner, preferred_language="fr")


@pytest.fixture
def send_a_referral(
    caseworker, case, partner, agreement, django_capture_on_commit_callbacks
) -> Callable[[], Any]:
    """A consented referral to the partner, committed (so its e-mails are sent)."""

    def send() -> Any:
        consent_to(caseworker, case, partner)
        with django_capture_on_commit_callbacks(execute=True):
            return refer(caseworker, case, partner)

    return send


def test_the_email_is_in_the_recipients_language_and_names_nobody(
    case, french_partner_worker, send_a_referral
) -> None:
    send_a_referral()
    (sent,) = [m for m in mail.outbox if m.to == [french_partner_worker.email]]
    assert sent.subject == "Harbour\u00a0: une nouvelle orientation attend votre organisme"
    for secret in (case.reference, case.survivor.reference, "Élodie", "Tremblay"):
        assert secret not in sent.subject + sent.body
    notification = Notification.objects.get(user=french_partner_worker)
    assert notification.emailed_at is not None


def test_a_mail_outage_keeps_the_notification_and_fails_nothing(
    french_partner_worker, send_a_referral, monkeypatch
) -> None:
    tried: list[object] = []

    def refused(self: object, messages: list[Any]) -> int:
        tried.append(messages)
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refused)
    referral = send_a_referral()
    assert referral.pk and tried  # the request succeeded although sending failed
    notification = Notification.objects.get(user=french_partner_worker)
    assert notification.emailed_at is None


def test_a_mail_server_that_cannot_be_reached_fails_nothing(
    french_partner_worker, send_a_referral, monkeypatch
) -> None:
    def unreachable(self: object) -> None:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(locmem.EmailBackend, "open", unreachable, raising=False)
    assert send_a_referral().pk
    assert Notification.objects.get(user=french_partner_worker).emailed_at is None
    assert mail.outbox == []


def test_every_recipient_is_mailed_through_one_connection_and_marked_together(
    make_user, partner, send_a_referral, monkeypatch
) -> None:
    langs = ("en", "fr", "en")
    workers = [make_user("caseworker", partner, preferred_language=lang) for lang in langs]
    opened: list[object] = []
    real_open = locmem.EmailBackend.open

    def counted(self: object) -> Any:
        opened.append(self)
        return real_open(self)  # type: ignore[arg-type]

    monkeypatch.setattr(locmem.EmailBackend, "open", counted)
    send_a_referral()
    assert len(opened) == 1
    mailed = {m.to[0]: m.subject for m in mail.outbox}
    assert {w.email for w in workers} <= set(mailed)
    assert mailed[workers[1].email].startswith("Harbour\u00a0: ")  # each in their language
    assert mailed[workers[0].email].startswith("Harbour: ")
    rows = Notification.objects.filter(user__in=workers)
    assert rows.count() == 3 and not rows.filter(emailed_at__isnull=True).exists()


def test_one_refused_message_leaves_only_its_notification_unmarked(
    make_user, partner, send_a_referral, monkeypatch
) -> None:
    refused_to, kept_to = make_user("caseworker", partner), make_user("caseworker", partner)
    real = locmem.EmailBackend.send_messages

    def refuse_one(self: Any, messages: list[Any]) -> int:
        if messages[0].to == [refused_to.email]:
            raise ConnectionResetError("dropped")
        return real(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_one)
    send_a_referral()
    assert Notification.objects.get(user=refused_to).emailed_at is None
    assert Notification.objects.get(user=kept_to).emailed_at is not None
    assert [m for m in mail.outbox if m.to == [refused_to.email]] == []


@pytest.mark.parametrize("address", ["", "broken\naddress@example.org"])
def test_an_address_the_mail_library_refuses_fails_nobody_elses_email(
    make_user, partner, send_a_referral, address
) -> None:
    """A blank address is sent to nobody; one with a line break is refused by the mail library
    (a ValueError). Either way the request stands, the others are mailed and marked, and that
    one is left unmarked."""
    bad, good = make_user("caseworker", partner), make_user("caseworker", partner)
    User.objects.filter(pk=bad.pk).update(email=address)
    assert send_a_referral().pk
    assert Notification.objects.get(user=bad).emailed_at is None
    assert Notification.objects.get(user=good).emailed_at is not None
