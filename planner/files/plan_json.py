"""plan.json: the plan as deterministic JSON (schema ``rtr-planner/plan/1``), and reading it back.

Same plan → same bytes: keys appear in the order below (never sorted at random), text is
UTF-8 (``ensure_ascii=False``), indent is 2 and the document ends with a newline. Dates are
ISO 8601 (``YYYY-MM-DD``); weekdays are written out (``"monday"`` … ``"sunday"``).

Schema::

    {
      "schema": "rtr-planner/plan/1",
      "protocol_version": str,
      "request": {"site": str (site id), "grade": int 1-4, "start": date,
                  "athlete": str, "rest_days": [weekday, …], "run_days": [weekday, …],
                  "week_start": "monday" | "sunday", "cross": [str, …],
                  "bodyweight_support": bool, "cleared_by": str | null,
                  "usual_minutes": int | null (null: the protocol's default)},
      "site": {"id": str, "name": str, "risk": "low" | "high",
               "bone": "cortical" | "trabecular"},
      "grade": {"number": int, "name": str},
      "summary": {"start": date, "first_run": date, "end": date,
                  "weeks": int, "days": int (number of entries in "days"),
                  "weight_bearing": [{"status": "non" | "partial" | "boot" | "full",
                                      "start": date, "end": date}, …]},
      "phases": [{"id": str, "name": str, "start": date, "end": date, "gate_name": str}],
      "days": [{"date": date, "phase": str (phase id), "week": int,
                "kind": "run" | "impact" | "cross" | "strength" | "rest",
                "title": str, "session": str, "stage": str | null,
                "weight_bearing": "non" | "partial" | "boot" | "full",
                "run_minutes": int, "walk_minutes": int,
                "total_minutes": int, "gate": str | null,
                "details": str (plain text, "\\n" line breaks)}],
      "milestones": [{"date": date, "name": str, "detail": str}],
      "calendar": {                                  # only when given (a plan folder always has it)
        "plan_id": str (16 hex digits, the UID stem),
        "options": {"time": "HH:MM" | null, "tz": str | null,
                    "reminder": "30m" | "1h" | … | null, "calendar_name": str | null},
        "events": [{"uid": str, "date": date, "sequence": int,
                    "last_modified": "YYYY-MM-DDTHH:MM:SSZ" | null,
                    "fingerprint": str (64 hex digits)}],
        "cancelled": [same as events]
      }
    }

``days`` holds exactly one entry per calendar day from ``summary.start`` to ``summary.end``.
``calendar`` is what the next regeneration into the same folder compares against
(`planner.calendar.history`): one record per event in plan.ics (``events`` in day order, then
``cancelled``); ``fingerprint`` is the sha256 of the event's canonical content (see
`planner.calendar.events.EventContent.fingerprint`). ``request`` holds everything the plan was
built from, so `read_request` can rebuild the plan from the folder alone. The README prints
this schema and a test checks it against what `to_json` writes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from planner.calendar.history import CalendarHistory, read_history_section
from planner.calendar.options import CalendarOptions
from planner.core.bearing import bearing_spans
from planner.core.models import Day, Milestone, PhaseSpan, Plan, PlanRequest
from planner.core.names import WEEKDAYS
from planner.core.userfile import read_user_file

SCHEMA = "rtr-planner/plan/1"
# The largest plan.json written is under 200 KB; anything far beyond is not one of ours.
PLAN_JSON_LIMIT = 16 * 1024 * 1024


def to_json(plan: Plan, calendar: dict[str, Any] | None = None) -> str:
    """Return the plan as a JSON document (see the module docstring for the schema).

    `calendar` (from `calendar_section`) is added as the last key when given.
    """
    document = plan_document(plan)
    if calendar is not None:
        document["calendar"] = calendar
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def plan_document(plan: Plan) -> dict[str, Any]:
    """Return the plan as plain JSON-ready data, keys in schema order."""
    return {
        "schema": SCHEMA,
        "protocol_version": plan.protocol.version,
        "request": request_section(plan),
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
            "weight_bearing": [
                {"status": span.status, "start": span.start.isoformat(),
                 "end": span.end.isoformat()}
                for span in bearing_spans(plan.days)
            ],
        },
        "phases": [_phase(p) for p in plan.phases],
        "days": [_day(d) for d in plan.days],
        "milestones": [_milestone(m) for m in plan.milestones],
    }


def request_section(plan: Plan) -> dict[str, Any]:
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
        "usual_minutes": req.usual_minutes,
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
        "session": day.session,
        "stage": day.stage,
        "weight_bearing": day.weight_bearing,
        "run_minutes": day.run_minutes,
        "walk_minutes": day.walk_minutes,
        "total_minutes": day.total_minutes,
        "gate": day.gate.name if day.gate else None,
        "details": day.details,
    }


def _milestone(milestone: Milestone) -> dict[str, Any]:
    """Return one dated milestone."""
    return {
        "date": milestone.date.isoformat(),
        "name": milestone.name,
        "detail": milestone.detail,
    }


def load_document(path: Path) -> object:
    """Parse a JSON file; every way it can fail becomes a ValueError with a short reason.

    A pipe or device in its place, or a file over `PLAN_JSON_LIMIT`, is refused unread.
    """
    try:
        return json.loads(read_user_file(path, PLAN_JSON_LIMIT).decode("utf-8"))
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"it is not valid JSON: {exc}") from None


def check_schema(document: Any) -> dict[str, Any]:
    """Return `document` if it is an rtr-planner plan.json; raise ValueError otherwise."""
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"it has no \"schema\": \"{SCHEMA}\"")
    return document


def read_calendar_section(document: Any) -> tuple[CalendarHistory, CalendarOptions] | None:
    """Read back the ``calendar`` section of a parsed plan.json.

    Returns None when the document is an rtr-planner plan without that section; raises
    ValueError naming the first problem when it is not an rtr-planner plan.json at all, or
    its calendar section is malformed.
    """
    section = check_schema(document).get("calendar")
    return None if section is None else read_history_section(section)


def read_request(document: Any) -> PlanRequest:
    """The request a plan.json was built from, ready for `build_plan` to rebuild the plan.

    Raises ValueError naming the first field that is missing or of the wrong kind.
    """
    found = check_schema(document).get("request")
    if not isinstance(found, dict):
        raise ValueError("it has no request section")
    field = _Fields(found)
    return PlanRequest(
        site=field.get("site", str),
        grade=field.get("grade", int),
        start=date.fromisoformat(field.get("start", str)),
        athlete=field.get("athlete", str),
        rest_days=field.weekdays("rest_days"),
        cleared_by=field.get("cleared_by", (str, type(None))),
        run_days=field.weekdays("run_days"),
        week_start=WEEKDAYS.index(field.choice("week_start", ("monday", "sunday"))),
        cross=tuple(field.strings("cross")),
        bodyweight_support=field.get("bodyweight_support", bool),
        # Written since the return-to-sport phase; older files mean the default.
        usual_minutes=field.get("usual_minutes", (int, type(None))) if "usual_minutes" in found
        else None,
    )


class _Fields:
    """Typed access to the request section; each mismatch is a ValueError naming the field."""

    def __init__(self, section: dict[str, Any]) -> None:
        self._section = section

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        """The value of `key` if it is of `kind` (a bool is never an int here)."""
        value = self._section.get(key)
        if key not in self._section or not isinstance(value, kind) or (
                kind is int and isinstance(value, bool)):
            raise ValueError(f"its request.{key} is missing or malformed")
        return value

    def strings(self, key: str) -> list[str]:
        """A list of strings."""
        values = self.get(key, list)
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"its request.{key} is not a list of strings")
        return values

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """One of `allowed`."""
        value = self.get(key, str)
        if value not in allowed:
            raise ValueError(f"its request.{key} must be one of {', '.join(allowed)}")
        return value

    def weekdays(self, key: str) -> tuple[int, ...]:
        """Weekday names as numbers, 0 = Monday."""
        names = self.strings(key)
        if not all(name in WEEKDAYS for name in names):
            raise ValueError(f"its request.{key} holds a name that is not a weekday")
        return tuple(WEEKDAYS.index(name) for name in names)
