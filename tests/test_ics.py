"""The .ics output of real plans, checked by three independent parsers and by our own lints.

No single parser catches everything (calendar-interop reference §D.4): icalendar records
broken values in `.errors`, `ical` checks value types, vobject insists on required
properties. The lints cover what none of them check: CRLF, 75-octet lines, exclusive DTEND,
unique deterministic UIDs, METHOD, no alarms, no HTML.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from planner.core.engine import build_plan
from planner.calendar.events import exclusive_end
from planner.calendar.ics import PRODID, calendar_description, calendar_name, to_ics
from planner.calendar.uids import event_uid, plan_uid
from planner.core.models import Plan, PlanRequest
from planner.core.protocol import load_protocol

from .helpers import all_cases, clearance, examples, profiled

PROTOCOL = load_protocol()
SITES = tuple(s.id for s in PROTOCOL.sites)
GRADES = (1, 2, 3, 4)
# Across a year end and on a leap day: the two places date arithmetic usually breaks.
STARTS = (date(2026, 12, 28), date(2028, 2, 29))
CASES = all_cases(PROTOCOL)
# Each site/grade once; the start date alternates by site and by grade, so every site and
# every grade meets both awkward dates.
SWEEP = [
    (site, grade, STARTS[(SITES.index(site) + grade) % len(STARTS)]) for site, grade in CASES
]
# The quick profile's part of SWEEP for the lints: the 8 sites test_calendar_options.py's quick
# sweep leaves out (so between them every site is linted), every grade twice, every grade on
# both start dates; half of them, every grade once, go through the three parsers too, a
# low-risk and a surgeon-led case among them.
QUICK_GRADES = {"metatarsal-2-base": 1, "metatarsal-5-base": 4, "navicular": 2, "calcaneus": 2,
                "medial-malleolus": 3, "sesamoid": 3, "femoral-neck-tension": 1, "pubic-ramus": 4}
QUICK = [case for case in SWEEP if QUICK_GRADES.get(case[0]) == case[1]]
QUICK_THREE_PARSER = [case for case in QUICK
                      if case[0] in ("metatarsal-5-base", "calcaneus", "medial-malleolus",
                                     "femoral-neck-tension")]
# Every site x grade goes through all three parsers in the full profile (one start date each,
# alternating); RTR_FULL_ICS_SWEEP=1 also runs each on both start dates.
FULL = [(site, grade, start) for site, grade in CASES for start in STARTS]
LINT_CASES = profiled(SWEEP, QUICK)
THREE_PARSER_CASES = (FULL if os.environ.get("RTR_FULL_ICS_SWEEP")
                      else profiled(SWEEP, QUICK_THREE_PARSER))
STAMP = datetime(2026, 1, 5, 9, 30, 15, tzinfo=timezone.utc)
NASTY_ATHLETE = 'Zoë "Z" O\'Neil, Jr; A\\B\nsecond line 🏃\u200d♀️'
UID_RE = re.compile(r"^rtr-[0-9a-f]{16}-\d{8}@rtr-planner\.invalid$")
HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def make_request(site: str, grade: int, start: date, athlete: str = "Ana") -> PlanRequest:
    """A request; referred combinations carry a clearance, as the CLI would require."""
    return PlanRequest(
        site=site, grade=grade, start=start, athlete=athlete,
        cleared_by=clearance(start) if _referral(site, grade) else None,
    )


def _referral(site: str, grade: int) -> bool:
    """True when this site/grade is surgeon-led (planned only once cleared)."""
    return next(s for s in PROTOCOL.sites if s.id == site).referral_for(grade) is not None


@functools.cache
def plan_for(site: str, grade: int, start: date, athlete: str = "Ana") -> Plan:
    """Build (once) the real plan for these inputs."""
    return build_plan(make_request(site, grade, start, athlete), PROTOCOL, today=start)


@functools.cache
def ics_for(site: str, grade: int, start: date) -> bytes:
    """Render (once) the real plan for these inputs."""
    return to_ics(plan_for(site, grade, start), STAMP)


def unfold(raw: bytes) -> list[str]:
    """Content lines with RFC 5545 folding undone (CRLF + one space/tab continues a line)."""
    text = raw.decode("utf-8")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT unescaping, for parsers that hand back the raw value."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


# --- our own lints on the raw bytes -----------------------------------------------------


def assert_wire_format(raw: bytes) -> None:
    """CRLF everywhere including the last line, ≤75 octets per physical line, ASCII ids."""
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    lines = unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert f"PRODID:{PRODID}" in lines and PRODID.isascii()
    assert "VERSION:2.0" in lines and "METHOD:PUBLISH" in lines
    assert not any(line.startswith("METHOD:") and line != "METHOD:PUBLISH" for line in lines)
    assert "BEGIN:VALARM" not in lines
    assert not any("TZID=" in line.partition(":")[0] for line in lines)
    assert all(line.isascii() for line in lines if line.startswith("UID:"))


def assert_all_day_lines(raw: bytes, n_days: int) -> None:
    """Every DTSTART/DTEND is an explicit VALUE=DATE with a basic-format date."""
    lines = unfold(raw)
    starts = [ln for ln in lines if ln.startswith("DTSTART")]
    ends = [ln for ln in lines if ln.startswith("DTEND")]
    assert len(starts) == len(ends) == n_days
    assert all(re.fullmatch(r"DTSTART;VALUE=DATE:\d{8}", ln) for ln in starts)
    assert all(re.fullmatch(r"DTEND;VALUE=DATE:\d{8}", ln) for ln in ends)


def lint_rows(raw: bytes) -> list[tuple]:
    """(uid, summary, start, end) per VEVENT straight from the content lines.

    A deliberately dumb reader: cheap enough to run on every plan, and independent of the
    library that wrote the file.
    """
    rows, event = [], {}
    for line in unfold(raw):
        name, _, value = line.partition(":")
        if line == "END:VEVENT":
            rows.append((event["UID"], event["SUMMARY"], event["DTSTART"], event["DTEND"]))
            event = {}
        elif name in ("UID", "SUMMARY"):
            event[name] = unescape_text(value)
        elif name in ("DTSTART;VALUE=DATE", "DTEND;VALUE=DATE"):
            event[name.split(";")[0]] = datetime.strptime(value, "%Y%m%d").date()
    return rows


# --- the three parsers, reduced to comparable rows --------------------------------------


def icalendar_rows(raw: bytes) -> list[tuple]:
    """(uid, summary, start, end, description) per event, via icalendar, with no errors."""
    cal = Calendar.from_ical(raw)
    cal.validate()
    assert all(component.errors == [] for component in cal.walk())
    rows = []
    for ev in cal.events:
        assert ev["DTSTART"].params.get("VALUE") == "DATE"
        assert ev["DTEND"].params.get("VALUE") == "DATE"
        rows.append((str(ev["UID"]), str(ev["SUMMARY"]), ev.start, ev.end, str(ev["DESCRIPTION"])))
    return rows


def ical_rows(raw: bytes) -> list[tuple]:
    """The same rows via allenporter's `ical` (strict about value types)."""
    cal = IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))
    return [(e.uid, e.summary, e.dtstart, e.dtend, e.description) for e in cal.events]


