"""Timed sessions, VTIMEZONEs, reminders and calendar revisions on real plans.

Every calendar here is rendered from a real plan and read back by three independent parsers
(icalendar, `ical`, vobject). icalendar and `ical` resolve an IANA TZID from their own zone
data, while vobject reads our VTIMEZONE, so each VTIMEZONE is also read directly by all
three libraries' VTIMEZONE readers and compared with zoneinfo on every day of the plan.

The three-parser sweep gives every site × grade one calendar variant and one DST-crossing
start (64 cases) in the full profile; the quick profile (see conftest.py) runs 8 of them, every
variant once, and test_ics.py's quick sweep lints the other 8 sites all-day.
RTR_FULL_ICS_SWEEP=1 runs every site × grade in every calendar variant and both DST-crossing
start dates; RTR_FULL_TZ_SWEEP=1 checks the VTIMEZONE of every zone zoneinfo knows.
"""

from __future__ import annotations

import functools
import json
import os
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from icalendar import Calendar

from planner.calendar.history import CalendarHistory, history_section
from planner.calendar.options import (
    CalendarOptions,
    format_reminder,
    parse_reminder,
    parse_time,
    parse_tz,
)
from planner.core.engine import build_plan
from planner.errors import RequestError
from planner.files.plan_json import read_calendar_section, to_json
from planner.calendar.events import CANCELLED_SUMMARY
from planner.calendar.ics import calendar_description, calendar_name, to_ics
from planner.calendar.revision import revise
from planner.calendar.uids import plan_uid
from planner.core.models import Plan, PlanRequest
from planner.core.protocol import load_protocol
from planner.calendar.vtimezone import observances, vtimezone

from .checks import (
    assert_parsers_agree,
    assert_vtimezone_matches_zoneinfo,
    assert_wire_format,
    expected_rows,
    ical_rows,
    icalendar_rows,
    read_ical,
    read_icalendar,
    read_vobject,
    unfold,
    vobject_rows,
)
from .helpers import all_cases, profiled

