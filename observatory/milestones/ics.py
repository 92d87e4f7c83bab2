"""The milestones as an iCalendar feed (RFC 5545) that calendar programs subscribe to.

One all-day event per milestone on its due day (the last day of a period), built with the
``icalendar`` library so that folding, escaping and dates follow the RFC. The UID is stable
(the milestone id), so a subscribed calendar updates an event instead of adding a new one when
its status or title changes; the status is in the description, never in the title, for the same
reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from observatory.milestones.status import MilestoneView
from observatory.store.models import utcnow

PRODID = "-//Observatory//Milestones//EN"
UID_DOMAIN = "milestones.observatory"


def calendar_of(
    views: Sequence[MilestoneView], *, base_url: str | None = None, now: datetime | None = None
) -> bytes:
    """The iCalendar text of *views*; with *base_url*, each event links to its web page."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Observatory milestones")
    stamp = now or utcnow()
    for v in views:
        cal.add_component(_event(v, base_url, stamp))
    return cal.to_ical()


def _event(v: MilestoneView, base_url: str | None, stamp: datetime) -> Event:
    m = v.milestone
    event = Event()
    event.add("uid", f"{m.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", v.due)  # a date: an all-day event
    event.add("dtend", v.due + timedelta(days=1))
    event.add("summary", m.title)
    event.add("description", _description(v))
    event.add("categories", list(m.dimensions))
    event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: the day stays free
    url = f"{base_url.rstrip('/')}/milestones/{m.id}" if base_url else m.link
    if url:
        event.add("url", url)
    return event


def _description(v: MilestoneView) -> str:
    m = v.milestone
    lines = [f"Owner: {m.owner}", f"Basis: {m.basis}"]
    if v.period:
        lines.append(f"Due by the end of {v.period} (the period's last day).")
    status: str = v.status
    if v.delivered_at:
        status += f" on {v.delivered_at.isoformat()}"
    lines.append(f"Status on {v.as_of.isoformat()}: {status}")
    if m.link:
        lines.append(f"Source: {m.link}")
    return "\n".join(lines)
