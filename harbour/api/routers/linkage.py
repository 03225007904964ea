"""Record linkage: the returning-survivor hint at intake (ADR 41).

The hint says whether the person may be known elsewhere, never by whom, and where and when only
with the consent of the survivor at the organisation that served them; the identity sent is
encoded at once and not stored. Limited per user and hour and per organisation and hour (429
with the limit reached in the message), and every call audited. The staff of an organisation
that has left record linkage get 409 (`left_record_linkage`): it gives nothing, learns nothing."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from harbour.api.auth import current_user
from harbour.api.routers.cases import ERRORS
from harbour.api.schemas import ErrorOut
from harbour.linkage import hints

router = Router(tags=["linkage"])


class HintIn(Schema):
    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(None, max_length=200)
    preferred_name: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    birth_date: dt.date | None = None
    gender_identity: str | None = Field(None, max_length=60)
    country_of_birth: str | None = Field(None, max_length=60)


class HintPlace(Schema):
    province: str | None = Field(
        description=(
            'ISO 3166-2:CA code, e.g. CA-AB; null (said "Canada" in the message) when the '
            "province holds too few organisations in Harbour to be told without pointing at "
            "the organisation (HARBOUR_HINT_MIN_ORGS_PER_PLACE)."
        )
    )
    year: int


class HintOut(Schema):
    may_be_known_elsewhere: bool = Field(
        description="True only when another organisation's record matches confidently."
    )
    answer: Literal["known", "none", "too_little"] = Field(
        description=(
            "known: may have been served elsewhere; none: no sign of it; too_little: too few "
            "linkage fields to tell (give at least two of given name, family name, birth date)."
        )
    )
    places: list[HintPlace] = Field(
        description=(
            "Where and when, only for matched records whose survivor consented to be known "
            "elsewhere: the province of the organisation that served them (or only Canada, "
            "see province) and the year of their latest intake there. Never the organisation."
        )
    )
    message: str


def hint_message(known: bool) -> str:
    return hints.Hint(hints.Answer.KNOWN if known else hints.Answer.NONE).message()


@router.post(
    "/hint",
    response={200: HintOut, 429: ErrorOut, **ERRORS},
    summary=(
        "Returning-survivor hint (limited per user and per organisation and hour; every call "
        "audited)"
    ),
)
def hint(request: HttpRequest, payload: HintIn) -> Status[dict[str, Any]]:
    values = {k: v for k, v in payload.model_dump().items() if v not in (None, "")}
    found = hints.returning_hint(by=current_user(request), values=values)
    if found.answer == hints.Answer.LIMITED:
        # Answered, not raised: the refusal's audit event must be kept with the request.
        error = {"code": "too_many_attempts", "message": found.message(), "fields": {}}
        return Status(429, {"error": error})
    if found.answer == hints.Answer.LEFT:  # the same: the refusal is audited
        error = {"code": "left_record_linkage", "message": found.message(), "fields": {}}
        return Status(409, {"error": error})
    body = {
        "may_be_known_elsewhere": found.known,
        "answer": str(found.answer),
        "places": [{"province": p, "year": y} for p, y in found.places],
        "message": found.message(),
    }
    return Status(200, body)
