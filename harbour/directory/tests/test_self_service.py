"""Provider self-service: entries and "beds available today" kept current, audited, own only."""

import pytest

from harbour.audit.models import AuditEvent
from harbour.core.errors import Forbidden, InvalidInput
from harbour.directory import actions
from harbour.directory.models import Location, SearchEntry, Service

pytestmark = pytest.mark.django_db


def test_beds_available_today_in_one_post_and_audited(world, supervisor, client_for) -> None:
    client = client_for(supervisor)
    page = client.get("/directory/manage/").content.decode()
    assert "Lighthouse Emergency Shelter" in page and "Iqaluit" not in page
    prefix = str(world.public_shelter.pk)
    response = client.post(
        f"/directory/manage/{world.public_shelter.pk}/vacancy/",
        {f"{prefix}-available": "7", f"{prefix}-waitlist": "3"},
    )
    assert response.status_code == 302
    service = Service.objects.get(pk=world.public_shelter.pk)
    assert service.capacity_available == 7 and service.waitlist == 3
    assert service.capacity_updated_at is not None
    event = AuditEvent.objects.get(action="directory.service.vacancy_updated")
    assert event.actor_id == supervisor.pk and event.fields == ["capacity_available", "waitlist"]
    entry = SearchEntry.objects.filter(service=service).first()
    assert entry is not None and entry.capacity_available == 7


def test_vacancy_cannot_exceed_capacity_and_changes_nothing(world, supervisor) -> None:
    with pytest.raises(InvalidInput):
        actions.update_vacancy(by=supervisor, service=world.public_shelter, available=99)
    assert Service.objects.get(pk=world.public_shelter.pk).capacity_available == 4
    assert not AuditEvent.objects.filter(action="directory.service.vacancy_updated").exists()


def test_other_organisations_and_caseworkers_cannot_manage(
    world, make_user, other_org, caseworker, client_for
) -> None:
    outsider = make_user("supervisor", other_org)
    url = f"/directory/manage/{world.public_shelter.pk}/vacancy/"
    assert client_for(outsider).post(url, {}).status_code == 404
    assert client_for(caseworker).post(url, {}).status_code == 404
    assert client_for(caseworker).get("/directory/manage/").status_code == 404
    with pytest.raises(Forbidden):
        actions.update_vacancy(by=outsider, service=world.public_shelter, available=1)


def test_a_provider_creates_a_service_with_a_hidden_location(org, supervisor, client_for) -> None:
    actions.ensure_taxonomy(by=supervisor)
    client = client_for(supervisor)
    response = client.post(
        "/directory/manage/new/",
        {
            "name": "Harbour House",
            "status": "active",
            "terms": ["safe_house"],
            "phone": "+1 613 555 0177",
            "capacity_unit": "beds",
            "capacity_total": "5",
            "languages": ["eng", "fra"],
            "genders": ["woman"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(name="Harbour House")
    assert service.provider is not None
    assert service.org_id == org.pk and service.provider.org_id == org.pk
    response = client.post(
        f"/directory/manage/{service.pk}/locations/new/",
        {
            "name": "House",
            "location_type": "physical",
            "confidentiality": "hidden",
            "address_1": "5 Secret Road",
            "city": "Ottawa",
            "state_province": "CA-ON",
            "postal_code": "K1A 0B1",
        },
    )
    assert response.status_code == 302
    location = Location.objects.get(name="House")
    assert location.confidentiality == "hidden" and location.latitude is None
    assert "Secret" not in location.hidden_address.sealed
    page = client.get(f"/directory/manage/{service.pk}/locations/{location.pk}/")
    assert "5 Secret Road" in page.content.decode()  # its own organisation may read it
    assert AuditEvent.objects.filter(
        action="directory.location.created", target_id=str(location.pk)
    ).exists()


def test_verification_resets_the_stale_flag(world, supervisor, client_for) -> None:
    page = client_for(supervisor).get(f"/directory/services/{world.public_shelter.pk}/")
    assert "Not verified in the last 90 days" in page.content.decode()
    client_for(supervisor).post(f"/directory/manage/{world.public_shelter.pk}/verify/")
    page = client_for(supervisor).get(f"/directory/services/{world.public_shelter.pk}/")
    assert "Not verified in the last 90 days" not in page.content.decode()


def test_service_validation(world, supervisor) -> None:
    with pytest.raises(InvalidInput) as error:
        actions.update_service(
            by=supervisor,
            service=world.public_shelter,
            values={"minimum_age": 30, "maximum_age": 18},
        )
    assert "maximum_age" in error.value.errors
    with pytest.raises(InvalidInput):
        actions.update_service(
            by=supervisor, service=world.public_shelter, values={}, terms=["not_a_term"]
        )


def test_import_page_is_for_system_admins_only(
    world, make_user, other_org, supervisor, client_for
) -> None:
    assert client_for(supervisor).get("/directory/manage/import/").status_code == 404
    admin = make_user("system_admin", other_org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bad.json", b'{"services": [{"id": "x"}]}')
    page = client_for(admin).post("/directory/manage/import/", {"file": upload})
    assert "Nothing was imported" in page.content.decode()


def test_a_nul_character_in_the_search_is_not_a_server_error(world, supervisor, client_for) -> None:
    # PostgreSQL text cannot hold NUL: found by the crawl's sweep of hostile values.
    answer = client_for(supervisor).get("/directory/manage/", {"q": "shel\x00ter"})
    assert answer.status_code == 200
