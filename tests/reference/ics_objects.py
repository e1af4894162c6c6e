"""The calendar writer as it was before issue 12 (icalendar `Calendar`/`Event` objects), kept
only as the reference the byte-for-byte tests compare the line-based writer against."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vText

from planner.calendar.events import EventContent, exclusive_end, in_utc
from planner.calendar.folding import fold_lines
from planner.calendar.history import EventRecord
from planner.calendar.options import CalendarOptions
from planner.calendar.revision import Revision
from planner.calendar.uids import calendar_uid
from planner.calendar.ics import PRODID, calendar_description, calendar_name
from tests.reference.vtimezone_scan import vtimezone
from planner.core.models import Plan

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
