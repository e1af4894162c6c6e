"""Render a Plan as an iCalendar (.ics) file: one all-day event per plan day.

Design choices (see the calendar-interop reference, sections C and D):

* all-day events (``DTSTART;VALUE=DATE`` + exclusive ``DTEND;VALUE=DATE``): no time zones,
  no VTIMEZONE, and every client shows them on the right day;
* deterministic UIDs derived from the plan identity (athlete, site, start), never uuid4, so a
  re-generated file updates rather than duplicates, and two plans never share a UID;
* ``DTSTAMP`` comes from the caller, so the same plan and stamp give byte-identical output;
* plain-text ``DESCRIPTION``, no ``VALARM`` (Google drops them, Outlook keeps one at most),
  ``TRANSP:TRANSPARENT`` so plan items don't block free/busy, ``METHOD:PUBLISH``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Event, vText

from planner.models import Day, Plan

PRODID = "-//rtr-planner//Return to Run//EN"
UID_DOMAIN = "rtr-planner.invalid"


def plan_uid(plan: Plan) -> str:
    """Return the 16-hex-digit identity of a plan: sha256 of (athlete, site id, start ISO).

    The canonical JSON is ``{"athlete": …, "site": …, "start": "YYYY-MM-DD"}`` with sorted
    keys, no whitespace and UTF-8 text. Grade, rest day and clearance are deliberately left
    out: a re-graded or re-scheduled plan for the same injury keeps its UIDs, so calendars
    that honour UIDs update the events instead of showing two plans.
    """
    identity = {
        "athlete": plan.request.athlete,
        "site": plan.request.site,
        "start": plan.request.start.isoformat(),
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def event_uid(plan: Plan, day: Day) -> str:
    """Return the UID of one day's event: ``rtr-<plan_uid>-YYYYMMDD@rtr-planner.invalid``."""
    return f"rtr-{plan_uid(plan)}-{day.date:%Y%m%d}@{UID_DOMAIN}"


def calendar_uid(plan: Plan) -> str:
    """Return the RFC 7986 UID of the calendar itself (distinct from every event UID)."""
    return f"rtr-{plan_uid(plan)}@{UID_DOMAIN}"


def calendar_name(plan: Plan) -> str:
    """Return the calendar's display name, e.g. ``Return to run · Ana · Second metatarsal``."""
    return f"Return to run · {plan.request.athlete} · {plan.site.name}"


def calendar_description(plan: Plan) -> str:
    """Return a one-paragraph plain-text summary of the plan for the calendar description."""
    site = plan.site
    text = (
        f"Return-to-run plan for {plan.request.athlete} after a bone stress injury. "
        f"Site: {site.name}; {site.risk} risk, {site.bone} bone. MRI: {plan.grade.name}. "
        f"Starts {plan.start.isoformat()}; first run/walk session {plan.first_run.isoformat()}; "
        f"ends {plan.end.isoformat()} ({plan.weeks} weeks). Protocol {plan.protocol.version}."
    )
    if plan.request.cleared_by:
        text += f" Cleared for conservative rehab by: {plan.request.cleared_by}."
    return text


def exclusive_end(day: date) -> date:
    """Return DTEND for an all-day event on `day`: the NEXT day.

    RFC 5545 §3.6.1: DTEND is exclusive, so a one-day all-day event ends on the following
    date. Exchange/Outlook refuses events without DTEND (or DURATION), so we always write it.
    """
    return day + timedelta(days=1)


def to_ics(plan: Plan, stamp: datetime) -> bytes:
    """Render `plan` as iCalendar bytes (UTF-8, CRLF, folded at 75 octets).

    `stamp` becomes every event's DTSTAMP; it must be timezone-aware and is converted to UTC.
    """
    cal = Calendar.new(prodid=PRODID, method="PUBLISH", uid=calendar_uid(plan))
    _add_calendar_text(cal, calendar_name(plan), calendar_description(plan))
    phase_names = {p.id: p.name for p in plan.phases}
    utc_stamp = _utc(stamp)
    for day in plan.days:
        cal.add_component(_event(plan, day, phase_names[day.phase], utc_stamp))
    return cal.to_ical()


def _add_calendar_text(cal: Calendar, name: str, description: str) -> None:
    """Add NAME/X-WR-CALNAME and DESCRIPTION/X-WR-CALDESC as escaped TEXT values."""
    # Not `Calendar.new(name=..., description=...)`: icalendar 7.3.0 types NAME and the X-WR-*
    # twins as "unknown", so `, ; \` are written unescaped and a newline raises AssertionError.
    for prop, value in (
        ("DESCRIPTION", description),
        ("X-WR-CALDESC", description),
        ("NAME", name),
        ("X-WR-CALNAME", name),
    ):
        cal.add(prop, vText(value))


def _event(plan: Plan, day: Day, phase_name: str, stamp: datetime) -> Event:
    """Build the all-day VEVENT for one plan day."""
    return Event.new(
        uid=event_uid(plan, day),
        summary=day.title,
        description=day.details,
        start=day.date,
        end=exclusive_end(day.date),
        stamp=stamp,
        sequence=0,
        transparency="TRANSPARENT",
        categories=[phase_name],
    )


def _utc(stamp: datetime) -> datetime:
    """Return `stamp` in UTC without microseconds; a naive stamp is ambiguous, so refuse it."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware (DTSTAMP is written in UTC)")
    return stamp.astimezone(timezone.utc).replace(microsecond=0)
