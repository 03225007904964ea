"""Signed checkpoints of the caller's organisation's audit trail (ADR 35)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from harbour.accounts.policy import Perm, can
from harbour.api.auth import current_user
from harbour.audit import actions, delivery, policy, presenting, queries
from harbour.audit.checkpoint import CheckpointError
from harbour.audit.delivery import MAX_CHECKPOINT_BYTES
from harbour.audit.models import Checkpoint
from harbour.core.errors import InvalidInput, NotFound

router = Router(tags=["audit"])


class CheckpointOut(Schema):
    id: int
    issued_at: dt.datetime
    note: str = Field(description="The signed note: keep it outside Harbour.")


class CheckpointListOut(Schema):
    count: int
    results: list[CheckpointOut]


class CheckIn(Schema):
    checkpoint: str = Field(max_length=MAX_CHECKPOINT_BYTES, description="A signed checkpoint.")


class ProblemOut(Schema):
    seq: int
    kind: str
    action: str
    message: str


class CheckOut(Schema):
    intact: bool = Field(description="The trail extends the checkpoint and verifies.")
    issued_at: dt.datetime
    events_checked: int
    first_problems: list[ProblemOut]


class PublicKeyOut(Schema):
    verifier_key: str


def _auditor(request: HttpRequest) -> Any:
    user = current_user(request)
    if not can(user, Perm.AUDIT_VIEW_ORG):
        raise NotFound()
    return user


def _out(checkpoint: Checkpoint) -> dict[str, Any]:
    return {"id": checkpoint.pk, "issued_at": checkpoint.issued_at, "note": checkpoint.note}


@router.get("/checkpoints", response=CheckpointListOut, summary="Checkpoints issued to you")
def list_checkpoints(request: HttpRequest, limit: int = 20) -> dict[str, Any]:
    user = _auditor(request)
    if not 1 <= limit <= 200:
        raise InvalidInput({"limit": ["1–200"]})
    found = policy.checkpoints_for(user.org_id)
    return {"count": found.count(), "results": [_out(c) for c in found[:limit]]}


@router.post(
    "/checkpoints",
    response={201: CheckpointOut},
    summary="Check your organisation's trail and sign a checkpoint of it now",
)
def sign_checkpoint(request: HttpRequest) -> Status[dict[str, Any]]:
    user = _auditor(request)
    checkpoint = actions.sign_checkpoint(by=user, scope=str(user.org_id), delivery="download")
    return Status(201, _out(checkpoint))


@router.get("/checkpoints/{int:checkpoint_id}", response=CheckpointOut)
def get_checkpoint(request: HttpRequest, checkpoint_id: int) -> dict[str, Any]:
    user = _auditor(request)
    return _out(policy.checkpoint_for(user.org_id, checkpoint_id))


@router.post(
    "/checkpoints/check",
    response=CheckOut,
    summary="Does your organisation's trail still extend a checkpoint you kept?",
)
def check_checkpoint(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    user = _auditor(request)
    try:
        result = queries.check_chain_checkpoint(str(user.org_id), payload.checkpoint)
    except CheckpointError as exc:
        refusal = delivery.checkpoint_refusal(exc)
        actions.record_checkpoint_check(by=user, result=None, refusal=refusal)
        raise InvalidInput({"checkpoint": [refusal]}) from exc
    actions.record_checkpoint_check(by=user, result=result, refusal="")
    first = delivery.described(queries.first_problems(result.problems))
    return {
        "intact": not result.problems,
        "issued_at": result.checkpoints[0].issued_at,
        "events_checked": result.checked,
        "first_problems": [
            {"seq": p["seq"], "kind": p["kind"], "action": p["action"], "message": str(p["label"])}
            for p in first
        ],
    }


@router.get("/public-key", response=PublicKeyOut, summary="The key checkpoints are signed with")
def public_key(request: HttpRequest) -> dict[str, str]:
    _auditor(request)
    return {"verifier_key": delivery.verifier_key()}


# --- the trail in words -------------------------------------------------------------------------


class EventOut(Schema):
    occurred_at: dt.datetime
    who: str = Field(description="A person of your organisation by name, others by role.")
    role: str
    action: str = Field(description="The action code, e.g. case.identity_viewed")
    action_label: str = Field(description="The action in words, in the request's language.")
    record: str = Field(description="The record as you may name it (a reference or a kind).")
    record_type: str
    record_id: str
    fields: list[str] = Field(description="Field codes the event names (never their values).")
    field_labels: list[str]
    outcome: str


class EventListOut(Schema):
    count: int
    page: int
    results: list[EventOut]


@router.get("/events", response=EventListOut, summary="Your organisation's audit trail, in words")
def list_events(
    request: HttpRequest,
    person: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    record: str = "",
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """Filtered like the audit trail page (person id, action code, dates, a case or survivor
    reference or a record id); newest first."""
    user = _auditor(request)
    if not 1 <= page_size <= 200:
        raise InvalidInput({"page_size": ["1–200"]})
    if not 1 <= page <= 1_000_000:
        raise InvalidInput({"page": ["1–1000000"]})
    query = {"person": person, "action": action, "since": since, "until": until, "record": record}
    form, wanted = presenting.trail_filter(user.org_id, {k: v for k, v in query.items() if v})
    if form.is_bound and form.errors:
        raise InvalidInput({k: [str(m) for m in v] for k, v in form.errors.items()})
    events = queries.filtered_events(user.org_id, wanted)
    chosen = list(events[(page - 1) * page_size : page * page_size])
    return {
        "count": events.count(),
        "page": page,
        "results": [
            {
                "occurred_at": r.event.occurred_at,
                "who": r.who,
                "role": r.event.actor_role,
                "action": r.event.action,
                "action_label": r.action,
                "record": r.record,
                "record_type": r.event.target_type,
                "record_id": r.event.target_id,
                "fields": r.event.fields,
                "field_labels": r.fields,
                "outcome": r.event.outcome,
            }
            for r in presenting.rows(user.org_id, chosen)
        ],
    }
