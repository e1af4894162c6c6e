"""Content lines of calendar events, built from icalendar's own value types.

icalendar's `Event.new` and `content_lines` build thousands of `Parameters` objects per plan
(issue 12: about 4,600), which is most of what writing a calendar cost. Here icalendar still
formats and escapes every value (`vText`, `vDDDTypes`, `vCategory`, `vInt` ... ``.to_ical()``);
this module only puts ``NAME;PARAMS:`` in front, in the order icalendar writes them, and
remembers within one plan what repeats (the DTSTAMP, SEQUENCE and TRANSP lines, the dates,
the escaped texts, one alarm per trigger and summary). Folding is `planner.calendar.folding`'s.
The tests compare the result byte for byte with the icalendar objects' output
(tests/reference/ics_objects.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import vCategory, vDDDTypes, vInt, vText

from planner.calendar.events import EventContent
from planner.calendar.history import EventRecord


def text_line(name: str, value: str) -> str:
    """``NAME:value`` with `value` escaped as iCalendar TEXT by icalendar."""
    return f"{name}:{vText(value).to_ical().decode('utf-8')}"


def time_value(value: date | datetime) -> str:
    """``;VALUE=DATE:20260302``, ``;TZID=Europe/Berlin:20260302T070000`` or ``:…Z``."""
    text = vDDDTypes(value).to_ical().decode("ascii")
    if not isinstance(value, datetime):
        return f";VALUE=DATE:{text}"
    if isinstance(value.tzinfo, ZoneInfo):
        # IANA names hold no ``:;,``, so icalendar would not quote them either.
        return f";TZID={value.tzinfo.key}:{text}"
    return f":{text}"


class EventWriter:
    """Writes the VEVENT lines of one plan's events; remembers what repeats between them."""

    def __init__(self, stamp: datetime) -> None:
        """`stamp` is the UTC DTSTAMP of every event (see `planner.calendar.events.in_utc`)."""
        self._stamp = f"DTSTAMP:{vDDDTypes(stamp).to_ical().decode('ascii')}"
        self._texts: dict[tuple[str, str], str] = {}
        self._times: dict[tuple, str] = {}
        self._sequences: dict[int, str] = {}
        self._alarms: dict[tuple[timedelta, str], list[str]] = {}

    def event(self, lines: list[str], content: EventContent, record: EventRecord) -> None:
        """Append the VEVENT of `content` with its revision `record` to `lines`."""
        lines += ("BEGIN:VEVENT", self._text("SUMMARY", content.summary),
                  self._time("DTSTART", content.start), self._time("DTEND", content.end),
                  self._stamp, self._text("UID", content.uid), self._sequence(record.sequence))
        if content.categories:
            lines.append(f"CATEGORIES:{vCategory(list(content.categories)).to_ical().decode()}")
        lines.append(self._text("DESCRIPTION", content.description))
        if record.last_modified is not None:
            lines.append(self._time("LAST-MODIFIED", record.last_modified))
        if content.status is not None:
            lines.append(self._text("STATUS", content.status))
        lines.append("TRANSP:TRANSPARENT")
        if content.alarm is not None:
            lines += self._alarm(content.alarm, content.summary)
        lines.append("END:VEVENT")

    def _text(self, name: str, value: str) -> str:
        """A TEXT line, escaped once per plan for each distinct value."""
        key = (name, value)
        line = self._texts.get(key)
        if line is None:
            line = self._texts[key] = text_line(name, value)
        return line

    def _time(self, name: str, value: date | datetime) -> str:
        """A DATE or DATE-TIME line, formatted once per plan for each distinct value."""
        # Aware times in two zones can be equal instants and still be written differently.
        key = (name, value, type(value), getattr(value, "tzinfo", None))
        line = self._times.get(key)
        if line is None:
            line = self._times[key] = name + time_value(value)
        return line

    def _sequence(self, sequence: int) -> str:
        """The SEQUENCE line (nearly always one of a few small numbers)."""
        line = self._sequences.get(sequence)
        if line is None:
            line = self._sequences[sequence] = f"SEQUENCE:{vInt(sequence).to_ical().decode()}"
        return line

    def _alarm(self, trigger: timedelta, summary: str) -> list[str]:
        """The DISPLAY VALARM firing at `trigger` (relative to the start) showing `summary`."""
        key = (trigger, summary)
        block = self._alarms.get(key)
        if block is None:
            block = self._alarms[key] = [
                "BEGIN:VALARM", "ACTION:DISPLAY", text_line("DESCRIPTION", summary),
                f"TRIGGER:{vDDDTypes(trigger).to_ical().decode('ascii')}", "END:VALARM"]
        return block
