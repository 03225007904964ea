"""Signed checkpoints of the caller's organisation's audit trail (ADR 35)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from harbour.accounts.policy import Perm, can
from harbour.api.auth import current_user
from harbour.audit import actions, delivery, policy, queries
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