def vobject_rows(raw: bytes) -> list[tuple]:
    """The same rows via vobject, with its required-property validation on."""
    cal = vobject.readOne(raw.decode("utf-8"), validate=True)
    assert cal.validate(raiseException=True)
    return [
        (e.uid.value, e.summary.value, e.dtstart.value, e.dtend.value, e.description.value)
        for e in cal.vevent_list
    ]


def expected_rows(plan: Plan) -> list[tuple]:
    """What every parser must read back: one all-day event per plan day, in order."""
    return [
        (event_uid(plan, d), d.title, d.date, d.date + timedelta(days=1), d.details)
        for d in plan.days
    ]


def assert_date_types(rows: list[tuple]) -> None:
    """All-day means `date`, never `datetime` (a subclass, so check the exact type)."""
    assert all(type(r[2]) is date and type(r[3]) is date for r in rows)


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("site,grade,start", LINT_CASES, ids=str)
def test_every_site_grade_gives_well_formed_all_day_file(site: str, grade: int, start: date) -> None:
    plan = plan_for(site, grade, start)
    raw = ics_for(site, grade, start)
    assert_wire_format(raw)
    assert_all_day_lines(raw, len(plan.days))
    rows = lint_rows(raw)
    assert rows == [r[:4] for r in expected_rows(plan)]
    assert len({r[0] for r in rows}) == len(rows)
    assert all(UID_RE.match(r[0]) for r in rows)


