"""The referral list page (issue 9, item 5): its rows, written in Python from named tuples
(sharing/presentation.referral_rows), are what its template loop wrote, character for
character, in English and French, for both lists, overdue and expired referrals and names that
must be escaped; and the page reads the referrals in one statement a list, without the joins
it made for nothing, whatever their number."""

import datetime as dt

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from harbour.orgs.models import Organisation
from harbour.sharing import actions, presentation, queries
from harbour.sharing.models import Referral

pytestmark = pytest.mark.django_db

# The loop as referrals.html wrote it before, with its context (rows of dicts, as the view made
# them, and the list's name).
BEFORE = engines["django"].from_string(
    """{% load i18n %}{% for row in list %}{% with r=row.referral %}
  <tr><td><a href="{% url 'sharing:referral' r.pk %}">{{ r.created_at|date:"Y-m-d" }}</a></td>
      <td>{% if name == "received" %}{{ r.org.name }}{% else %}{{ r.receiving_org.name }}{% endif %}</td>
      <td>{{ r.get_kind_display }}</td>
      <td><span class="badge">{{ r.get_status_display }}</span>{% if row.overdue %} <span class="badge danger">{% translate "no answer yet" %}</span>{% endif %}{% if row.expired %} <span class="badge muted">{% translate "expired without an answer" %}</span>{% endif %}</td></tr>
  {% endwith %}{% endfor %}"""  # noqa: E501 (the template's own lines)
)


def _refer(caseworker, case, partner, kind="referral"):
    actions.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "needs"],
        purposes=["referral", "continuity_of_care"],
        method="verbal",
    )
    return actions.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": case.intake_date, "reason": "other"},
        kind=kind,
    )


def _before(qs, name, now):
    rows = [
        {
            "referral": r,
            "overdue": queries.is_overdue(r, now),
            "expired": queries.is_expired(r, now),
        }
        for r in qs.select_related("org", "receiving_org")[:200]
    ]
    return BEFORE.render({"list": rows, "name": name})


def test_rows_as_the_template_wrote_them(
    caseworker, make_case, partner, partner_worker, agreement
) -> None:
    sent = [_refer(caseworker, make_case(caseworker), partner) for _ in range(4)]
    _refer(caseworker, make_case(caseworker), partner, kind="transfer")
    actions.accept_referral(by=partner_worker, referral=sent[0])
    now = timezone.now()
    # One overdue (sent 10 days ago, no answer), one expired (sent 40 days ago), late at night
    # in UTC (the day shown is the local one).
    Referral.objects.filter(pk=sent[1].pk).update(created_at=now - dt.timedelta(days=10))
    Referral.objects.filter(pk=sent[2].pk).update(
        created_at=(now - dt.timedelta(days=40)).replace(hour=23, minute=30)
    )
    # Text that must be escaped, where an administrator could write it: the names.
    Organisation.objects.filter(pk=partner.pk).update(
        name_en="<b>O'Brien & Co</b>", name_fr="<i>L'Abri & cie</i>"
    )
    Organisation.objects.filter(pk=caseworker.org_id).update(name_fr="Refuge « Nord » & co")
    for user in (caseworker, partner_worker):
        lists = queries.referral_lists(user)
        for language in ("en", "fr"):
            with override(language):
                for name, qs in lists.items():
                    ours = "".join(presentation.referral_rows(qs, name, now, limit=200))
                    assert ours == _before(qs, name, now)
    with override("en"):
        ours = "".join(
            presentation.referral_rows(
                queries.referral_lists(caseworker)["sent"], "sent", now, limit=200
            )
        )
    assert ours.count("<tr>") == 5
    assert "no answer yet" in ours and "expired without an answer" in ours
    assert "&lt;b&gt;O&#x27;Brien &amp; Co&lt;/b&gt;" in ours and "<b>" not in ours


def test_the_page_reads_each_list_once(client, caseworker, make_case, partner, agreement) -> None:
    client.force_login(caseworker)

    def statements():
        client.get("/sharing/referrals/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/sharing/referrals/")
        assert response.status_code == 200
        return response, [q["sql"] for q in captured]

    _refer(caseworker, make_case(caseworker), partner)
    _r, few = statements()
    for _ in range(5):
        _refer(caseworker, make_case(caseworker), partner)
    response, many = statements()
    assert response.content.decode().count("/sharing/referrals/") >= 6
    assert len(many) == len(few)
    referrals = [s for s in many if '"sharing_referral"' in s]
    assert len(referrals) == 2  # received, sent
    for statement in referrals:  # the named organisation only: no case, no referral details
        assert '"cases_case"' not in statement
        assert '"sharing_referral"."sealed"' not in statement
        assert statement.count("JOIN") == 1
