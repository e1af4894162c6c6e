"""The JSON export of real plans: schema, one entry per calendar day, deterministic bytes."""

from __future__ import annotations

import functools
import json
from datetime import date, timedelta

import pytest

from planner.core.engine import build_plan
from planner.files.plan_json import SCHEMA, WEEKDAYS, to_json
from planner.core.models import KINDS, PHASE_IDS, WEIGHT_BEARING, Plan, PlanRequest
from planner.core.protocol import load_protocol

from .helpers import all_cases, clearance

PROTOCOL = load_protocol()
SITES = tuple(s.id for s in PROTOCOL.sites)
CASES = all_cases(PROTOCOL)
STARTS = (date(2026, 12, 28), date(2028, 2, 29))

TOP_KEYS = ["schema", "protocol_version", "request", "site", "grade", "summary",
            "phases", "days", "milestones"]
REQUEST_KEYS = ["site", "grade", "start", "athlete", "rest_days", "run_days", "week_start",
                "cross", "bodyweight_support", "cleared_by", "usual_minutes"]
SITE_KEYS = ["id", "name", "risk", "bone"]
GRADE_KEYS = ["number", "name"]
SUMMARY_KEYS = ["start", "first_run", "end", "weeks", "days", "weight_bearing"]
PHASE_KEYS = ["id", "name", "start", "end", "gate_name"]
DAY_KEYS = ["date", "phase", "week", "kind", "title", "session", "stage", "weight_bearing",
            "run_minutes", "walk_minutes", "total_minutes", "gate", "details"]
MILESTONE_KEYS = ["date", "name", "detail"]


def _referred(site: str, grade: int) -> bool:
    """True when this site/grade is surgeon-led (planned only once cleared)."""
    return next(s for s in PROTOCOL.sites if s.id == site).referral_for(grade) is not None


def make_request(site: str, grade: int, start: date, **extra: object) -> PlanRequest:
    """A request; referred combinations carry a clearance, as the CLI would require."""
    cleared = clearance(start) if _referred(site, grade) else None
    return PlanRequest(site=site, grade=grade, start=start, cleared_by=cleared, **extra)


@functools.cache
def plan_for(site: str, grade: int, start: date, athlete: str = "Ana", rest_day: int = 6) -> Plan:
    """Build (once) the real plan for these inputs."""
    request = make_request(site, grade, start, athlete=athlete, rest_days=(rest_day,))
    return build_plan(request, PROTOCOL, today=start)


def iso(value: str) -> date:
    """Parse an ISO date, failing the test on anything else."""
    return date.fromisoformat(value)


def assert_schema(doc: dict) -> None:
    """Exactly the documented keys, in the documented order, at every level."""
    assert list(doc) == TOP_KEYS
    assert doc["schema"] == SCHEMA == "rtr-planner/plan/1"
    assert list(doc["request"]) == REQUEST_KEYS
    assert list(doc["site"]) == SITE_KEYS
    assert list(doc["grade"]) == GRADE_KEYS
    assert list(doc["summary"]) == SUMMARY_KEYS
    assert all(list(p) == PHASE_KEYS for p in doc["phases"])
    assert all(list(d) == DAY_KEYS for d in doc["days"])
    assert all(list(m) == MILESTONE_KEYS for m in doc["milestones"])


def assert_day_types(day: dict) -> None:
    """Types and allowed values of one day entry."""
    assert day["kind"] in KINDS
    assert day["phase"] in PHASE_IDS
    assert isinstance(day["week"], int) and day["week"] >= 1
    for key in ("run_minutes", "walk_minutes", "total_minutes"):
        assert isinstance(day[key], int) and day[key] >= 0
    assert day["gate"] is None or (isinstance(day["gate"], str) and day["gate"])
    assert isinstance(day["title"], str) and day["title"]
    assert isinstance(day["details"], str)
    assert day["weight_bearing"] in WEIGHT_BEARING
    assert day["stage"] is None or (isinstance(day["stage"], str) and day["stage"])
    assert day["title"].endswith(day["session"])


def assert_days_contiguous(doc: dict) -> None:
    """One entry per calendar day, in order, from summary.start to summary.end, no gaps."""
    summary, days = doc["summary"], doc["days"]
    start, end = iso(summary["start"]), iso(summary["end"])
    dates = [iso(d["date"]) for d in days]
    assert dates == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert summary["days"] == len(days)
    assert summary["weeks"] == days[-1]["week"]
    assert start <= iso(summary["first_run"]) <= end


@pytest.mark.parametrize("site,grade", CASES)
def test_every_site_grade_exports_valid_json(site: str, grade: int) -> None:
    start = STARTS[CASES.index((site, grade)) % len(STARTS)]
    plan = plan_for(site, grade, start)
    text = to_json(plan)
    doc = json.loads(text)
    assert_schema(doc)
    assert_days_contiguous(doc)
    for day in doc["days"]:
        assert_day_types(day)
    assert doc["request"]["cleared_by"] == (clearance(plan.request.start) if _referred(site, grade) else None)


