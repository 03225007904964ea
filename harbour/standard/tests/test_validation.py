"""Server-side validation: every kind of bad input gets a specific, translated message."""

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from harbour.core.errors import InvalidInput
from harbour.standard.dictionary import current
from harbour.standard.validation import validate

D = current()
SURVIVOR, CASE = D.entity("survivor"), D.entity("case")
V = D.latest


def errors_for(entity, values, **kwargs):
    with pytest.raises(InvalidInput) as info:
        validate(entity, values, version=V, **kwargs)
    return info.value.as_dict()


def test_good_values_are_normalised() -> None:
    cleaned = validate(
        SURVIVOR,
        {
            "given_name": "  Élodie ",
            "birth_date": "1998-04-02",
            "mobile_phone": "(416) 555-0199",
            "mailing_postal_code": "k1a0b1",
            "pronouns": ["they_them", "they_them"],
            "number_of_children": "2",
            "email": "A@Example.ORG",
        },
        version=V,
        partial=True,
    )
    assert cleaned["given_name"] == "Élodie"
    assert cleaned["birth_date"] == dt.date(1998, 4, 2)
    assert cleaned["mobile_phone"] == "+14165550199"
    assert cleaned["mailing_postal_code"] == "K1A 0B1"
    assert cleaned["pronouns"] == ["they_them"]
    assert cleaned["number_of_children"] == 2
    assert cleaned["email"] == "a@example.org"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"birth_date": "2001-02-30"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"birth_date": 19980402}, "birth_date"),
        ({"birth_date": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "birth_date"),
        ({"number_of_children": "two"}, "number_of_children"),
        ({"number_of_children": True}, "number_of_children"),
        ({"number_of_children": -1}, "number_of_children"),
        ({"gender_identity": "martian"}, "gender_identity"),
        ({"gender_identity": ["woman"]}, "gender_identity"),
        ({"pronouns": ["she_her", "nope"]}, "pronouns"),
        ({"pronouns": [1, 2]}, "pronouns"),
        ({"given_name": "x" * 201}, "given_name"),
        ({"given_name": 42}, "given_name"),
        ({"given_name": '=HYPERLINK("http://evil")'}, "given_name"),
        ({"given_name": "@SUM(A1)"}, "given_name"),
        ({"given_name": "Ana\x00"}, "given_name"),
        ({"given_name": "Ana\nMaria"}, "given_name"),
        ({"mobile_phone": "call me"}, "mobile_phone"),
        ({"email": "not-an-address"}, "email"),
        ({"mailing_postal_code": "12345"}, "mailing_postal_code"),
        ({"interpreter_needed": "maybe"}, "interpreter_needed"),
        ({"shoe_size": 9}, "shoe_size"),
    ],
)
def test_bad_values_are_refused_field_by_field(values: dict[str, Any], field: str) -> None:
    assert field in errors_for(SURVIVOR, values, partial=True)


def test_required_fields_are_named() -> None:
    errors = errors_for(CASE, {})
    assert {"intake_date", "intake_province", "consent_to_record"} <= set(errors)


def test_future_intake_is_refused() -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "intake_date" in errors_for(CASE, {"intake_date": tomorrow}, partial=True)


def test_computed_fields_cannot_be_entered() -> None:
    screening = D.entity("screening")
    assert "indicators_met" in errors_for(screening, {"indicators_met": True}, partial=True)


def test_messages_are_translated_and_never_echo_the_value() -> None:
    with translation.override("fr"):
        errors = errors_for(SURVIVOR, {"given_name": "Élodie" * 50}, partial=True)
    message = errors["given_name"][0]
    assert "Élodie" not in message
    assert message.startswith("Raccourcissez")  # from Harbour's own French catalogue
