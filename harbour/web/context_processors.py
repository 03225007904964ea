"""Navigation for the signed-in role: each role sees only where it can go.

Every web page renders this header, so it is kept cheap (issue 9, item 5; ADR 37): the links
are reversed once per process (they take no arguments; keyed by the script prefix, the only
thing a reverse of them depends on), and the header's two reads, the unread notifications and
the organisation's name, are one statement instead of two queries.
"""

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
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

# The header's and footer's links (templates/base.html), by the name the template uses.
LINKS = {
    "quick_exit": "web:quick_exit",
    "home": "web:home",
    "set_language": "set_language",
    "notifications": "sharing:notifications",
    "tokens": "accounts:tokens",
    "password_change": "accounts:password_change",
    "security": "accounts:security",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "terminology": "standard:index",
    "api": "api:openapi-view",
}


@functools.lru_cache(maxsize=64)
def _reversed(url_name: str, script_prefix: str) -> str:
    return reverse(url_name)


def url_of(url_name: str) -> str:
    """reverse(url_name) for a route without arguments, reversed once per script prefix."""
    return _reversed(url_name, get_script_prefix())


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        for item in NAV:
            if item.perm is None or can(user, item.perm):
                url = url_of(item.url_name)
                active = request.path.startswith(url) and url != "/"
                items.append({"label": item.label, "url": url, "active": active})
    unread, org_name = header_reads(user) if signed_in else (0, "")
    return {
        "nav_items": items,
        "links": {name: url_of(url_name) for name, url_name in LINKS.items()},
        "demo_banner": settings.HARBOUR_DEMO_BANNER,
        "unread_notifications": unread,
        "org_name": org_name,
    }


def header_reads(user: Any) -> tuple[int, str]:
    """The signed-in header's two reads in one statement: the user's unread notifications
    (as `sharing.queries.unread_count`) and the name of their organisation in the current
    language (as `user.org.name`; "" without one). Tested to give the same answers."""
    from harbour.orgs.models import Organisation

    with connection.cursor() as cursor:
        cursor.execute(_header_sql(), [_db(user.pk), _db(user.org_id), _db(user.org_id)])
        unread, name_en, name_fr = cursor.fetchone()
    if user.org_id is None or name_en is None:
        return unread, ""
    return unread, Organisation(name_en=name_en, name_fr=name_fr).name


@functools.cache
def _header_sql() -> str:  # built once, when the models are loaded
    from harbour.orgs.models import Organisation
    from harbour.sharing.models import Notification

    notes, orgs = Notification._meta.db_table, Organisation._meta.db_table
    return (
        f"SELECT (SELECT COUNT(*) FROM {notes} WHERE user_id = %s AND read_at IS NULL),"  # noqa: S608 (table names of our models)
        f" (SELECT name_en FROM {orgs} WHERE id = %s), (SELECT name_fr FROM {orgs} WHERE id = %s)"
    )


def _db(value: Any) -> Any:
    """An id as the database stores it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    from django.db import models

    return models.UUIDField().get_db_prep_value(value, connection)
