"""Notification e-mails: in the recipient's language, without details, and never fatal."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from harbour.sharing import notify
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

    def refused(*args: object, **kwargs: object) -> None:
        tried.append(args)
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(notify, "send_mail", refused)
    referral = send_a_referral()
    assert referral.pk and tried  # the request succeeded although sending failed
    notification = Notification.objects.get(user=french_partner_worker)
    assert notification.emailed_at is None