PROTOCOL = load_protocol()
SITES = tuple(s.id for s in PROTOCOL.sites)
CASES = all_cases(PROTOCOL)
STAMP = datetime(2026, 1, 5, 9, 30, 15, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 1, 8, 15, 42, 123456, tzinfo=timezone.utc)
LATER = datetime(2027, 1, 9, 18, 0, tzinfo=timezone.utc)
CLEARED = "Dr Test, 2026-01-05"
# Feb → June crosses the northern spring change and Sydney's April change; Sep → Dec crosses
# the northern autumn change and Sydney's October change.
DST_STARTS = (date(2026, 2, 2), date(2026, 9, 7))
# (time, zone, reminder); all-day without a reminder is test_ics.py's sweep.
VARIANTS = [
    (None, None, "30m"),
    ("07:00", "Europe/Berlin", None),
    ("06:30", "Australia/Sydney", "1h"),
    ("18:15", "America/New_York", "30m"),
    ("23:30", "Asia/Kolkata", "90m"),
    ("05:45", "UTC", "2h"),
    ("02:30", "Europe/Berlin", "30m"),
    ("01:30", "America/New_York", None),
]
# Each site x grade once (k is its position); every variant meets every grade and both
# start dates, and every weekday is somebody's rest day.
SWEEP = [
    (site, grade, DST_STARTS[(k // 8) % 2 ^ (k // 32) % 2], VARIANTS[(k + k // 8) % 8],
     (k // 4 + grade) % 7)
    for k, (site, grade) in ((SITES.index(site) * 4 + grade - 1, (site, grade))
                             for site, grade in CASES)
]
# The quick profile's part of SWEEP: 8 sites, one grade each, so every variant once, each start
# date four times, every grade twice and every weekday as a rest day, with a surgeon-led case;
# test_ics.py's quick sweep lints the other 8 sites (all-day) and reads half of them.
QUICK_GRADES = {"tibia-posteromedial": 1, "tibia-anterior": 1, "fibula": 2, "metatarsal": 3,
                "talus": 2, "femoral-shaft": 3, "femoral-neck-compression": 4, "sacrum": 4}
QUICK = [case for case in SWEEP if QUICK_GRADES.get(case[0]) == case[1]]
FULL = [(site, grade, start, variant, 6) for site, grade in CASES for start in DST_STARTS
        for variant in VARIANTS]
PARSER_CASES = FULL if os.environ.get("RTR_FULL_ICS_SWEEP") else profiled(SWEEP, QUICK)


def options_for(variant: tuple[str | None, str | None, str | None], name: str | None = None
                ) -> CalendarOptions:
    """CalendarOptions from the (time, zone, reminder) text, parsed as the CLI parses it."""
    at, tz, reminder = variant
    return CalendarOptions(
        time=None if at is None else parse_time(at), tz=None if tz is None else parse_tz(tz),
        reminder=None if reminder is None else parse_reminder(reminder), calendar_name=name,
    )


@functools.cache
def plan_for(site: str, grade: int, start: date, rest_day: int = 6, athlete: str = "Ana",
             run_days: tuple[int, ...] = ()) -> Plan:
    """Build (once) the real plan; surgeon-led cases carry a clearance, as the CLI requires."""
    referred = next(s for s in PROTOCOL.sites if s.id == site).referral_for(grade) is not None
    request = PlanRequest(site=site, grade=grade, start=start, athlete=athlete,
                          rest_days=(rest_day,), run_days=run_days,
                          cleared_by=CLEARED if referred else None)
    return build_plan(request, PROTOCOL, today=start)


# --- the sweep --------------------------------------------------------------------------


def test_sweep_covers_every_site_grade_variant_and_start() -> None:
    assert {(s, g) for s, g, *_ in SWEEP} == set(CASES)
    assert {(v, d) for _, _, d, v, _ in SWEEP} == {(v, d) for v in VARIANTS for d in DST_STARTS}
    assert {(v, g) for _, g, _, v, _ in SWEEP} == {(v, g) for v in VARIANTS for g in (1, 2, 3, 4)}
    assert {v[1] for v in VARIANTS} >= {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                        "Asia/Kolkata", "UTC", None}
    assert {r for *_, r in SWEEP} == set(range(7))


def test_quick_part_of_the_sweep_covers_every_variant_grade_and_start() -> None:
    from .test_ics import QUICK as ALL_DAY_QUICK

    assert len(QUICK) == len(QUICK_GRADES) == len(VARIANTS)
    assert sorted((v for _, _, _, v, _ in QUICK), key=str) == sorted(VARIANTS, key=str)
    assert sorted(g for _, g, *_ in QUICK) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert sorted(d for _, _, d, _, _ in QUICK) == sorted(DST_STARTS * 4)
    assert {r for *_, r in QUICK} == set(range(7))
    sites = {s.id: s for s in PROTOCOL.sites}
    assert {sites[s].risk for s, *_ in QUICK} == {"low", "high"}
    assert any(sites[s].referral_for(g) for s, g, *_ in QUICK)
    # With test_ics.py's quick lints, every site is linted.
    assert sorted([s for s, *_ in QUICK] + [s for s, *_ in ALL_DAY_QUICK]) == sorted(SITES)
    assert set(QUICK) <= set(PARSER_CASES)


@pytest.mark.parametrize("site,grade,start,variant,rest_day", PARSER_CASES, ids=str)
def test_three_parsers_agree_on_every_event(site, grade, start, variant, rest_day) -> None:
    plan = plan_for(site, grade, start, rest_day)
    options = options_for(variant)
    raw = to_ics(plan, STAMP, options)
    assert_wire_format(raw)
    assert_parsers_agree(raw, expected_rows(plan, options))
    if options.timed and options.tz != "UTC":
        # The whole of the plan's last year: one check serves every plan with this start.
        through = date(plan.end.year, 12, 31)
        assert assert_vtimezone_matches_zoneinfo(raw, plan.start, through, (options.time,)) > 0
    else:
        assert b"BEGIN:VTIMEZONE" not in raw


def test_rest_days_stay_all_day_and_never_have_alarms() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[0])
    raw = to_ics(plan, STAMP, options_for(("07:00", "Europe/Berlin", "30m")))
    rows = icalendar_rows(raw)
    for day, (_, _, start, end, alarms) in zip(plan.days, rows, strict=True):
        if day.kind == "rest":
            assert (start, end, alarms) == (day.date, day.date + timedelta(days=1), [])
        else:
            assert isinstance(start, datetime) and end - start == timedelta(minutes=day.total_minutes)
            assert len(alarms) == 1
    assert {d.kind for d in plan.days} > {"rest"}


def test_sydney_mon_wed_fri_runs_start_at_0630_local_in_every_parser() -> None:
    # The "Done when": runs on Mon/Wed/Fri at 06:30 Sydney time; the two plans
    # cross Sydney's April and October DST changes.
    sydney = ZoneInfo("Australia/Sydney")
    offsets = set()
    for start in (date(2026, 3, 2), date(2026, 8, 3)):
        plan = plan_for("metatarsal", 2, start, run_days=(0, 2, 4))
        raw = to_ics(plan, STAMP, options_for(("06:30", "Australia/Sydney", None)))
        runs = {f"rtr-{plan_uid(plan)}-{d.date:%Y%m%d}@rtr-planner.invalid"
                for d in plan.days if d.kind == "run"}
        assert len(runs) >= 12
        for reader in (icalendar_rows, ical_rows, vobject_rows):
            starts = [row[2].astimezone(sydney) for row in reader(raw) if row[0] in runs]
            assert len(starts) == len(runs)
            assert all((s.hour, s.minute, s.weekday() in (0, 2, 4)) == (6, 30, True) for s in starts)
            offsets |= {s.utcoffset() for s in starts}
        # vobject's own wall time comes from our VTIMEZONE, not from zoneinfo.
        vcal = read_vobject(raw)
        walls = {(e.dtstart.value.hour, e.dtstart.value.minute) for e in vcal.vevent_list
                 if e.uid.value in runs}
        assert walls == {(6, 30)}
    assert offsets == {timedelta(hours=10), timedelta(hours=11)}  # both sides of a change


# --- DST edges: skipped and repeated local times ----------------------------------------


DST_EDGES = [
    # zone, time, plan start, switch day, written DTSTART, start instant (UTC); a skipped
    # time is written as the existing local time it moves to, a repeated one in UTC (the
    # first pass, which every parser then reads alike)
    ("Europe/Berlin", "02:30", date(2026, 2, 2), date(2026, 3, 29), "20260329T033000",
     datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
    ("Europe/Berlin", "02:30", date(2026, 9, 7), date(2026, 10, 25), "20261025T003000Z",
     datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)),
    ("America/New_York", "02:30", date(2026, 2, 2), date(2026, 3, 8), "20260308T033000",
     datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)),
    ("America/New_York", "01:30", date(2026, 9, 7), date(2026, 11, 1), "20261101T053000Z",
     datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)),
    ("Australia/Sydney", "02:30", date(2026, 8, 3), date(2026, 10, 4), "20261004T033000",
     datetime(2026, 10, 3, 16, 30, tzinfo=timezone.utc)),
    ("Australia/Sydney", "02:30", date(2026, 2, 2), date(2026, 4, 5), "20260404T153000Z",
     datetime(2026, 4, 4, 15, 30, tzinfo=timezone.utc)),
]


@pytest.mark.parametrize("tz,at,start,switch,written,instant", DST_EDGES, ids=str)
def test_skipped_and_repeated_times_follow_rfc5545_in_every_parser(tz, at, start, switch,
                                                                   written, instant) -> None:
    # Rest on Wednesday, so the Sunday of the change is a training session.
    plan = plan_for("metatarsal", 2, start, rest_day=2)
    day = next(d for d in plan.days if d.date == switch)
    assert day.kind != "rest"
    options = options_for((at, tz, "30m"))
    raw = to_ics(plan, STAMP, options)
    assert (f"DTSTART:{written}" if written.endswith("Z") else f"DTSTART;TZID={tz}:{written}") \
        in unfold(raw)
    expected = expected_rows(plan, options)
    assert_parsers_agree(raw, expected)
    row = expected[plan.days.index(day)]
    assert row[2] == instant and row[3] == instant + timedelta(minutes=day.total_minutes)


def test_end_in_the_repeated_hour_is_written_in_utc() -> None:
    # 02:50 CEST + 20 min or more ends in the second pass of 02:00-03:00 (CET): only UTC
    # says which 02:10 is meant.
    plan = plan_for("metatarsal", 1, date(2026, 9, 7), rest_day=2)
    day = next(d for d in plan.days if d.date == date(2026, 10, 25))
    assert 10 < day.total_minutes <= 70
    options = options_for(("02:50", "Europe/Berlin", None))
    raw = to_ics(plan, STAMP, options)
    end = datetime(2026, 10, 25, 0, 50, tzinfo=timezone.utc) + timedelta(minutes=day.total_minutes)
    assert f"DTEND:{end:%Y%m%dT%H%M%SZ}" in unfold(raw)
    assert_parsers_agree(raw, expected_rows(plan, options))


# --- the VTIMEZONE builder ---------------------------------------------------------------


def components(tzid: str, first: date, last: date) -> list[tuple]:
    """(kind, DTSTART, RRULE or None, from, to, name) per component, as written."""
    comp = vtimezone(tzid, first, last)
    rows = []
    for sub in comp.subcomponents:
        rrule = sub.get("RRULE")
        rows.append((sub.name, sub.decoded("DTSTART"), None if rrule is None else
                     rrule.to_ical().decode(), sub["TZOFFSETFROM"].to_ical(),
                     sub["TZOFFSETTO"].to_ical(), str(sub.get("TZNAME"))))
    return rows


def test_berlin_is_two_yearly_rules_starting_the_year_before() -> None:
    assert components("Europe/Berlin", date(2026, 2, 2), date(2026, 6, 1)) == [
        ("DAYLIGHT", datetime(2025, 3, 30, 2), "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "+0100", "+0200", "CEST"),
        ("STANDARD", datetime(2025, 10, 26, 3), "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "+0200", "+0100", "CET"),
    ]


def test_new_york_and_sydney_rules() -> None:
    assert components("America/New_York", date(2026, 9, 7), date(2027, 1, 3)) == [
        ("DAYLIGHT", datetime(2025, 3, 9, 2), "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "-0500", "-0400", "EDT"),
        ("STANDARD", datetime(2025, 11, 2, 2), "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", "-0400", "-0500", "EST"),
    ]
    assert components("Australia/Sydney", date(2026, 2, 2), date(2026, 6, 1)) == [
        ("STANDARD", datetime(2025, 4, 6, 3), "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4", "+1100", "+1000", "AEST"),
        ("DAYLIGHT", datetime(2025, 10, 5, 2), "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", "+1000", "+1100", "AEDT"),
    ]


def test_zone_without_dst_is_one_fixed_standard() -> None:
    assert components("Asia/Kolkata", date(2026, 2, 2), date(2026, 6, 1)) == [
        ("STANDARD", datetime(1970, 1, 1), None, "+0530", "+0530", "IST"),
    ]


def test_negative_dst_data_still_calls_summer_time_daylight() -> None:
    # tzdata gives Europe/Dublin a negative DST in winter; clients expect IST as DAYLIGHT.
    kinds = {(kind, name) for kind, _, _, _, _, name in
             components("Europe/Dublin", date(2026, 2, 2), date(2026, 6, 1))}
    assert kinds == {("DAYLIGHT", "IST"), ("STANDARD", "GMT")}


def test_rules_that_changed_in_range_fall_back_to_dated_components() -> None:
    # The US moved its DST dates in 2007: the 2006 rule (first Sunday of April, last Sunday of
    # October) no longer holds, so it is written as dated onsets; 2007-2008 share one rule.
    rows = components("America/New_York", date(2008, 2, 4), date(2008, 6, 1))
    assert rows == [
        ("DAYLIGHT", datetime(2007, 3, 11, 2), "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "-0500", "-0400", "EDT"),
        ("STANDARD", datetime(2007, 11, 4, 2), "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", "-0400", "-0500", "EST"),
    ]
    rows = components("America/New_York", date(2007, 2, 5), date(2007, 6, 1))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("DAYLIGHT", datetime(2006, 4, 2, 2), None), ("STANDARD", datetime(2006, 10, 29, 2), None),
        ("DAYLIGHT", datetime(2007, 3, 11, 2), None), ("STANDARD", datetime(2007, 11, 4, 2), None),
    ]


def test_plan_across_a_rule_change_reads_the_same_in_every_parser() -> None:
    plan = plan_for("metatarsal", 2, date(2007, 2, 5), rest_day=2)
    options = options_for(("02:30", "America/New_York", "1h"))
    raw = to_ics(plan, STAMP, options)
    assert_wire_format(raw)
    assert_parsers_agree(raw, expected_rows(plan, options))
    assert assert_vtimezone_matches_zoneinfo(raw, plan.start, plan.end) > 0


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/Dublin",
         "Australia/Lord_Howe", "Africa/Casablanca", "America/Santiago", "America/Nuuk",
         "Asia/Gaza", "Pacific/Chatham", "Pacific/Kiritimati", "Etc/GMT+12", "Antarctica/Troll"]
RANGES = [(date(2026, 2, 2), date(2026, 6, 1)), (date(2026, 9, 7), date(2027, 3, 1))]
ALL_ZONES = sorted(available_timezones()) if os.environ.get("RTR_FULL_TZ_SWEEP") else ZONES


@pytest.mark.parametrize("tzid", ALL_ZONES)
def test_vtimezone_readers_match_zoneinfo_on_every_day(tzid: str) -> None:
    # Half-hour DST (Lord Howe), two-hour DST (Troll), Ramadan suspensions (Casablanca),
    # Saturday-night changes (Santiago, Gaza), +14 and -12 hours.
    for first, last in RANGES:
        cal = Calendar.new(prodid="-//test//EN")
        cal.add_component(vtimezone(tzid, first, last))
        assert assert_vtimezone_matches_zoneinfo(cal.to_ical(), first, last) > 0


def test_vtimezone_covers_the_first_event() -> None:
    for tzid in ZONES:
        found = observances(ZoneInfo(tzid), date(2026, 1, 5), date(2026, 6, 1))
        assert found[0].start <= datetime(2026, 1, 4), tzid


# --- reminders --------------------------------------------------------------------------


@pytest.mark.parametrize("text,minutes", [("30m", 30), ("1h", 60), ("90m", 90), ("2h", 120),
                                          (" 45M ", 45), ("24h", 1440)])
def test_reminder_amounts(text: str, minutes: int) -> None:
    assert parse_reminder(text) == timedelta(minutes=minutes)
    assert parse_reminder(format_reminder(timedelta(minutes=minutes))) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "0m", "30", "30 min", "1.5h", "-30m", "25h", "1d", "soon"])
def test_other_reminders_are_refused(text: str) -> None:
    with pytest.raises(RequestError, match="is not a reminder; use minutes or hours"):
        parse_reminder(text)


def test_all_day_reminder_is_the_evening_before_at_2000() -> None:
    plan = plan_for("fibula", 1, DST_STARTS[0])
    raw = to_ics(plan, STAMP, options_for((None, None, "1h")))
    cal = Calendar.from_ical(raw)
    for ev, day in zip(cal.events, plan.days, strict=True):
        alarms = list(ev.walk("VALARM"))
        assert len(alarms) == (day.kind != "rest")
        for alarm in alarms:
            assert alarm["TRIGGER"].dt == timedelta(hours=-4)
            fires = datetime.combine(day.date, time()) + alarm["TRIGGER"].dt
            assert (fires.date(), fires.time()) == (day.date - timedelta(days=1), time(20, 0))
    assert "TRIGGER:-PT4H" in unfold(raw)


def test_no_reminder_means_no_alarm() -> None:
    raw = to_ics(plan_for("fibula", 1, DST_STARTS[0]), STAMP, options_for(("07:00", "UTC", None)))
    assert b"VALARM" not in raw


# --- options ----------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [("07:00", time(7)), ("7:05", time(7, 5)),
                                           ("00:00", time(0)), ("23:59", time(23, 59))])
