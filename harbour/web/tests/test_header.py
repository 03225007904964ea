"""The page header's reads and links (harbour.web.context_processors): one statement for the
unread notifications and the organisation's name, links reversed once. Same answers as the
queries and reverses they replace (issue 9, item 5)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from harbour.sharing.models import Notification
from harbour.sharing.queries import unread_count
from harbour.web import context_processors
from harbour.web.context_processors import LINKS, NAV, header_reads, url_of

pytestmark = pytest.mark.django_db


def test_header_reads_match_the_queries_they_replace(caseworker, supervisor) -> None:
    assert header_reads(caseworker) == (0, caseworker.org.name)
    for _ in range(3):
        Notification.objects.create(user=caseworker, kind="referral_received")
    read = Notification.objects.create(user=caseworker, kind="referral_received")
    read.read_at = timezone.now()
    read.save()
    Notification.objects.create(user=supervisor, kind="referral_received")  # someone else's
    assert unread_count(caseworker) == 3
    for language in ("en", "fr"):
        with override(language):
            assert header_reads(caseworker) == (3, caseworker.org.name)
    assert header_reads(supervisor) == (unread_count(supervisor), supervisor.org.name)


def test_the_organisation_name_is_in_the_reader_s_language(caseworker) -> None:
    org = caseworker.org
    org.name_en, org.name_fr = "Harbour House", "Maison du Port"
    org.save()
    with override("fr"):
        assert header_reads(caseworker)[1] == "Maison du Port"
    with override("en"):
        assert header_reads(caseworker)[1] == "Harbour House"


def test_a_user_without_an_organisation_has_no_name(caseworker) -> None:
    # Never saved, and not possible in the data (User.org is required): the statement's
    # guard for a user object without one, not a kind of account.
    caseworker.org_id = None
    assert header_reads(caseworker)[1] == ""


def test_links_are_the_routes_reversed() -> None:
    context_processors._reversed.cache_clear()
    for name in [*LINKS.values(), *(item.url_name for item in NAV)]:
        assert url_of(name) == reverse(name)
        assert url_of(name) == reverse(name)  # the second from the cache


def test_every_page_shows_the_header_with_its_counts(client_for, caseworker) -> None:
    Notification.objects.create(user=caseworker, kind="referral_received")
    page = client_for(caseworker).get("/cases/").content.decode()
    assert '<span class="notice-count" title="Unread notifications">1</span>' in page
    assert f"{caseworker.org.name}</li>" in page
    assert f'action="{reverse("accounts:logout")}"' in page
    assert f'href="{reverse("standard:index")}"' in page
    assert f'action="{reverse("set_language")}"' in page
