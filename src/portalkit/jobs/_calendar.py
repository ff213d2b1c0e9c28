"""Visits as iCalendar (RFC 5545, with the ``icalendar`` library): one visit for "Add to
calendar", or a contact's private feed. Times in UTC; a canceled visit stays in the feed as
CANCELLED so calendars remove it; SEQUENCE follows the visit's version so a moved visit updates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from ..config import PortalConfig
from ..i18n import _
from ..models import Job, Property, Visit, VisitStatus


def calendar_of(visits: Iterable[tuple[Visit, Job, Property]], config: PortalConfig, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//portalkit//customer portal//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("%(company)s visits") % {"company": config.company_name})
    domain = config.domain or urlsplit(config.portal_url).hostname or "portal"
    for visit, job, prop in visits:
        event = Event()
        event.add("uid", f"visit-{visit.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", visit.starts_at)
        event.add("dtend", visit.ends_at)
        event.add("sequence", visit.version)
        event.add("summary", f"{config.company_name}: {job.title}")
        event.add("location", prop.name)
        crew = ", ".join(t.name for t in visit.technicians)
        lines = [_("We arrive within this window.")]
        if crew:
            lines.append(_("Technician: %(names)s") % {"names": crew})
        lines.append(f"{config.portal_url}/jobs/{job.id}")
        event.add("description", "\n".join(lines))
        event.add("url", f"{config.portal_url}/jobs/{job.id}")
        event.add("status", "CANCELLED" if visit.status is VisitStatus.CANCELED else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