@pytest.mark.parametrize("site,grade,start", THREE_PARSER_CASES, ids=str)
def test_three_parsers_agree(site: str, grade: int, start: date) -> None:
    plan = plan_for(site, grade, start)
    raw = ics_for(site, grade, start)
    rows = icalendar_rows(raw)
    assert rows == expected_rows(plan)
    by_ical, by_vobject = ical_rows(raw), vobject_rows(raw)
    assert by_ical == rows
    assert by_vobject == rows
    for parsed in (rows, by_ical, by_vobject):
        assert_date_types(parsed)
    assert not any(HTML_RE.search(r[1]) or HTML_RE.search(r[4]) for r in rows)


def test_sweeps_cover_every_site_grade_and_start() -> None:
    assert {(s, g) for s, g, _ in SWEEP} == set(CASES)
    for full in (SWEEP, FULL):  # the full profile's three-parser sweep, and RTR_FULL_ICS_SWEEP's
        assert {s for s, _, _ in full} == set(SITES)
        assert {(g, d) for _, g, d in full} == {(g, d) for g in GRADES for d in STARTS}


def test_quick_parts_of_the_sweeps_cover_every_grade_and_start() -> None:
    assert len(QUICK) == len(QUICK_GRADES) == 8
    assert sorted(g for _, g, _ in QUICK) == sorted(GRADES * 2)
    assert {(g, d) for _, g, d in QUICK} == {(g, d) for g in GRADES for d in STARTS}
    assert sorted(g for _, g, _ in QUICK_THREE_PARSER) == list(GRADES)
    assert sorted(d for _, _, d in QUICK_THREE_PARSER) == sorted(STARTS * 2)
    assert any(_referral(s, g) for s, g, _ in QUICK_THREE_PARSER)
    assert "low" in {next(x for x in PROTOCOL.sites if x.id == s).risk
                     for s, _, _ in QUICK_THREE_PARSER}
    assert set(QUICK) <= set(LINT_CASES)
    assert set(QUICK_THREE_PARSER) <= set(THREE_PARSER_CASES)


def test_event_properties() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0])
    cal = Calendar.from_ical(to_ics(plan, STAMP))
    phase_names = {p.id: p.name for p in plan.phases}
    for ev, day in zip(cal.events, plan.days, strict=True):
        assert ev.DTSTAMP == STAMP
        assert int(ev["SEQUENCE"]) == 0
        assert str(ev["TRANSP"]) == "TRANSPARENT"
        assert ev.categories == [phase_names[day.phase]]
        assert ev.subcomponents == []
        assert not HTML_RE.search(str(ev["DESCRIPTION"]))
        assert not HTML_RE.search(str(ev["SUMMARY"]))


def test_calendar_properties() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0])
    cal = Calendar.from_ical(to_ics(plan, STAMP))
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert unescape_text(str(cal["X-WR-CALNAME"])) == calendar_name(plan)
    assert unescape_text(str(cal["NAME"])) == calendar_name(plan)
    assert calendar_name(plan) == f"Return to run · Ana · {plan.site.name}"
    assert str(cal["DESCRIPTION"]) == calendar_description(plan)
    assert unescape_text(str(cal["X-WR-CALDESC"])) == calendar_description(plan)


def test_description_summarises_plan() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0])
    text = calendar_description(plan)
    for part in (plan.site.name, plan.site.risk, plan.grade.name, plan.start.isoformat(),
                 plan.first_run.isoformat(), plan.end.isoformat()):
        assert part in text
    assert "\n" not in text
    assert "Cleared" not in text


def test_description_names_clearance_for_referred_case() -> None:
    site, grade = next((s, g) for s, g in CASES if _referral(s, g))
    plan = plan_for(site, grade, STARTS[0])
    cleared = clearance(STARTS[0])
    assert f"Cleared for conservative rehab by: {cleared}" in calendar_description(plan)
    vcal = vobject.readOne(to_ics(plan, STAMP).decode("utf-8"))
    assert cleared in vcal.contents["x-wr-caldesc"][0].value