def test_session_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "7", "07:60", "7am", "07:00:00", "", "12:3"])
def test_bad_session_times_are_refused(text: str) -> None:
    with pytest.raises(RequestError, match="is not a time of day; use HH:MM"):
        parse_time(text)


def test_zone_names_are_iana_names_with_suggestions() -> None:
    assert parse_tz("europe/berlin") == "Europe/Berlin"
    with pytest.raises(RequestError) as caught:
        parse_tz("Europe/Berlinn")
    assert str(caught.value) == ("unknown time zone 'Europe/Berlinn'. Did you mean Europe/Berlin? "
                                 "Use an IANA name such as Europe/London.")
    with pytest.raises(RequestError, match="unknown time zone 'CEST'\\. (Did you mean .*)?Use an"):
        parse_tz("CEST")


def test_options_must_be_consistent() -> None:
    for bad in (dict(time=time(7)), dict(tz="Europe/Berlin"), dict(time=time(7), tz="Mars/Base"),
                dict(reminder=timedelta(0)), dict(calendar_name="  ")):
        with pytest.raises(ValueError):
            CalendarOptions(**bad)


NASTY = 'Zoë "Z" O\'Neil, Jr; A\\B\nsecond line 🏃\u200d♀️'


def unescape_text(value: str) -> str:
    """RFC 5545 TEXT unescaping, for a parser that hands back the raw value."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


@pytest.mark.parametrize("name", [None, "Reha; Plan, Ana \\ Z\nZeile 2 🦴🏃"])
def test_awkward_text_round_trips_in_every_parser(name: str | None) -> None:
    plan = plan_for("navicular", 2, DST_STARTS[1], athlete=NASTY)
    options = options_for(("07:00", "Europe/Berlin", "30m"), name=name)
    raw = to_ics(plan, STAMP, options)
    assert_wire_format(raw)
    title = name or calendar_name(plan)
    assert NASTY in calendar_description(plan) and (name or NASTY in title)
    cal = read_icalendar(raw)
    assert all(component.errors == [] for component in cal.walk())
    # icalendar 7.3.0 types NAME/X-WR-CALNAME as unknown and hands back the escaped TEXT.
    assert [unescape_text(str(cal[p])) for p in ("NAME", "X-WR-CALNAME")] == [title, title]
    assert str(cal["DESCRIPTION"]) == calendar_description(plan)
    ical_cal = read_ical(raw)
    assert ical_cal.name == [title] and ical_cal.description == [calendar_description(plan)]
    vcal = read_vobject(raw)
    assert [vcal.contents[p][0].value for p in ("name", "x-wr-calname")] == [title, title]
    assert vcal.contents["description"][0].value == calendar_description(plan)
    assert_parsers_agree(raw, expected_rows(plan, options))


def test_calendar_name_overrides_both_name_properties() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[1])
    raw = to_ics(plan, STAMP, CalendarOptions(calendar_name="Ana – rehab"))
    lines = unfold(raw)
    assert "X-WR-CALNAME:Ana – rehab" in lines and "NAME:Ana – rehab" in lines


# --- revisions: SEQUENCE, LAST-MODIFIED, CANCELLED --------------------------------------


def revision_rows(raw: bytes) -> dict[str, tuple]:
    """{uid: (sequence, last_modified, status, summary)} as each parser reads them; agreeing."""
    by_icalendar = {str(e["UID"]): (int(e["SEQUENCE"]), e.get("LAST-MODIFIED") and
                                    e["LAST-MODIFIED"].dt, e.get("STATUS") and str(e["STATUS"]),
                                    str(e["SUMMARY"])) for e in read_icalendar(raw).events}
    by_ical = {e.uid: (e.sequence, e.last_modified, e.status and str(e.status.value), e.summary)
               for e in read_ical(raw).events}
    vcal = read_vobject(raw)
    by_vobject = {e.uid.value: (int(e.sequence.value), e.contents.get("last-modified") and
                                e.last_modified.value, e.contents.get("status") and
                                e.status.value, e.summary.value) for e in vcal.vevent_list}
    assert by_icalendar == by_ical == by_vobject
    return by_icalendar


def generation(plan: Plan, options: CalendarOptions, previous: CalendarHistory | None,
               now: datetime) -> tuple[bytes, CalendarHistory, dict | None]:
    """Render one generation and read its history back through plan.json."""
    revision = revise(plan, options, previous, now)
    raw = to_ics(plan, STAMP, options, previous, now)
    document = json.loads(to_json(plan, history_section(revision.history(), options)))
    history, stored_options = read_calendar_section(document)
    assert history == revision.history() and stored_options == options
    return raw, history, revision.counts


def test_first_generation_is_sequence_0_without_last_modified() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[0])
    raw, history, counts = generation(plan, CalendarOptions(), None, NOW)
    assert counts is None
    assert raw == to_ics(plan, STAMP)
    assert set(revision_rows(raw).values()) >= {(0, None, None, plan.days[0].title)}
    assert all(r.sequence == 0 and r.last_modified is None for r in history.events)
    assert history.cancelled == ()


def test_same_input_regenerates_identical_bytes() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[0])
    options = options_for(("07:00", "Europe/Berlin", "30m"))
    raw1, history1, _ = generation(plan, options, None, NOW)
    raw2, history2, counts = generation(plan, options, history1, LATER)
    assert raw2 == raw1 and history2 == history1
    assert counts == {"changed": 0, "added": 0, "cancelled": 0, "unchanged": len(plan.days)}


def test_changed_plan_raises_sequence_only_where_content_changed() -> None:
    # Same athlete, site and start (same plan identity), lower grade: a shorter plan.
    long_plan = plan_for("metatarsal", 3, DST_STARTS[0])
    short_plan = plan_for("metatarsal", 2, DST_STARTS[0])
    options = CalendarOptions()
    _, first, _ = generation(long_plan, options, None, NOW)
    raw, second, counts = generation(short_plan, options, first, LATER)
    rows = revision_rows(raw)
    before = {r.uid: r for r in first.events}
    kept = [e for e in second.events if e.fingerprint == before[e.uid].fingerprint]
    changed = [e for e in second.events if e.fingerprint != before[e.uid].fingerprint]
    assert kept and changed
    for record in kept:
        assert rows[record.uid][:3] == (0, None, None)
    for record in changed:
        assert rows[record.uid][:3] == (1, LATER, None)
    removed = set(before) - {e.uid for e in second.events}
    assert len(removed) == len(long_plan.days) - len(short_plan.days) > 0
    assert {r.uid for r in second.cancelled} == removed
    for uid in removed:
        assert rows[uid] == (1, LATER, "CANCELLED", CANCELLED_SUMMARY)
    assert raw.count(b"UID:") == len(long_plan.days) + 1  # + the calendar's own UID
    assert counts == {"changed": len(changed), "added": 0, "cancelled": len(removed),
                      "unchanged": len(kept)}


def test_later_regenerations_keep_cancelled_events_once_and_bring_them_back() -> None:
    long_plan = plan_for("metatarsal", 3, DST_STARTS[0])
    short_plan = plan_for("metatarsal", 2, DST_STARTS[0])
    options = CalendarOptions()
    _, first, _ = generation(long_plan, options, None, NOW)
    raw2, second, _ = generation(short_plan, options, first, NOW)
    raw3, third, counts = generation(short_plan, options, second, LATER)
    assert raw3 == raw2 and third == second  # nothing changes the second time
    assert counts["changed"] == counts["cancelled"] == counts["added"] == 0
    raw4, fourth, counts = generation(long_plan, options, third, LATER)
    rows = revision_rows(raw4)
    back = {r.uid for r in third.cancelled}
    assert fourth.cancelled == () and b"CANCELLED" not in raw4
    for uid in back:
        assert rows[uid][:3] == (2, LATER, None)
    assert counts["changed"] >= len(back)


def test_a_new_time_changes_every_session_but_not_rest_days() -> None:
    plan = plan_for("fibula", 2, DST_STARTS[1])
    _, first, _ = generation(plan, CalendarOptions(), None, NOW)
    raw, _, counts = generation(plan, options_for(("07:00", "Europe/Berlin", None)), first, LATER)
    rests = sum(d.kind == "rest" for d in plan.days)
    assert counts == {"changed": len(plan.days) - rests, "added": 0, "cancelled": 0,
                      "unchanged": rests}
    assert_parsers_agree(raw, expected_rows(plan, options_for(("07:00", "Europe/Berlin", None))))


def test_history_of_another_plan_is_ignored() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[0])
    other = plan_for("metatarsal", 2, DST_STARTS[0], athlete="Ben")
    _, history, _ = generation(other, CalendarOptions(), None, NOW)
    assert revise(plan, CalendarOptions(), history, NOW).counts is None
    assert to_ics(plan, STAMP, None, history, NOW) == to_ics(plan, STAMP)


def test_revising_needs_an_aware_now() -> None:
    plan = plan_for("metatarsal", 2, DST_STARTS[0])
    history = revise(plan).history()
    with pytest.raises(ValueError, match="now is needed"):
        revise(plan, None, history, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        revise(plan_for("metatarsal", 1, DST_STARTS[0]), None, history, datetime(2026, 1, 1))


@pytest.mark.parametrize("document,message", [
    ([], "schema"),
    ({"schema": "other"}, "schema"),
    ({"schema": "rtr-planner/plan/1", "calendar": {"plan_id": "xyz"}}, "plan_id"),
    ({"schema": "rtr-planner/plan/1", "calendar": {"plan_id": "0" * 16, "events": {}}}, "events"),
    ({"schema": "rtr-planner/plan/1", "calendar": {"plan_id": "0" * 16, "events": [{"uid": "a"}],
                                                   "cancelled": []}}, "malformed record"),
    # A UID of another plan (or anything else) must never be copied into plan.ics.
    ({"schema": "rtr-planner/plan/1", "calendar": {"plan_id": "0" * 16, "cancelled": [], "events": [
        {"uid": "rtr-1111111111111111-20260302@rtr-planner.invalid", "date": "2026-03-02",
         "sequence": 0, "last_modified": None, "fingerprint": "0" * 64}]}}, "bad uid"),
])
def test_malformed_calendar_sections_are_refused(document, message) -> None:
    with pytest.raises(ValueError, match=message):
        read_calendar_section(document)
    assert read_calendar_section({"schema": "rtr-planner/plan/1"}) is None
