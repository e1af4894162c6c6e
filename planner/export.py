"""Render a Plan as deterministic JSON (schema ``rtr-planner/plan/1``).

Same plan → same bytes: keys appear in the order below (never sorted at random), text is
UTF-8 (``ensure_ascii=False``), indent is 2 and the document ends with a newline. Dates are
ISO 8601 (``YYYY-MM-DD``).

Schema::

    {
      "schema": "rtr-planner/plan/1",
      "protocol_version": str,
      "request": {"site": str (site id), "grade": int 1-4, "start": date,
                  "athlete": str, "rest_day": "monday" … "sunday",
                  "cleared_by": str | null},
      "site": {"id": str, "name": str, "risk": str, "bone": str},
      "grade": {"number": int, "name": str},
      "summary": {"start": date, "first_run": date, "end": date,
                  "weeks": int, "days": int (number of entries in "days")},
      "phases": [{"id": str, "name": str, "start": date, "end": date, "gate_name": str}],
      "days": [{"date": date, "phase": str (phase id), "week": int,
                "kind": "run" | "impact" | "cross" | "strength" | "rest",
                "title": str, "run_minutes": int, "walk_minutes": int,
                "total_minutes": int, "gate": str | null,
                "details": str (plain text, "\\n" line breaks)}],
      "milestones": [{"date": date, "name": str, "detail": str}]
    }

``days`` holds exactly one entry per calendar day from ``summary.start`` to ``summary.end``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from planner.models import WEEKDAYS, Day, Milestone, PhaseSpan, Plan

SCHEMA = "rtr-planner/plan/1"


def to_json(plan: Plan) -> str:
    """Return the plan as a JSON document (see the module docstring for the schema)."""
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"


def plan_document(plan: Plan) -> dict[str, Any]:
    """Return the plan as plain JSON-ready data, keys in schema order."""
    return {
        "schema": SCHEMA,
        "protocol_version": plan.protocol.version,
        "request": _request(plan),
        "site": {
            "id": plan.site.id,
            "name": plan.site.name,
            "risk": plan.site.risk,
            "bone": plan.site.bone,
        },
        "grade": {"number": plan.grade.number, "name": plan.grade.name},
        "summary": {
            "start": plan.start.isoformat(),
            "first_run": plan.first_run.isoformat(),
            "end": plan.end.isoformat(),
            "weeks": plan.weeks,
            "days": len(plan.days),
        },
        "phases": [_phase(p) for p in plan.phases],
        "days": [_day(d) for d in plan.days],
        "milestones": [_milestone(m) for m in plan.milestones],
    }


def _request(plan: Plan) -> dict[str, Any]:
    """Return the request as the user gave it (rest day as a weekday name)."""
    req = plan.request
    return {
        "site": req.site,
        "grade": req.grade,
        "start": req.start.isoformat(),
        "athlete": req.athlete,
        "rest_days": [WEEKDAYS[d] for d in req.rest_days],
        "run_days": [WEEKDAYS[d] for d in req.run_days],
        "week_start": WEEKDAYS[req.week_start],
        "cross": list(req.cross),
        "bodyweight_support": req.bodyweight_support,
        "cleared_by": req.cleared_by,
    }


def _phase(phase: PhaseSpan) -> dict[str, Any]:
    """Return one dated phase."""
    return {
        "id": phase.id,
        "name": phase.name,
        "start": phase.start.isoformat(),
        "end": phase.end.isoformat(),
        "gate_name": phase.gate_name,
    }


def _day(day: Day) -> dict[str, Any]:
    """Return one calendar day."""
    return {
        "date": day.date.isoformat(),
        "phase": day.phase,
        "week": day.week,
        "kind": day.kind,
        "title": day.title,
        "run_minutes": day.run_minutes,
        "walk_minutes": day.walk_minutes,
        "total_minutes": day.total_minutes,
        "gate": day.gate,
        "details": day.details,
    }


def _milestone(milestone: Milestone) -> dict[str, Any]:
    """Return one dated milestone."""
    return {
        "date": milestone.date.isoformat(),
        "name": milestone.name,
        "detail": milestone.detail,
    }


CSV_COLUMNS = ("date", "week", "phase", "kind", "title", "run_minutes", "walk_minutes",
               "total_minutes", "gate", "details")


def to_csv(plan: Plan) -> str:
    """Return the plan as CSV, one row per day, for spreadsheets and coaching platforms.

    RFC 4180 style: comma-separated, double quotes where needed, CRLF line ends, UTF-8 text;
    `details` keeps its line breaks inside the quoted cell.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for day in plan.days:
        writer.writerow([day.date.isoformat(), day.week, day.phase, day.kind, day.title,
                         day.run_minutes, day.walk_minutes, day.total_minutes, day.gate or "",
                         day.details])
    return out.getvalue()
