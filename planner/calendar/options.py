"""Calendar options: session time, time zone, reminder and calendar name.

The options change only the calendar; the plan itself is the same. Each option's parser
raises RequestError with a how-to-fix message, so the command line and plan.json's reader
check them alike. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import available_timezones

from planner.errors import RequestError
from planner.core.request import check_text

# Written as `…Z` times with no VTIMEZONE: every client reads UTC the same way.
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal",
                       "Zulu", "Etc/Zulu"})
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
REMINDER_RE = re.compile(r"^(\d{1,4})\s*(m|h)$")
MAX_REMINDER = timedelta(hours=24)
# All-day sessions remind at 20:00 the evening before: 4 hours before their local midnight.
ALL_DAY_REMINDER = timedelta(hours=-4)


@dataclass(frozen=True)
class CalendarOptions:
    """How the calendar shows the plan; the defaults give all-day events with no reminder.

    `time` and `tz` go together (timed sessions at that local time in that IANA zone);
    `reminder` is how long before a timed session its alarm fires (all-day sessions remind
    at 20:00 the evening before); `calendar_name` replaces the generated calendar name.
    """

    time: time | None = None
    tz: str | None = None
    reminder: timedelta | None = None
    calendar_name: str | None = None

    def __post_init__(self) -> None:
        if (self.time is None) != (self.tz is None):
            raise ValueError("time and tz go together: give both for timed sessions, or neither")
        if self.tz is not None and self.tz != parse_tz(self.tz):
            raise ValueError(f"tz must be a canonical IANA zone name, not {self.tz!r}")
        if self.reminder is not None and not timedelta(0) < self.reminder <= MAX_REMINDER:
            raise ValueError("reminder must be more than 0 and at most 24 hours")
        if self.calendar_name is not None and not self.calendar_name.strip():
            raise ValueError("calendar_name must not be empty")

    @property
    def timed(self) -> bool:
        """True when training sessions are timed events."""
        return self.time is not None

    def as_dict(self) -> dict[str, str | None]:
        """The options as plan.json records them (time HH:MM, reminder like ``30m``)."""
        return {
            "time": None if self.time is None else f"{self.time:%H:%M}",
            "tz": self.tz,
            "reminder": None if self.reminder is None else format_reminder(self.reminder),
            "calendar_name": self.calendar_name,
        }


def parse_time(text: str) -> time:
    """Parse a session start time ``HH:MM`` (00:00-23:59); raise RequestError otherwise."""
    match = TIME_RE.match(text.strip())
    if not match:
        raise RequestError("time", f"'{text}' is not a time of day; use HH:MM from 00:00 to "
                                   "23:59, e.g. 07:00.")
    return time(int(match[1]), int(match[2]))


# Names in the zone database that are not a place's time: what they mean depends on the
# machine that wrote the calendar ("localtime" is that machine's own setting, "posixrules" its
# default rules) or is no time at all ("Factory" is the placeholder "-00").
NOT_ZONES = {
    "localtime": "is this machine's own zone setting, not a zone a calendar can name",
    "posixrules": "is this machine's default rule set, not a zone a calendar can name",
    "factory": "is the zone database's placeholder for an unset clock, not a real zone",
}


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone zoneinfo knows, keyed by its lower-case name (not `NOT_ZONES`)."""
    return {name.lower(): name for name in available_timezones()
            if name.lower() not in NOT_ZONES}


def parse_tz(text: str) -> str:
    """Return the IANA zone name for `text` (case-insensitive); unknown names suggest up to 3."""
    zones = _zones()
    word = text.strip().lower()
    if word in zones:
        return zones[word]
    if word in NOT_ZONES:
        raise RequestError("tz", f"'{text.strip()}' {NOT_ZONES[word]}; use the IANA name of "
                                 "the runner's zone, such as Europe/London.")
    close = _close_zones(word)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise RequestError("tz", f"unknown time zone '{text}'.{hint} Use an IANA name such as "
                             "Europe/London.")


def _close_zones(word: str) -> list[str]:
    """Up to 3 zones whose name, or whose city part alone (``Sydney``), is close to `word`.

    Only Region/City names (and UTC) are suggested: legacy abbreviations such as ``EST``
    are fixed offsets, a poor answer to someone who typed ``CEST``.
    """
    import difflib  # only to suggest close names after a typo

    zones = {k: v for k, v in _zones().items() if "/" in k or k == "utc"}
    cities: dict[str, str] = {}
    for key in sorted(zones):
        cities.setdefault(key.rsplit("/", 1)[-1], key)
    found = difflib.get_close_matches(word, list(zones), n=3, cutoff=0.85)
    found += [cities[c] for c in difflib.get_close_matches(word.rsplit("/", 1)[-1],
                                                            list(cities), n=3, cutoff=0.8)]
    return [zones[key] for key in dict.fromkeys(found)][:3]


def parse_reminder(text: str) -> timedelta | None:
    """Parse ``none`` or minutes/hours before the session: ``30m``, ``90m``, ``1h``, ``2h``."""
    word = text.strip().lower()
    if word == "none":
        return None
    match = REMINDER_RE.match(word)
    amount = None if match is None else timedelta(
        **{"minutes" if match[2] == "m" else "hours": int(match[1])})
    if amount is None or not timedelta(0) < amount <= MAX_REMINDER:
        raise RequestError("reminder", f"'{text}' is not a reminder; use minutes or hours "
                                       "before the session, e.g. 30m, 90m, 1h, 2h (at most "
                                       "24h), or none.")
    return amount


def parse_calendar_name(text: str) -> str:
    """A calendar name: not blank, and no control characters (they are not iCalendar TEXT)."""
    if not text.strip():
        raise RequestError("calendar_name", "the calendar name is empty; give a name or leave "
                                            "--calendar-name out.")
    check_text("calendar_name", text)
    return text


def format_reminder(amount: timedelta) -> str:
    """``1h`` for whole hours, else minutes: ``30m``, ``90m``."""
    minutes = int(amount.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def options_from_dict(data: dict) -> CalendarOptions:
    """Rebuild options from their plan.json form; raise ValueError if it is malformed."""
    if not isinstance(data, dict):
        raise ValueError("calendar options are not an object")
    at, tz = data.get("time"), data.get("tz")
    reminder, name = data.get("reminder"), data.get("calendar_name")
    try:
        return CalendarOptions(
            time=None if at is None else parse_time(str(at)),
            tz=None if tz is None else parse_tz(str(tz)),
            reminder=None if reminder is None else parse_reminder(str(reminder)),
            calendar_name=None if name is None else str(name),
        )
    except RequestError as exc:
        raise ValueError(str(exc)) from None