def test_awkward_athlete_name_round_trips_through_calendar_name() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0], NASTY_ATHLETE)
    name = calendar_name(plan)
    assert NASTY_ATHLETE in name
    raw = to_ics(plan, STAMP)
    assert_wire_format(raw)
    # icalendar types X-WR-CALNAME/NAME as "unknown" and hands back the escaped TEXT.
    cal = Calendar.from_ical(raw)
    assert all(component.errors == [] for component in cal.walk())
    assert unescape_text(str(cal["X-WR-CALNAME"])) == name
    assert unescape_text(str(cal["NAME"])) == name
    vcal = vobject.readOne(raw.decode("utf-8"), validate=True)
    assert vcal.contents["x-wr-calname"][0].value == name
    assert vcal.contents["name"][0].value == name
    ical_cal = IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))
    assert ical_cal.name == [name]
    extra = next(x for x in ical_cal.extras if x.name == "x-wr-calname")
    assert unescape_text(extra.value) == name


def test_same_inputs_give_identical_bytes() -> None:
    plan = plan_for("navicular", 3, STARTS[1])
    rebuilt = build_plan(make_request("navicular", 3, STARTS[1]), load_protocol(), today=STARTS[1])
    assert to_ics(plan, STAMP) == to_ics(plan, STAMP) == to_ics(rebuilt, STAMP)
    # The same instant in another zone is the same DTSTAMP.
    assert to_ics(plan, STAMP.astimezone(timezone(timedelta(hours=-5)))) == to_ics(plan, STAMP)


def test_naive_stamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_ics(plan_for("metatarsal", 1, STARTS[0]), datetime(2026, 1, 5, 9, 30))


def test_uids_are_disjoint_across_athlete_site_and_start() -> None:
    base = plan_for("metatarsal", 2, STARTS[0])
    others = [
        plan_for("metatarsal", 2, STARTS[0], "Ben"),
        plan_for("fibula", 2, STARTS[0]),
        plan_for("metatarsal", 2, STARTS[0] + timedelta(days=1)),
    ]
    uids = {r[0] for r in lint_rows(to_ics(base, STAMP))}
    for other in others:
        assert plan_uid(other) != plan_uid(base)
        assert uids.isdisjoint(r[0] for r in lint_rows(to_ics(other, STAMP)))


def test_plan_uid_is_sha256_of_plan_identity() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0], NASTY_ATHLETE)
    canonical = json.dumps(
        {"athlete": NASTY_ATHLETE, "site": "metatarsal", "start": "2026-12-28"},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    assert plan_uid(plan) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    day = plan.days[3]
    assert event_uid(plan, day) == f"rtr-{plan_uid(plan)}-{day.date:%Y%m%d}@rtr-planner.invalid"


def test_grade_does_not_change_plan_identity() -> None:
    # UIDs follow the injury (athlete, site, start), so a re-graded plan replaces the old one.
    assert plan_uid(plan_for("metatarsal", 1, STARTS[0])) == plan_uid(
        plan_for("metatarsal", 3, STARTS[0])
    )


@pytest.mark.parametrize("day", [date(2026, 12, 31), date(2028, 2, 28), date(2028, 2, 29)])
def test_exclusive_end_is_next_calendar_day(day: date) -> None:
    assert exclusive_end(day) == day + timedelta(days=1)
    assert exclusive_end(day) > day


@settings(max_examples=examples(12, quick=4), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(CASES),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_any_start_date_gives_contiguous_all_day_events(case: tuple[str, int], start: date) -> None:
    plan = build_plan(make_request(*case, start), PROTOCOL, today=start)
    raw = to_ics(plan, STAMP)
    assert_wire_format(raw)
    rows = lint_rows(raw)
    assert rows == [r[:4] for r in expected_rows(plan)]
    first = rows[0][2]
    assert [r[2] for r in rows] == [first + timedelta(days=i) for i in range(len(rows))]
    assert all(r[3] == exclusive_end(r[2]) for r in rows)
