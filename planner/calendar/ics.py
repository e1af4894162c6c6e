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
* the lines are assembled here from icalendar's own value types (`planner.calendar.lines`):
  icalendar formats and escapes every value, this module orders and folds the lines, and
  what repeats inside one plan is computed once (issue 12: the component objects cost
  about six times as much; tests/reference keeps the old writer, which the tests compare);
* plain-text ``DESCRIPTION``, at most one ``VALARM`` and only when asked for,
  ``TRANSP:TRANSPARENT`` so plan items don't block free/busy, ``METHOD:PUBLISH``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from planner.calendar.events import EventContent, exclusive_end, in_utc
from planner.calendar.folding import fold_lines
from planner.calendar.history import CalendarHistory, EventRecord
from planner.calendar.lines import EventWriter, text_line
from planner.calendar.options import CalendarOptions
from planner.calendar.revision import Revision, revise
from planner.calendar.uids import calendar_uid
from planner.calendar.vtimezone import vtimezone_lines
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
    return fold_lines(calendar_lines(plan, stamp, options, revision))


def calendar_lines(plan: Plan, stamp: datetime, options: CalendarOptions,
                   revision: Revision) -> list[str]:
    """The unfolded content lines of the calendar of the events of `revision`."""
    # The order is icalendar's: VERSION, PRODID, METHOD, then the properties as added.
    name = options.calendar_name or calendar_name(plan)
    description = calendar_description(plan)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "METHOD:PUBLISH",
             text_line("DESCRIPTION", description), text_line("X-WR-CALDESC", description),
             text_line("NAME", name), text_line("X-WR-CALNAME", name),
             text_line("UID", calendar_uid(revision.plan_id))]
    entries = revision.events + revision.cancelled
    for tzid in sorted({str(c.start.tzinfo) for c, _ in entries if _has_tzid(c.start)}):
        # One day past the end: a late session may finish after midnight.
        lines += vtimezone_lines(tzid, plan.start, exclusive_end(plan.end))
    writer = EventWriter(in_utc(stamp))
    for content, record in entries:
        writer.event(lines, content, record)
    lines.append("END:VCALENDAR")
    return lines


def event_calendar(plan: Plan, stamp: datetime, content: EventContent,
                   record: EventRecord) -> bytes:
    """One event as a VCALENDAR of its own (with the VTIMEZONE it needs), as iCalendar bytes.

    This is what a CalDAV server stores per event: the same VEVENT, byte for byte, as in the
    plan's whole calendar, under the same PRODID and METHOD-free (RFC 4791 §4.1). It has no
    calendar-level UID (RFC 7986): that belongs to the whole calendar, not to one event's file.
    """
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}"]
    if _has_tzid(content.start):
        lines += vtimezone_lines(str(content.start.tzinfo), plan.start, exclusive_end(plan.end))
    EventWriter(in_utc(stamp)).event(lines, content, record)
    lines.append("END:VCALENDAR")
    return fold_lines(lines)


def _has_tzid(value: date | datetime) -> bool:
    """True for a time written with a TZID (an IANA zone, not UTC and not a date)."""
    return isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo)
