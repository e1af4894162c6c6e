"""Render a Plan as an iCalendar (.ics) file: one event per plan day.

Design choices (see the calendar-interop reference, sections C and D):

* all-day events by default (``DTSTART;VALUE=DATE`` + exclusive ``DTEND;VALUE=DATE``): no
  time zones, no VTIMEZONE, and every client shows them on the right day;
* with `CalendarOptions.time`/`tz`, training sessions become timed events at that local time
  lasting ``Day.total_minutes``, with an RRULE-based VTIMEZONE from `planner.vtimezone`
  (UTC is written as ``…Z`` times, no VTIMEZONE); rest days stay all-day;
* deterministic UIDs derived from the plan identity (athlete, site, start), never uuid4, so a
  re-generated file updates rather than duplicates, and two plans never share a UID;
* ``DTSTAMP`` comes from the caller, so the same plan and stamp give byte-identical output;
* ``SEQUENCE``/``LAST-MODIFIED`` come from `revise`: 0 and absent on a first generation,
  raised only on events whose content changed since the previous generation, whose records
  the caller passes in (the core never reads files or the clock);
* plain-text ``DESCRIPTION``, at most one ``VALARM`` and only when asked for,
  ``TRANSP:TRANSPARENT`` so plan items don't block free/busy, ``METHOD:PUBLISH``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDDDTypes, vText

from planner.calendar.options import (
    ALL_DAY_REMINDER,
    UTC_ZONES,
    CalendarHistory,
    CalendarOptions,
    EventRecord,
)
from planner.calendar.folding import fold_lines
from planner.core.models import Day, Plan
from planner.calendar.vtimezone import vtimezone

PRODID = "-//rtr-planner//Return to Run//EN"
UID_DOMAIN = "rtr-planner.invalid"
CANCELLED_SUMMARY = "Cancelled: no longer in the plan"
CANCELLED_DESCRIPTION = ("This day is no longer part of the return-to-run plan: the plan was "
                         "regenerated and this event was removed.")


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
    return day_uid(plan_uid(plan), day.date)


def day_uid(plan_id: str, day: date) -> str:
    """Return the event UID for `day` in the plan with identity `plan_id`."""
    return f"rtr-{plan_id}-{day:%Y%m%d}@{UID_DOMAIN}"


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


def session_span(day: date, options: CalendarOptions, minutes: int) -> tuple[datetime, datetime]:
    """Return the aware start and end of a timed session on `day` lasting `minutes`.

    The wall time is read with zoneinfo's ``fold=0``, which is also RFC 5545's rule: a time
    repeated when clocks go back means its first occurrence, and a time skipped when clocks
    go forward (02:30 in Berlin on the last Sunday of March) uses the offset before the gap,
    so the session moves forward by the gap (03:30) and is written as that existing time.
    The end is start + `minutes` of real time; an end that falls in the second pass of a
    repeated hour is written in UTC, the only unambiguous way to say it.
    """
    zone = timezone.utc if options.tz in UTC_ZONES else ZoneInfo(options.tz)
    start_utc = datetime.combine(day, options.time, tzinfo=zone).astimezone(timezone.utc)
    end_utc = start_utc + timedelta(minutes=minutes)
    end = end_utc.astimezone(zone)
    return start_utc.astimezone(zone), end_utc if end.fold else end


class EventContent(NamedTuple):
    """Everything a client shows of one event; its fingerprint decides whether it changed."""

    uid: str
    day: date
    summary: str
    description: str
    start: date | datetime
    end: date | datetime
    categories: tuple[str, ...] = ()
    alarm: timedelta | None = None
    status: str | None = None

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of the content (times as written, with their zone)."""
        content = {
            "uid": self.uid, "summary": self.summary, "description": self.description,
            "start": _canonical_time(self.start), "end": _canonical_time(self.end),
            "categories": list(self.categories), "status": self.status or "CONFIRMED",
            "alarm": None if self.alarm is None else vDDDTypes(self.alarm).to_ical().decode(),
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical_time(value: date | datetime) -> str:
    """A date as ``YYYY-MM-DD``; a time as local ISO plus its zone key (``Z`` for UTC)."""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is timezone.utc:
        return value.replace(tzinfo=None).isoformat() + "Z"
    return f"{value.replace(tzinfo=None).isoformat()}[{value.tzinfo}]"


def plan_events(plan: Plan, options: CalendarOptions) -> list[EventContent]:
    """The content of every plan day's event, in plan order."""
    phase_names = {p.id: p.name for p in plan.phases}
    plan_id = plan_uid(plan)
    return [_day_content(plan_id, day, phase_names[day.phase], options) for day in plan.days]


def _day_content(plan_id: str, day: Day, phase_name: str, options: CalendarOptions) -> EventContent:
    """One day's event: timed if asked for and it is a session with a length, else all-day."""
    session = day.kind != "rest"
    if options.timed and session and day.total_minutes > 0:
        start, end = session_span(day.date, options, day.total_minutes)
        alarm = None if options.reminder is None else -options.reminder
    else:
        start, end = day.date, exclusive_end(day.date)
        alarm = ALL_DAY_REMINDER if options.reminder is not None else None
    return EventContent(
        uid=day_uid(plan_id, day.date), day=day.date, summary=day.title,
        description=day.details, start=start, end=end, categories=(phase_name,),
        alarm=alarm if session else None,
    )


def cancelled_content(record: EventRecord) -> EventContent:
    """The all-day STATUS:CANCELLED event that replaces an event the plan no longer has."""
    return EventContent(
        uid=record.uid, day=record.date, summary=CANCELLED_SUMMARY,
        description=CANCELLED_DESCRIPTION, start=record.date,
        end=exclusive_end(record.date), status="CANCELLED",
    )


class Revision(NamedTuple):
    """The events to write with their SEQUENCE/LAST-MODIFIED, and what changed.

    `counts` has ``changed``, ``added``, ``cancelled`` (this time) and ``unchanged``; it is
    None on a first generation (no previous calendar of the same plan).
    """

    plan_id: str
    events: tuple[tuple[EventContent, EventRecord], ...]
    cancelled: tuple[tuple[EventContent, EventRecord], ...]
    counts: dict[str, int] | None

    def history(self) -> CalendarHistory:
        """The records plan.json keeps, for the next regeneration."""
        return CalendarHistory(self.plan_id, tuple(r for _, r in self.events),
                               tuple(r for _, r in self.cancelled))


def revise(plan: Plan, options: CalendarOptions | None = None,
           previous: CalendarHistory | None = None, now: datetime | None = None) -> Revision:
    """Give each event its SEQUENCE and LAST-MODIFIED against the `previous` generation.

    Without `previous` (or for another plan identity) every event is SEQUENCE 0 with no
    LAST-MODIFIED. Otherwise an event whose fingerprint is unchanged keeps its record; a
    changed, new or returning one gets SEQUENCE + 1 (0 if new) and LAST-MODIFIED = `now`;
    a UID the plan no longer has is written once as STATUS:CANCELLED (raised once, then
    kept as it is in later generations). `now` must be an aware datetime when `previous`
    is given.
    """
    plan_id = plan_uid(plan)
    contents = plan_events(plan, options or CalendarOptions())
    if previous is None or previous.plan_id != plan_id:
        return Revision(plan_id, tuple((c, _record(c, None, None)) for c in contents), (), None)
    if now is None:
        raise ValueError("now is needed to stamp LAST-MODIFIED when revising a calendar")
    stamp = _utc(now)
    current = {c.uid for c in contents}
    gone = [cancelled_content(previous.record(uid)) for uid in _known_uids(previous)
            if uid not in current]
    gone.sort(key=lambda c: (c.day, c.uid))
    tally: Counter[str] = Counter()
    events = tuple(_revised(c, previous, stamp, tally) for c in contents)
    cancelled = tuple(_revised(c, previous, stamp, tally) for c in gone)
    counts = {k: tally[k] for k in ("changed", "added", "cancelled", "unchanged")}
    return Revision(plan_id, events, cancelled, counts)


def _known_uids(history: CalendarHistory) -> list[str]:
    """Every UID of a history, live events first, each once."""
    return list(dict.fromkeys(r.uid for r in history.events + history.cancelled))


def _revised(content: EventContent, previous: CalendarHistory, now: datetime,
             tally: Counter[str]) -> tuple[EventContent, EventRecord]:
    """The content with its new record; counts what happened to it in `tally`."""
    before = previous.record(content.uid)
    fingerprint = content.fingerprint()
    if before is not None and before.fingerprint == fingerprint:
        tally["unchanged"] += 1
        return content, before
    if before is None:
        tally["added"] += 1
        return content, _record(content, 0, now)
    tally["cancelled" if content.status == "CANCELLED" else "changed"] += 1
    return content, _record(content, before.sequence + 1, now)


def _record(content: EventContent, sequence: int | None, now: datetime | None) -> EventRecord:
    """A record of `content` at `sequence` (0 if None), last modified `now` (or never)."""
    return EventRecord(content.uid, content.day, sequence or 0, now, content.fingerprint())


def to_ics(plan: Plan, stamp: datetime, options: CalendarOptions | None = None,
           previous: CalendarHistory | None = None, now: datetime | None = None) -> bytes:
    """Render `plan` as iCalendar bytes (UTF-8, CRLF, folded at 75 octets).

    `stamp` becomes every event's DTSTAMP; it must be timezone-aware and is converted to UTC.
    `options` chooses timed sessions, reminders and the calendar name; `previous` and `now`
    are the earlier generation's records and the time of this one (see `revise`).
    """
    options = options or CalendarOptions()
    return render_calendar(plan, stamp, options, revise(plan, options, previous, now))


def render_calendar(plan: Plan, stamp: datetime, options: CalendarOptions,
                    revision: Revision) -> bytes:
    """Render the events of `revision` (from `revise`) as iCalendar bytes."""
    # Same bytes as `.to_ical()` (the tests compare them), folded without its per-character loop.
    return fold_lines(build_calendar(plan, stamp, options, revision).content_lines())


def build_calendar(plan: Plan, stamp: datetime, options: CalendarOptions,
                   revision: Revision) -> Calendar:
    """The icalendar `Calendar` of the events of `revision` (from `revise`)."""
    cal = Calendar.new(prodid=PRODID, method="PUBLISH", uid=calendar_uid(plan))
    _add_calendar_text(cal, options.calendar_name or calendar_name(plan),
                       calendar_description(plan))
    entries = revision.events + revision.cancelled
    for tzid in sorted({str(c.start.tzinfo) for c, _ in entries if _has_tzid(c.start)}):
        # One day past the end: a late session may finish after midnight.
        cal.add_component(vtimezone(tzid, plan.start, exclusive_end(plan.end)))
    utc_stamp = _utc(stamp)
    for content, record in entries:
        cal.add_component(_event(content, record, utc_stamp))
    return cal


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
        categories=list(content.categories),
        last_modified=record.last_modified,
        status=content.status,
    )
    if content.alarm is not None:
        event.add_component(Alarm.new_display(description=content.summary, trigger=content.alarm))
    return event


def _utc(stamp: datetime) -> datetime:
    """Return `stamp` in UTC without microseconds; a naive stamp is ambiguous, so refuse it."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware (DTSTAMP is written in UTC)")
    return stamp.astimezone(timezone.utc).replace(microsecond=0)
