"""The line-based calendar writer (issue 12) writes exactly the bytes the icalendar-object
writer it replaced wrote (tests/reference/ics_objects.py), and the daily VTIMEZONE scan finds
exactly the switches the 6-hour scan found (tests/reference/vtimezone_scan.py).

Every site x grade, with every option set: all-day, reminders, timed in several zones (a
Berlin DST edge at 02:30, UTC at 23:30, the southern hemisphere), hostile calendar names, and
first runs as well as regenerations carrying cancelled events."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from .helpers import FULL_PROFILE, profiled
from .reference import ics_objects, vtimezone_scan
from .test_calendar_options import CASES, options_for, plan_for
from planner.calendar import vtimezone
from planner.calendar.ics import event_calendar, render_calendar
from planner.calendar.options import _zones
from planner.calendar.revision import revise

STAMP = datetime(2026, 11, 22, 7, 5, 9, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
START = date(2026, 3, 2)  # crosses Berlin's change on 2026-03-29 (02:30 is skipped there)
HOSTILE = 'Zoë; "club", A\\B\nline 2 🏃 ^ \u202eRTL'
OPTION_SETS = {
    "all-day": ((None, None, None), None),
    "all-day-reminder": ((None, None, "30m"), None),
    "berlin-0230": (("02:30", "Europe/Berlin", "45m"), None),
    "utc-2330": (("23:30", "UTC", "1h"), None),
    "sydney": (("06:30", "Australia/Sydney", None), HOSTILE),
    "new-york-hostile": (("18:00", "America/New_York", "24h"), HOSTILE),
}
SWEEP = [(site, grade, name) for site, grade in CASES for name in OPTION_SETS]
QUICK = [case for case in SWEEP if case[1] == 2 or case[2] == "berlin-0230"]


def generations(site: str, grade: int, name: str):
    """(plan, revision) for a first run, then a regeneration at a lower grade (fewer days, so
    cancelled events) and one at a higher grade (cancelled events coming back)."""
    variant, calendar_name = OPTION_SETS[name]
    options = options_for(variant, calendar_name)
    plan = plan_for(site, grade, START)
    first = revise(plan, options, None, NOW)
    yield plan, options, first
    history = first.history()
    for other in (max(grade - 1, 1), min(grade + 1, 4)):
        if (site, other) not in CASES:
            continue
        again = plan_for(site, other, START)
        revision = revise(again, options, history, LATER)
        yield again, options, revision
        history = revision.history()


@pytest.mark.parametrize("site,grade,name", profiled(SWEEP, QUICK))
def test_line_writer_matches_the_icalendar_object_writer(site, grade, name) -> None:
    for plan, options, revision in generations(site, grade, name):
        expected = ics_objects.render_calendar(plan, STAMP, options, revision)
        assert render_calendar(plan, STAMP, options, revision) == expected


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_event_calendars_match_the_icalendar_object_writer(name) -> None:
    for plan, options, revision in generations("metatarsal", 3, name):
        for content, record in revision.events + revision.cancelled:
            assert (event_calendar(plan, STAMP, content, record)
                    == ics_objects.event_calendar(plan, STAMP, content, record))


ZONES = sorted(_zones().values())
YEARS = [1975, 1996, 2011, 2014, 2016, 2022, 2026, 2027, 2031, 2037]
QUICK_ZONES = ["Europe/Berlin", "Europe/Dublin", "Africa/Casablanca", "America/Sao_Paulo",
               "Asia/Tehran", "Australia/Lord_Howe", "Pacific/Apia", "America/Santiago",
               "Antarctica/Troll", "Asia/Gaza", "Europe/Moscow", "UTC"]


@pytest.mark.parametrize("year", YEARS if FULL_PROFILE else [2016, 2026])
def test_daily_scan_finds_the_switches_of_the_six_hour_scan(year) -> None:
    begin = datetime(year - 1, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 2, 1, 1, tzinfo=timezone.utc)
    for tzid in ZONES if FULL_PROFILE or year == 2026 else QUICK_ZONES:
        zone = ZoneInfo(tzid)
        assert (vtimezone.find_switches(zone, begin, end)
                == vtimezone_scan.find_switches(zone, begin, end)), tzid


@pytest.mark.parametrize("year", [2011, 2026, 2037])
def test_vtimezone_lines_match_the_icalendar_components(year) -> None:
    first, last = date(year, 2, 2), date(year + 1, 6, 1) + timedelta(days=1)
    for tzid in ZONES if FULL_PROFILE or year == 2026 else QUICK_ZONES:
        expected = vtimezone_scan.vtimezone(tzid, first, last).content_lines()
        assert list(vtimezone.vtimezone_lines(tzid, first, last)) == expected[:-1], tzid
