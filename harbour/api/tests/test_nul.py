"""The NUL character is refused by both APIs, in any query parameter or JSON string, with the
one error shape and in the caller's language, before it can reach PostgreSQL (where it was a
500: the API fuzz found one in the program search)."""

import pytest
from django.test import Client

from harbour.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REFUSED = "Some values are not valid. Nothing was saved."


def test_a_nul_in_a_query_parameter_is_refused_on_the_field(api_for, caseworker) -> None:
    response = api_for(caseworker).get("/api/v1/grants/programs", {"q": "a\x00b"})
    assert response.status_code == 422, response.content
    assert response.json()["error"] == {
        "code": "invalid",
        "message": REFUSED,
        "fields": {"q": ["This value is not valid."]},
    }


def test_a_nul_in_a_json_string_is_refused_and_nothing_is_probed(api_for, caseworker) -> None:
    api = api_for(caseworker)
    before = AuditEvent.objects.count()
    response = api.post(
        "/api/v1/linkage/hint",
        '{"given_name": "Amira\\u0000", "family_name": "Haddad", "birth_date": "1990-01-02"}',
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"body": ["This value is not valid."]}
    assert AuditEvent.objects.count() == before


def test_the_refusal_speaks_french(api_for, caseworker) -> None:
    response = api_for(caseworker).get(
        "/api/v1/grants/programs", {"funder": "\x00"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    body = response.json()["error"]
    assert body["message"] == "Certaines valeurs ne sont pas valides. Rien n'a été enregistré."
    assert body["fields"] == {"funder": ["Cette valeur n'est pas valide."]}


def test_the_hsds_api_refuses_it_too() -> None:
    response = Client().get("/hsds/services", {"search": "x\x00"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"search": ["This value is not valid."]}


def test_the_text_backslash_u0000_is_not_a_nul(api_for, caseworker) -> None:
    response = api_for(caseworker).get("/api/v1/grants/programs", {"q": "\\u0000"})
    assert response.status_code == 200, response.content
