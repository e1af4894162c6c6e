"""The content of each calendar event: what a client shows, and its fingerprint.

One `EventContent` per plan day (all-day, or timed at the runner's hour in their zone), plus
the cancelled event that replaces a day the plan no longer has. The fingerprint of the content
is what `planner.calendar.revision` compares between generations. Nothing here does I/O or
reads the clock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from planner.calendar.history import EventRecord
from planner.calendar.options import ALL_DAY_REMINDER, UTC_ZONES, CalendarOptions
from planner.calendar.uids import day_uid, plan_uid
from planner.core.models import Day, Plan

CANCELLED_SUMMARY = "Cancelled: no longer in the plan"
CANCELLED_DESCRIPTION = ("This day is no longer part of the return-to-run plan: the plan was "
                         "regenerated and this event was removed.")


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
    The end is start + `minutes` of real time.

    If the start or the end falls in a repeated local hour (either pass), both are given in
    UTC: clients disagree on which pass a local time there means (ical.js and libical take
    the second, the Python parsers the first), and only UTC says the same instant to all.
    """
    zone = timezone.utc if options.tz in UTC_ZONES else ZoneInfo(options.tz)
    start_utc = datetime.combine(day, options.time, tzinfo=zone).astimezone(timezone.utc)
    end_utc = start_utc + timedelta(minutes=minutes)
    start, end = start_utc.astimezone(zone), end_utc.astimezone(zone)
    if _repeated(start) or _repeated(end):
        return start_utc, end_utc
    return start, end


def _repeated(local: datetime) -> bool:
    """True if this wall time occurs twice that day (its other pass has another offset)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


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
        from icalendar import vDDDTypes  # only here: reading plan.json must not need icalendar

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


def plan_events(plan: Plan, options: CalendarOptions,
                plan_id: str | None = None) -> list[EventContent]:
    """The content of every plan day's event, in plan order, with UIDs from `plan_id`
    (default `plan_uid(plan)`)."""
    phase_names = {p.id: p.name for p in plan.phases}
    plan_id = plan_id or plan_uid(plan)
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


def in_utc(stamp: datetime) -> datetime:
    """Return `stamp` in UTC without microseconds; a naive stamp is ambiguous, so refuse it."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware (DTSTAMP is written in UTC)")
    return stamp.astimezone(timezone.utc).replace(microsecond=0)

