"""Build an RRULE-based VTIMEZONE for one IANA zone over a plan's date range, from zoneinfo.

Why not icalendar's ``add_missing_timezones()``: it writes each observance as a long RDATE list
(1970-2038), and dateutil's ``tzical`` (so vobject) reads events after a DST change one hour off
with those; Outlook is also known to handle RRULE-style definitions better (calendar-interop
reference, C.3 and D.3). Here the DST switches zoneinfo knows for the years the plan touches,
plus the year before (so every observance starts before the first event), are turned back
into yearly rules:

* each switch is described as month + n-th or last weekday + local wall time (in the offset
  in force before it, as RFC 5545 wants for ``DTSTART``) + offsets + TZNAME;
* switches of the same kind in consecutive years that share one description become one
  STANDARD or DAYLIGHT component with ``RRULE:FREQ=YEARLY;BYMONTH=…;BYDAY=…``;
* only a rule still in force in the last year of the range becomes an RRULE (open-ended:
  no event lies beyond the range); a rule that stopped earlier, or a switch that fits no
  yearly rule (a one-off change, Ramadan suspensions), is written as dated components, one
  per switch, with no RRULE (and one ``RDATE`` equal to its ``DTSTART``, see `_component`);
* a zone with no switch in range is one STANDARD component with its fixed offset.

There is deliberately no ``RRULE;UNTIL``: RFC 5545 wants it in UTC, but dateutil (vobject)
compares it with naive local times and ``ical`` refuses a UTC ``UNTIL`` next to a local
``DTSTART``, so a zone whose rules changed would be read differently by different parsers.

Which observance is DAYLIGHT: the one with positive DST, or, in a zone whose data uses
negative DST (Europe/Dublin's winter), the one with the larger offset; Outlook expects
daylight to be the later clock.
"""

from __future__ import annotations

import calendar as _calendar
import functools
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import (Timezone, TimezoneDaylight, TimezoneStandard, vDDDTypes, vRecur, vText,
                       vUTCOffset)

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FIXED_DTSTART = datetime(1970, 1, 1)
# Every zone's offset or name holds for far longer than a day between changes, so comparing
# the state once a day finds each change; bisection then finds its second. (It was 6 hours,
# at four times the cost; tests compare the two scans over every zone and many years.)
SCAN_STEP = timedelta(days=1)


class Switch(NamedTuple):
    """One change of offset or name: its instant, wall time just before it and what follows."""

    utc: datetime
    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    def key(self) -> tuple[bool, timedelta, timedelta, str]:
        """Switches that can share one VTIMEZONE component have equal keys."""
        return (self.daylight, self.offset_from, self.offset_to, self.name)


class Observance(NamedTuple):
    """One STANDARD or DAYLIGHT component: onset, offsets, name and optional yearly rule."""

    daylight: bool
    start: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    rule: tuple[int, int, int] | None = None  # (month, ordinal 1-5 or -1, weekday 0=Mon)


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """Return a VTIMEZONE for IANA zone `tzid` valid for every instant from `first` to `last`.

    The rules are read from zoneinfo for the years ``first.year - 1`` … ``last.year``.
    """
    component = Timezone()
    component.add("TZID", tzid)
    for observance in observances(ZoneInfo(tzid), first, last):
        component.add_component(_component(observance))
    return component


@functools.lru_cache(maxsize=256)
def vtimezone_lines(tzid: str, first: date, last: date) -> tuple[str, ...]:
    """The unfolded content lines of `vtimezone` (the same bytes), computed once per process.

    Zone data does not change while the process runs, so a batch of plans in one zone builds
    its VTIMEZONE once.
    """
    lines = ["BEGIN:VTIMEZONE", f"TZID:{vText(tzid).to_ical().decode()}"]
    for observance in observances(ZoneInfo(tzid), first, last):
        lines += _component_lines(observance)
    lines.append("END:VTIMEZONE")
    return tuple(lines)


def _component_lines(observance: Observance) -> list[str]:
    """The lines of `_component`, in icalendar's order (DTSTART, then the others sorted)."""
    kind = "DAYLIGHT" if observance.daylight else "STANDARD"
    onset = vDDDTypes(observance.start).to_ical().decode()
    lines = [f"BEGIN:{kind}", f"DTSTART:{onset}"]
    lines.append(f"RRULE:{_rrule(observance).to_ical().decode()}" if observance.rule is not None
                 else f"RDATE:{onset}")
    if observance.name:
        lines.append(f"TZNAME:{vText(observance.name).to_ical().decode()}")
    lines += [f"TZOFFSETFROM:{vUTCOffset(observance.offset_from).to_ical()}",
              f"TZOFFSETTO:{vUTCOffset(observance.offset_to).to_ical()}", f"END:{kind}"]
    return lines


def observances(zone: ZoneInfo, first: date, last: date) -> list[Observance]:
    """The observances describing `zone` from `first` to `last`, onsets in time order."""
    begin = datetime(first.year - 1, 1, 1, tzinfo=timezone.utc)
    end = datetime(last.year + 1, 1, 1, tzinfo=timezone.utc)
    found = [obs for run in _runs(find_switches(zone, begin, end))
             for obs in _run_observances(run, last.year)]
    found.sort(key=lambda o: o.start)
    # Something must be in force before the first event: the offset at the range's start.
    if not found or found[0].start > datetime.combine(first, time()) - timedelta(days=1):
        found.insert(0, _fixed(zone, begin))
    return found


