"""Navigation for the signed-in role: each role sees only where it can go."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import Perm, can


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    perm: Perm | None


NAV = (
    NavItem(_("Cases"), "cases:list", Perm.CASE_VIEW),
    NavItem(_("New intake"), "cases:intake", Perm.CASE_CREATE),
    NavItem(_("Referrals"), "sharing:referrals", Perm.CASE_VIEW),
    NavItem(_("Organisation dashboard"), "web:org_dashboard", Perm.ORG_DASHBOARD),
    NavItem(_("Import and export"), "interchange:index", Perm.CASE_IMPORT),
    NavItem(_("Staff"), "accounts:staff", Perm.STAFF_MANAGE),
    NavItem(_("Agreements"), "sharing:agreements", Perm.STAFF_MANAGE),
    NavItem(_("National overview"), "web:national", Perm.STATS_NATIONAL),
    NavItem(_("Research data"), "web:research", Perm.RESEARCH_EXTRACT),
    NavItem(_("Organisations"), "orgs:list", Perm.ORGS_MANAGE),
    NavItem(_("All users"), "accounts:staff", Perm.USERS_MANAGE_ALL),
    NavItem(_("Audit trail"), "audit:trail", Perm.AUDIT_VIEW_ORG),
    NavItem(_("Service directory"), "directory:index", None),
    NavItem(_("Funding and partners"), "grants:index", None),
    NavItem(_("Common terminology"), "standard:index", None),
    NavItem(_("Published statistics"), "stats:public", None),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for item in NAV:
            if item.perm is None or can(user, item.perm):
                url = reverse(item.url_name)
                active = request.path.startswith(url) and url != "/"
                items.append({"label": item.label, "url": url, "active": active})
    return {
        "nav_items": items,
        "demo_banner": settings.HARBOUR_DEMO_BANNER,
        "unread_notifications": _unread(user),
    }


def _unread(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    from harbour.sharing.queries import unread_count

    return unread_count(user)
