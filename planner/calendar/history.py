"""What plan.json remembers about each calendar event between generations, and its JSON form.

One record per event written to plan.ics (UID, date, SEQUENCE, LAST-MODIFIED and a fingerprint
of its content), so a plan regenerated into the same folder can raise SEQUENCE on exactly the
events that changed (`planner.calendar.revision`). The JSON form is plan.json's ``calendar``
section. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

from planner.calendar.options import CalendarOptions, options_from_dict
from planner.calendar.uids import day_uid

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# SEQUENCE is a 32-bit signed integer (RFC 5545 3.3.8) that a changed event raises by one, so
# the largest one that can be read back is one below the maximum.
MAX_SEQUENCE = 2**31 - 2
# Event dates are computed on (the next day, a timed session's UTC instant), so a record
# dated at the very ends of the calendar cannot be rewritten; none a plan makes comes close.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class EventRecord(NamedTuple):
    """What plan.json remembers about one calendar event between generations."""

    uid: str
    date: date
    sequence: int
    last_modified: datetime | None
    fingerprint: str


@dataclass(frozen=True)
class CalendarHistory:
    """The calendar state of one generated plan: live events and cancelled ones, by UID."""

    plan_id: str
    events: tuple[EventRecord, ...]
    cancelled: tuple[EventRecord, ...] = ()

    def record(self, uid: str) -> EventRecord | None:
        """The previous record of `uid`, live or cancelled, or None if it is new."""
        return self._by_uid.get(uid)

    @functools.cached_property
    def _by_uid(self) -> dict[str, EventRecord]:
        """Records by UID; a UID listed twice (a hand-edited file) keeps its live record."""
        found: dict[str, EventRecord] = {}
        for record in self.events + self.cancelled:
            found.setdefault(record.uid, record)
        return found


def history_section(history: CalendarHistory, options: CalendarOptions) -> dict[str, Any]:
    """Return plan.json's ``calendar`` section: options and one record per written event."""
    return {
        "plan_id": history.plan_id,
        "options": options.as_dict(),
        "events": [_event_record(r) for r in history.events],
        "cancelled": [_event_record(r) for r in history.cancelled],
    }


def _event_record(record: EventRecord) -> dict[str, Any]:
    """Return one event's revision record."""
    stamp = record.last_modified
    return {
        "uid": record.uid,
        "date": record.date.isoformat(),
        "sequence": record.sequence,
        "last_modified": None if stamp is None else f"{stamp:%Y-%m-%dT%H:%M:%SZ}",
        "fingerprint": record.fingerprint,
    }


def read_history_section(section: Any) -> tuple[CalendarHistory, CalendarOptions]:
    """Read back plan.json's ``calendar`` section; raise ValueError naming the first problem."""
    if not isinstance(section, dict) or not HEX16.match(str(section.get("plan_id"))):
        raise ValueError("its calendar section has no valid plan_id")
    history = CalendarHistory(
        plan_id=section["plan_id"],
        events=_records(section.get("events"), "events", section["plan_id"]),
        cancelled=_records(section.get("cancelled"), "cancelled", section["plan_id"]),
    )
    return history, options_from_dict(section.get("options"))


def _records(items: Any, key: str, plan_id: str) -> tuple[EventRecord, ...]:
    """Parse a list of event records; raise ValueError naming the list on any problem."""
    if not isinstance(items, list):
        raise ValueError(f"its calendar {key} is not a list")
    try:
        return tuple(_parse_record(item, plan_id) for item in items)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"its calendar {key} list holds a malformed record ({exc})") from None


def _parse_record(item: dict[str, Any], plan_id: str) -> EventRecord:
    """One record from its JSON form; raises KeyError/TypeError/ValueError when malformed."""
    day = date.fromisoformat(item["date"])
    sequence, stamp, fingerprint = item["sequence"], item["last_modified"], item["fingerprint"]
    # Only UIDs this plan would write itself: they are copied into plan.ics as cancellations.
    if item["uid"] != day_uid(plan_id, day) or type(sequence) is not int:
        raise ValueError("bad uid or sequence")
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} is outside 0-{MAX_SEQUENCE}")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"date {day.isoformat()} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    if not isinstance(fingerprint, str) or not HEX64.match(fingerprint):
        raise ValueError("bad fingerprint")
    return EventRecord(
        uid=item["uid"],
        date=day,
        sequence=sequence,
        last_modified=None if stamp is None else _parse_utc(stamp),
        fingerprint=fingerprint,
    )


def _parse_utc(text: str) -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