def find_switches(zone: ZoneInfo, begin: datetime, end: datetime,
                  step: timedelta = SCAN_STEP) -> list[Switch]:
    """Every change of UTC offset or zone name in [begin, end), found by scanning and bisection."""
    count = -(-(end - begin) // step)
    instants = [begin + i * step for i in range(count)] + [end]
    locals_ = [t.astimezone(zone) for t in instants]
    states = [(local.utcoffset(), local.tzname()) for local in locals_]
    found = [_bisect(zone, instants[i], instants[i + 1]) for i in range(count)
             if states[i] != states[i + 1]]
    negative_dst = any(_local(zone, s).dst() < timedelta(0) for s in found)
    return [_switch(zone, s, negative_dst) for s in found]


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta | None, str | None]:
    """What a clock in `zone` shows as offset and abbreviation at `instant`."""
    local = _local(zone, instant)
    return (local.utcoffset(), local.tzname())


def _local(zone: ZoneInfo, instant: datetime) -> datetime:
    """`instant` (UTC) as an aware wall-clock time in `zone`."""
    return instant.astimezone(zone)


def _bisect(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first whole second at which the state differs from the state at `before`."""
    start_state = _state(zone, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            middle = before + timedelta(seconds=1)
        if _state(zone, middle) == start_state:
            before = middle
        else:
            after = middle
    return after


def _switch(zone: ZoneInfo, instant: datetime, negative_dst: bool) -> Switch:
    """Describe the change at `instant`; wall time is given in the offset in force before it."""
    previous = _local(zone, instant - timedelta(seconds=1))
    following = _local(zone, instant)
    offset_from, offset_to = previous.utcoffset(), following.utcoffset()
    return Switch(
        utc=instant,
        local=(instant + offset_from).replace(tzinfo=None),
        offset_from=offset_from,
        offset_to=offset_to,
        name=following.tzname() or "",
        daylight=_is_daylight(following, previous, negative_dst),
    )


def _is_daylight(following: datetime, previous: datetime, negative_dst: bool) -> bool:
    """DAYLIGHT is the observance with positive DST (or the later clock in negative-DST data)."""
    if negative_dst:
        return following.dst() == timedelta(0) and following.utcoffset() > previous.utcoffset()
    return following.dst() > timedelta(0)


def _rules(switch: Switch) -> set[tuple[int, int, int]]:
    """Yearly rules (month, ordinal, weekday) that put a switch on this switch's date."""
    local = switch.local
    days_in_month = _calendar.monthrange(local.year, local.month)[1]
    rules = {(local.month, (local.day - 1) // 7 + 1, local.weekday())}
    if local.day + 7 > days_in_month:
        rules.add((local.month, -1, local.weekday()))
    return rules


Run = tuple[list[Switch], set[tuple[int, int, int]]]


def _runs(switches: list[Switch]) -> list[Run]:
    """Group switches of one kind in consecutive years that share a yearly rule and time."""
    runs: list[Run] = []
    latest_by_key: dict[tuple, int] = {}
    for switch in switches:
        index = latest_by_key.get(switch.key())
        if index is not None and _extends(runs[index], switch):
            members, rules = runs[index]
            runs[index] = (members + [switch], rules & _rules(switch))
        else:
            latest_by_key[switch.key()] = len(runs)
            runs.append(([switch], _rules(switch)))
    return runs


def _extends(run: Run, switch: Switch) -> bool:
    """True when `switch` is next year's occurrence of the rule `run` follows."""
    members, rules = run
    last = members[-1]
    return (switch.local.year == last.local.year + 1
            and switch.local.time() == last.local.time()
            and bool(rules & _rules(switch)))


def _run_observances(run: Run, last_year: int) -> list[Observance]:
    """A yearly RRULE for a run still in force in `last_year`, else one dated onset per switch."""
    members, rules = run
    first = members[0]
    if len(members) > 1 and members[-1].local.year == last_year:
        # Prefer "last weekday" where it fits: it is how late-month rules are defined.
        rule = max(rules, key=lambda r: (r[1] == -1, r))
        return [Observance(first.daylight, first.local, first.offset_from, first.offset_to,
                           first.name, rule)]
    return [Observance(s.daylight, s.local, s.offset_from, s.offset_to, s.name)
            for s in members]


def _fixed(zone: ZoneInfo, instant: datetime) -> Observance:
    """A STANDARD observance holding the offset in force at `instant` since 1970."""
    local = _local(zone, instant)
    offset = local.utcoffset()
    return Observance(False, FIXED_DTSTART, offset, offset, local.tzname() or "")


def _component(observance: Observance) -> TimezoneStandard | TimezoneDaylight:
    """The iCalendar STANDARD/DAYLIGHT component for one observance."""
    component = TimezoneDaylight() if observance.daylight else TimezoneStandard()
    component.add("DTSTART", observance.start)
    component.add("TZOFFSETFROM", vUTCOffset(observance.offset_from))
    component.add("TZOFFSETTO", vUTCOffset(observance.offset_to))
    if observance.rule is not None:
        component.add("RRULE", _rrule(observance))
    else:
        # RFC 5545 makes DTSTART the onset by itself, but ical's VTIMEZONE reader only sees
        # onsets from RRULE/RDATE; one RDATE equal to DTSTART serves both readings.
        component.add("RDATE", observance.start)
    if observance.name:
        component.add("TZNAME", observance.name)
    return component


def _rrule(observance: Observance) -> vRecur:
    """``FREQ=YEARLY;BYMONTH=m;BYDAY=nWD``, e.g. the last Sunday of March is ``-1SU``."""
    month, ordinal, weekday = observance.rule
    return vRecur({"FREQ": "YEARLY", "BYMONTH": month,
                   "BYDAY": f"{ordinal}{WEEKDAY_CODES[weekday]}"})