def test_values_match_the_plan() -> None:
    plan = plan_for("metatarsal", 2, STARTS[0])
    doc = json.loads(to_json(plan))
    assert doc["protocol_version"] == PROTOCOL.version
    assert doc["request"] == {"site": "metatarsal", "grade": 2, "start": "2026-12-28",
                              "athlete": "Ana", "rest_days": ["sunday"], "run_days": [],
                              "week_start": "monday", "cross": [], "bodyweight_support": False,
                              "cleared_by": None, "usual_minutes": None}
    assert doc["site"] == {"id": plan.site.id, "name": plan.site.name,
                           "risk": plan.site.risk, "bone": plan.site.bone}
    assert doc["grade"] == {"number": 2, "name": plan.grade.name}
    assert doc["summary"]["first_run"] == plan.first_run.isoformat()
    assert [(d["date"], d["title"], d["details"], d["gate"]) for d in doc["days"]] == [
        (d.date.isoformat(), d.title, d.details, d.gate.name if d.gate else None)
        for d in plan.days
    ]
    assert [p["id"] for p in doc["phases"]] == [p.id for p in plan.phases]
    assert [(m["date"], m["name"]) for m in doc["milestones"]] == [
        (m.date.isoformat(), m.name) for m in plan.milestones
    ]


def test_phases_cover_the_plan_in_order() -> None:
    doc = json.loads(to_json(plan_for("tibia-posteromedial", 3, STARTS[1])))
    phases = doc["phases"]
    assert iso(phases[0]["start"]) == iso(doc["summary"]["start"])
    assert iso(phases[-1]["end"]) == iso(doc["summary"]["end"])
    for before, after in zip(phases, phases[1:]):
        assert iso(after["start"]) == iso(before["end"]) + timedelta(days=1)
    for day in doc["days"]:
        span = next(p for p in phases if p["id"] == day["phase"])
        assert iso(span["start"]) <= iso(day["date"]) <= iso(span["end"])


@pytest.mark.parametrize("rest_day", range(7))
def test_rest_day_is_a_weekday_name(rest_day: int) -> None:
    doc = json.loads(to_json(plan_for("fibula", 1, STARTS[0], rest_day=rest_day)))
    assert doc["request"]["rest_days"] == [WEEKDAYS[rest_day]]
    assert doc["request"]["rest_days"] == [date(2026, 11, 23 + rest_day).strftime("%A").lower()]


def test_output_is_deterministic_and_formatted() -> None:
    plan = plan_for("navicular", 4, STARTS[1], "Zoë 🏃")
    rebuilt = build_plan(make_request("navicular", 4, STARTS[1], athlete="Zoë 🏃"),
                         load_protocol(), today=STARTS[1])
    text = to_json(plan)
    assert text == to_json(plan) == to_json(rebuilt)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1] == '  "schema": "rtr-planner/plan/1",'
    assert "Zoë 🏃" in text and "\\u" not in text
    assert json.loads(text)["request"]["athlete"] == "Zoë 🏃"


def test_csv_has_one_row_per_day_and_round_trips() -> None:
    import csv
    import io

    from planner.files.spreadsheets import CSV_COLUMNS, to_csv

    plan = plan_for("navicular", 2, STARTS[0], athlete='Zoë, "Z"; \\ 🏃')
    text = to_csv(plan)
    assert text.endswith("\r\n") and text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(plan.days)
    for row, day in zip(rows, plan.days):
        assert row["date"] == day.date.isoformat() and int(row["week"]) == day.week
        assert (row["phase"], row["kind"], row["title"]) == (day.phase, day.kind, day.title)
        assert int(row["total_minutes"]) == day.total_minutes
        assert row["details"] == day.details and row["gate"] == (day.gate.name if day.gate else "")
        assert (row["stage"], row["weight_bearing"]) == (day.stage or "", day.weight_bearing)
    assert {row["weight_bearing"] for row in rows} == {"non", "boot", "full"}
    assert to_csv(plan) == text


def test_diary_csv_matches_the_guides_diary() -> None:
    import csv
    import io

    from planner.core.diary import DIARY_COLUMNS
    from planner.files.spreadsheets import to_diary_csv

    plan = plan_for("metatarsal", 2, STARTS[0])
    rows = list(csv.reader(io.StringIO(to_diary_csv(plan), newline="")))
    assert tuple(rows[0]) == DIARY_COLUMNS
    training = [d for d in plan.days if d.kind != "rest"]
    assert [r[0] for r in rows[1:]] == [d.date.isoformat() for d in training]
    assert [r[1] for r in rows[1:]] == [d.title for d in training]
    assert all(r[2:] == ["", "", "", ""] for r in rows[1:])
