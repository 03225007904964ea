"""Record linkage: the returning-survivor hint at intake (ADR 41).

The hint says only whether the person may be known elsewhere, never where or by whom; the
identity sent is encoded at once and not stored."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from harbour.api.auth import current_user
from harbour.api.routers.cases import ERRORS
from harbour.linkage import actions

router = Router(tags=["linkage"])


class HintIn(Schema):
    model_config = ConfigDict(extra="forbid")

    given_name: str | None = Field(None, max_length=200)
    preferred_name: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    birth_date: dt.date | None = None
    gender_identity: str | None = Field(None, max_length=60)
    country_of_birth: str | None = Field(None, max_length=60)


class HintOut(Schema):
    may_be_known_elsewhere: bool
    message: str


def hint_message(known: bool) -> str:
    return str(actions.HINT_KNOWN if known else actions.HINT_NONE)


@router.post("/hint", response={200: HintOut, **ERRORS}, summary="Returning-survivor hint")
def hint(request: HttpRequest, payload: HintIn) -> dict[str, Any]:
    values = {k: v for k, v in payload.model_dump().items() if v not in (None, "")}
    known = actions.returning_hint(by=current_user(request), values=values)
    return {"may_be_known_elsewhere": known, "message": hint_message(known)}
