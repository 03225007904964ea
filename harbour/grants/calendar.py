"""The deadlines of funding programs as iCalendar (RFC 5545), written with `icalendar`."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from harbour.grants.models import Program

_SALT = "harbour.grants.feed"


def feed_token(org: Any) -> str:
    """A subscription link for one organisation's eligible deadlines: calendar apps cannot sign
    in, so the link itself carries a signed organisation id (it reveals nothing but public
    funding data, and changes with the secret key)."""
    return signing.Signer(salt=_SALT).sign(str(org.pk)).replace(":", ".")


def org_id_of(token: str) -> str | None:
    try:
        return signing.Signer(salt=_SALT).unsign(token.replace(".", ":"))
    except signing.BadSignature:
        return None


def ics(programs: Iterable[Program], *, name: str, on: dt.date, site: str) -> bytes:
    """One all-day event per deadline (with a reminder a week before), and one when intake
    opens if it is still to come. UIDs are stable, so a subscribed calendar updates in place."""
    cal = Calendar()
    cal.add("prodid", "-//Harbour//Grants deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = timezone.now()
    for program in programs:
        opens, closes = program.window(on)
        cal.add_component(_deadline(program, closes, stamp, site))
        if opens > on:
            cal.add_component(_opening(program, opens, stamp, site))
    return cal.to_ical()


def _event(program: Program, day: dt.date, kind: str, summary: str, stamp: Any, site: str) -> Event:
    event = Event()
    event.add("uid", f"{kind}-{program.pk}-{day.isoformat()}@harbour")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", _describe(program))
    event.add("url", program.url or f"{site}{reverse('grants:program', args=[program.pk])}")
    event.add("transp", "TRANSPARENT")
    return event


def _deadline(program: Program, day: dt.date, stamp: Any, site: str) -> Event:
    summary = _("Deadline: %(name)s") % {"name": program.name}
    event = _event(program, day, "deadline", summary, stamp, site)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(days=-7))
    event.add_component(alarm)
    return event


def _opening(program: Program, day: dt.date, stamp: Any, site: str) -> Event:
    summary = _("Intake opens: %(name)s") % {"name": program.name}
    return _event(program, day, "opens", summary, stamp, site)


def _describe(program: Program) -> str:
    return _("%(funder)s. Amount: %(low)s to %(high)s CAD. %(description)s") % {
        "funder": program.funder.name,
        "low": program.amount_min,
        "high": program.amount_max,
        "description": program.description,
    }
