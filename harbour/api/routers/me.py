from django.http import HttpRequest
from ninja import Router, Schema

from harbour.accounts.policy import permissions_of
from harbour.api.auth import current_user

router = Router(tags=["me"])


class MeOut(Schema):
    id: str
    full_name: str
    role: str
    organisation_id: str
    organisation: str
    permissions: list[str]


@router.get("/me", response=MeOut, summary="Who the token belongs to")
def me(request: HttpRequest) -> dict[str, object]:
    user = current_user(request)
    return {
        "id": str(user.pk),
        "full_name": user.full_name,
        "role": user.role,
        "organisation_id": str(user.org_id),
        "organisation": user.org.name,
        "permissions": sorted(permissions_of(user.role)),
    }
