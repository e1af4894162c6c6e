"""Every calendar variant read by six parsers: icalendar, `ical`, vobject and
recurring-ical-events in process
(tests/checks.py), and ical.js (Thunderbird) and libical (Evolution, GNOME) as real programs
(tests/clients.py). All six must read the same instants, texts, status, categories and alarms,
and the two clients must report no parse error.

The sweep covers every site x grade (the quick profile a representative part), all-day and
timed calendars with reminders, timed sessions that start or end in the repeated or skipped
hour of each clock change in the zones where clients were seen to disagree, and regenerated
plans whose dropped days are written as cancelled events.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from .checks import assert_parsers_agree, expected_rows, unfold
from .clients import assert_clients_agree, client_readings, reference_rows
from .helpers import all_cases, make_plan, profiled
from planner.calendar.events import session_span
from planner.calendar.ics import to_ics
from planner.calendar.options import CalendarOptions, parse_reminder, parse_time, parse_tz
from planner.calendar.revision import revise
from planner.core.protocol import load_protocol

PROTOCOL = load_protocol()
STAMP = datetime(2027, 1, 4, 9, 30, tzinfo=timezone.utc)
NOW, LATER = (datetime(2027, 1, 4, 8, 0, tzinfo=timezone.utc),
              datetime(2027, 2, 1, 18, 0, tzinfo=timezone.utc))
CASES = all_cases(PROTOCOL)
# (time, zone, reminder): all-day with and without reminders, and timed sessions in zones
# whose clocks change during the plans (which start in January), at times that meet the change.
VARIANTS = [(None, None, None), (None, None, "30m"), ("07:00", "Europe/Berlin", "1h"),
            ("06:30", "Australia/Sydney", None), ("18:15", "America/New_York", "30m"),
            ("23:30", "Asia/Kolkata", "90m"), ("05:45", "UTC", "2h"),
            ("02:30", "Europe/Berlin", "30m"), ("01:30", "America/New_York", None)]
SWEEP = [(site, grade, VARIANTS[k % len(VARIANTS)]) for k, (site, grade) in enumerate(CASES)]
QUICK = SWEEP[::7]  # 10 cases: every variant at least once
# Zones and session times at which ical.js and libical read a time in the repeated hour an
# hour later than the Python parsers (issue 11), and Berlin's skipped and repeated 02:xx.
DST_ZONES = [("America/New_York", "00:45"), ("Pacific/Chatham", "03:00"),
             ("Australia/Sydney", "01:50"), ("America/St_Johns", "01:30"),
             ("Europe/London", "01:30"), ("Europe/Berlin", "02:30"), ("Europe/Berlin", "02:50")]


def options_for(at: str | None, tz: str | None, reminder: str | None) -> CalendarOptions:
    """CalendarOptions parsed from text, as the CLI parses them."""
    return CalendarOptions(time=None if at is None else parse_time(at),
                           tz=None if tz is None else parse_tz(tz),
                           reminder=None if reminder is None else parse_reminder(reminder))


def clock_changes(tz: str, year: int) -> list[date]:
    """The days of `year` on which `tz` changes its UTC offset."""
    zone, changes = ZoneInfo(tz), []
    day = date(year, 1, 1)
    while day.year == year:
        if datetime.combine(day, time(0), zone).utcoffset() != \
                datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset():
            # Midnight to midnight spans the change, which is on the later day unless the
            # offset had already changed by the end of this one.
            late = datetime.combine(day, time(23, 59), zone).utcoffset()
            after = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
            changes.append(day if late == after else day + timedelta(days=1))
        day += timedelta(days=1)
    return sorted(set(changes))


def dst_calendars() -> list[tuple[str, bytes, int]]:
    """(label, calendar, sessions in a changed hour) for every clock change of 2027 in each
    DST zone: the plan starts four weeks before the change, with Wednesday as the rest day,
    so the change day (a Sunday in every zone here) is a training session."""
    found = []
    for tz, at in DST_ZONES:
        options = options_for(at, tz, "30m")
        for change in clock_changes(tz, 2027):
            start = change - timedelta(days=28 + change.weekday())
            plan = make_plan(PROTOCOL, "metatarsal", 2, start, rest_days=(2,))
            raw = to_ics(plan, STAMP, options)
            assert_parsers_agree(raw, expected_rows(plan, options))
            found.append((f"{tz} {at} {change}", raw, _sessions_at_change(plan, options, change)))
    return found


def _sessions_at_change(plan, options: CalendarOptions, change: date) -> int:
    """How many sessions on `change` start in a skipped hour (so they move) or start or end
    in a repeated one."""
    zone, count = ZoneInfo(options.tz), 0
    for day in plan.days:
        if day.kind == "rest" or day.date != change:
            continue
        start, end = session_span(day.date, options, day.total_minutes)
        moved = start.astimezone(zone).time() != options.time
        count += moved or any(_repeated(t.astimezone(zone)) for t in (start, end))
    return count


def _repeated(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def test_clock_changes_are_found_for_every_zone() -> None:
    assert clock_changes("Europe/Berlin", 2027) == [date(2027, 3, 28), date(2027, 10, 31)]
    assert clock_changes("Australia/Sydney", 2027) == [date(2027, 4, 4), date(2027, 10, 3)]
    assert all(len(clock_changes(tz, 2027)) == 2 for tz, _ in DST_ZONES)


def test_every_site_and_grade_reads_the_same_in_six_parsers() -> None:
    raws = []
    for site, grade, variant in profiled(SWEEP, QUICK):
        options = options_for(*variant)
        plan = make_plan(PROTOCOL, site, grade, date(2027, 1, 4))
        raws.append(to_ics(plan, STAMP, options))
        assert_parsers_agree(raws[-1], expected_rows(plan, options))
    assert_clients_agree(raws)


def test_sessions_in_a_repeated_or_skipped_hour_read_the_same_in_six_parsers() -> None:
    calendars = dst_calendars()
    # Each zone's sessions meet the hour that changed on at least one of its change days.
    for tz, at in DST_ZONES:
        counts = [count for label, _, count in calendars if label.startswith(f"{tz} {at} ")]
        assert len(counts) == 2 and sum(counts) > 0, (tz, at, counts)
    assert_clients_agree([raw for _, raw, _ in calendars])


def test_times_in_a_repeated_hour_are_written_in_utc() -> None:
    # 00:45 in New York on 7 Nov 2027 + 30 min ends at 01:15, a time that happens twice.
    plan = make_plan(PROTOCOL, "metatarsal", 2, date(2027, 10, 4), rest_days=(2,))
    options = options_for("00:45", "America/New_York", None)
    day = next(d for d in plan.days if d.date == date(2027, 11, 7))
    raw = to_ics(plan, STAMP, options)
    start = datetime(2027, 11, 7, 4, 45, tzinfo=timezone.utc)
    end = start + timedelta(minutes=day.total_minutes)
    lines = unfold(raw)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in lines and f"DTEND:{end:%Y%m%dT%H%M%SZ}" in lines
    # The day before, nothing is repeated: local time with its zone, as everywhere else.
    assert "DTSTART;TZID=America/New_York:20271106T004500" in lines


def regenerations() -> list[bytes]:
    """Calendars regenerated over a longer plan of the same runner: the dropped days are
    cancelled events (all-day, and beside timed sessions)."""
    raws = []
    for site, variant in (("metatarsal", (None, None, "30m")),
                          ("tibia-posteromedial", ("06:30", "Australia/Sydney", "1h"))):
        options = options_for(*variant)
        longer = make_plan(PROTOCOL, site, 3, date(2027, 1, 4))
        shorter = make_plan(PROTOCOL, site, 2, date(2027, 1, 4))
        history = revise(longer, options, None, NOW).history()
        raws.append(to_ics(shorter, STAMP, options, history, LATER))
    return raws


def test_cancelled_events_read_the_same_in_six_parsers_with_no_empty_property() -> None:
    raws = regenerations()
    for raw in raws:
        cancelled = [row for row in reference_rows(raw) if row[4] == "CANCELLED"]
        assert cancelled and all(row[5] == [] for row in cancelled)
        assert not [line for line in unfold(raw) if line.endswith(":")]
    assert_clients_agree(raws)
    readings = client_readings(raws)
    assert all(r["errors"] == [] for per_file in readings.values() for r in per_file)


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "LOCALTIME"])
def test_zones_that_depend_on_the_machine_are_refused(zone) -> None:
    from planner.errors import RequestError

    with pytest.raises(RequestError, match="IANA name"):
        parse_tz(zone)
