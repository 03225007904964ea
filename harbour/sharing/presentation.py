"""The referral list's rows, written in Python (issue 9, item 5), as the case list's are
(cases/presentation.py): in the template each row was two choice labels looked up through the
model (a lazy translation each), a reverse, a date filter and a dozen variable look-ups, most
of the page's time with a hundred referrals. test_referral_list_page.py compares them with the
template they replace, in English and French."""

import datetime as dt
import uuid
from typing import Any, cast

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from harbour.core.widgets import as_html
from harbour.orgs.models import name_column
from harbour.sharing import queries
from harbour.sharing.models import Referral

# Reversed once a page: a row's link is the pattern with the row's own id.
_ANY_ID = uuid.UUID(int=0)


def _labels(field_name: str) -> dict[Any, str]:
    """A choice field's labels in the current language, as get_FOO_display gives them."""
    field = cast(models.Field, Referral._meta.get_field(field_name))
    return {value: str(label) for value, label in field.flatchoices}


def _day(value: dt.datetime, tz: Any) -> str:
    """`{{ value|date:"Y-m-d" }}`: the local day (the filter's "%04d-%02d-%02d"), with the page's
    time zone looked up once instead of once a row."""
    local = value.astimezone(tz) if tz is not None and timezone.is_aware(value) else value
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"


# The organisation a row names: the sender of a received referral, the receiver of a sent one.
_NAMED = {"received": "org", "sent": "receiving_org"}
# What a row shows, and what is_overdue and is_expired read (policy.referral_facts).
_COLUMNS = ("pk", "created_at", "org_id", "receiving_org_id", "survivor_id", "kind", "status")


def referral_rows(
    referrals: QuerySet[Referral], box: str, now: dt.datetime, limit: int
) -> list[SafeString]:
    """The first `limit` referrals of `box` ("received" or "sent"), each as its table row, read
    as named tuples of the columns a row needs (no Referral and Organisation instances: a
    third of the page's time at 200 rows), the named organisation's name in the page's
    language as Organisation.name chooses it."""
    detail = reverse("sharing:referral", args=[_ANY_ID])
    kinds, statuses = _labels("kind"), _labels("status")
    overdue = f' <span class="badge danger">{as_html(_("no answer yet"))}</span>'
    expired = f' <span class="badge muted">{as_html(_("expired without an answer"))}</span>'
    tz = timezone.get_current_timezone() if settings.USE_TZ else None
    found = referrals.values_list(*_COLUMNS, f"{_NAMED[box]}__{name_column()}", named=True)[:limit]
    rows = []
    for r in found:
        # A row has every attribute is_overdue and is_expired read of a referral.
        referral = cast(Referral, r)
        html = (
            "\n  <tr>"
            f'<td><a href="{detail.replace(str(_ANY_ID), str(r.pk))}">'
            f"{_day(r.created_at, tz)}</a></td>\n"
            f"      <td>{as_html(r[-1])}</td>\n"
            f"      <td>{as_html(kinds.get(r.kind, r.kind))}</td>\n"
            f'      <td><span class="badge">{as_html(statuses.get(r.status, r.status))}</span>'
            f"{overdue if queries.is_overdue(referral, now) else ''}"
            f"{expired if queries.is_expired(referral, now) else ''}</td></tr>\n  "
        )
        rows.append(SafeString(html))
    return rows
