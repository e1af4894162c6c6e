"""Render a Plan as an iCalendar (.ics) file: one event per plan day.

Design choices (see the calendar-interop reference, sections C and D):

* all-day events by default (``DTSTART;VALUE=DATE`` + exclusive ``DTEND;VALUE=DATE``): no
  time zones, no VTIMEZONE, and every client shows them on the right day;
* with `CalendarOptions.time`/`tz`, training sessions become timed events at that local time
  lasting ``Day.total_minutes``, with an RRULE-based VTIMEZONE from
  `planner.calendar.vtimezone` (UTC is written as ``…Z`` times, no VTIMEZONE); rest days stay
  all-day (`planner.calendar.events`);
* deterministic UIDs derived from the plan identity (`planner.calendar.uids`), never uuid4,
  so a re-generated file updates rather than duplicates, and two plans never share a UID;
* ``DTSTAMP`` comes from the caller, so the same plan and stamp give byte-identical output;
* ``SEQUENCE``/``LAST-MODIFIED`` come from `planner.calendar.revision.revise`: 0 and absent on
  a first generation, raised only on events whose content changed since the previous one;
* plain-text ``DESCRIPTION``, at most one ``VALARM`` and only when asked for,
  ``TRANSP:TRANSPARENT`` so plan items don't block free/busy, ``METHOD:PUBLISH``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vText

from planner.calendar.events import EventContent, exclusive_end, in_utc
from planner.calendar.folding import fold_lines
from planner.calendar.history import CalendarHistory, EventRecord
from planner.calendar.options import CalendarOptions
from planner.calendar.revision import Revision, revise
from planner.calendar.uids import calendar_uid
from planner.calendar.vtimezone import vtimezone
from planner.core.models import Plan

PRODID = "-//rtr-planner//Return to Run//EN"


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


def to_ics(plan: Plan, stamp: datetime, options: CalendarOptions | None = None,
           previous: CalendarHistory | None = None, now: datetime | None = None,
           plan_id: str | None = None) -> bytes:
    """Render `plan` as iCalendar bytes (UTF-8, CRLF, folded at 75 octets).

    `stamp` becomes every event's DTSTAMP; it must be timezone-aware and is converted to UTC.
    `options` chooses timed sessions, reminders and the calendar name; `previous` and `now`
    are the earlier generation's records and the time of this one, `plan_id` the calendar's
    identity (see `revise`).
    """
    options = options or CalendarOptions()
    return render_calendar(plan, stamp, options, revise(plan, options, previous, now, plan_id))


def render_calendar(plan: Plan, stamp: datetime, options: CalendarOptions,
                    revision: Revision) -> bytes:
    """Render the events of `revision` (from `revise`) as iCalendar bytes."""
    # Same bytes as `.to_ical()` (the tests compare them), folded without its per-character loop.
    return fold_lines(build_calendar(plan, stamp, options, revision).content_lines())


def build_calendar(plan: Plan, stamp: datetime, options: CalendarOptions,
                   revision: Revision) -> Calendar:
    """The icalendar `Calendar` of the events of `revision` (from `revise`)."""
    cal = Calendar.new(prodid=PRODID, method="PUBLISH", uid=calendar_uid(revision.plan_id))
    _add_calendar_text(cal, options.calendar_name or calendar_name(plan),
                       calendar_description(plan))
    entries = revision.events + revision.cancelled
    for tzid in sorted({str(c.start.tzinfo) for c, _ in entries if _has_tzid(c.start)}):
        # One day past the end: a late session may finish after midnight.
        cal.add_component(vtimezone(tzid, plan.start, exclusive_end(plan.end)))
    utc_stamp = in_utc(stamp)
    for content, record in entries:
        cal.add_component(_event(content, record, utc_stamp))
    return cal


def event_calendar(plan: Plan, stamp: datetime, content: EventContent,
                   record: EventRecord) -> bytes:
    """One event as a VCALENDAR of its own (with the VTIMEZONE it needs), as iCalendar bytes.

    This is what a CalDAV server stores per event: the same VEVENT, byte for byte, as in the
    plan's whole calendar, under the same PRODID and METHOD-free (RFC 4791 §4.1).
    """
    cal = Calendar.new(prodid=PRODID)
    # Calendar.new adds a random UID; a resource's bytes must depend on the plan alone, and
    # a calendar-level UID (RFC 7986) belongs to the whole calendar, not to one event's file.
    del cal["UID"]
    if _has_tzid(content.start):
        cal.add_component(vtimezone(str(content.start.tzinfo), plan.start, exclusive_end(plan.end)))
    cal.add_component(_event(content, record, in_utc(stamp)))
    return fold_lines(cal.content_lines())


def _has_tzid(value: date | datetime) -> bool:
    """True for a time written with a TZID (an IANA zone, not UTC and not a date)."""
    return isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo)


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


def _event(content: EventContent, record: EventRecord, stamp: datetime) -> Event:
    """Build the VEVENT for one event and its revision record."""
    event = Event.new(
        uid=content.uid,
        summary=content.summary,
        description=content.description,
        start=content.start,
        end=content.end,
        stamp=stamp,
        sequence=record.sequence,
        transparency="TRANSPARENT",
        # None, not []: icalendar writes an empty list as "CATEGORIES:", which libical
        # (Evolution, GNOME) rejects with a parse error.
        categories=list(content.categories) or None,
        last_modified=record.last_modified,
        status=content.status,
    )
    if content.alarm is not None:
        event.add_component(Alarm.new_display(description=content.summary, trigger=content.alarm))
    return event
