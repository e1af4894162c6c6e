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
      "milestones": [{"date": date, "name": str, "detail": str}],
      "calendar": {                                  # only when given (render_all always does)
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
``calendar`` is what the next regeneration into the same folder compares against: one record
per event in plan.ics (``events`` in day order, then ``cancelled``); ``fingerprint`` is the
sha256 of the event's canonical content (see `planner.calendar.ics.EventContent.fingerprint`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timezone
from typing import Any

from planner.calendar.options import (
    CalendarHistory,
    CalendarOptions,
    EventRecord,
    options_from_dict,
)
from planner.calendar.ics import day_uid
from planner.core.models import Day, Milestone, PhaseSpan, Plan
from planner.core.names import WEEKDAYS

SCHEMA = "rtr-planner/plan/1"


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


def calendar_section(history: CalendarHistory, options: CalendarOptions) -> dict[str, Any]:
    """Return plan.json's ``calendar`` section: options and one record per written event."""
    return {
        "plan_id": history.plan_id,
        "options": options.as_dict(),
        "events": [_event_record(r) for r in history.events],
        "cancelled": [_event_record(r) for r in history.cancelled],
    }


def _event_record(record: EventRecord) -> dict[str, Any]:
    """Return one event's revision record."""
    stamp = record.last_modified
    return {
        "uid": record.uid,
        "date": record.date.isoformat(),
        "sequence": record.sequence,
        "last_modified": None if stamp is None else f"{stamp:%Y-%m-%dT%H:%M:%SZ}",
        "fingerprint": record.fingerprint,
    }


HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def read_calendar_section(document: Any) -> tuple[CalendarHistory, CalendarOptions] | None:
    """Read back the ``calendar`` section of a parsed plan.json.

    Returns None when the document is an rtr-planner plan without that section; raises
    ValueError naming the first problem when it is not an rtr-planner plan.json at all, or
    its calendar section is malformed.
    """
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"it has no \"schema\": \"{SCHEMA}\"")
    section = document.get("calendar")
    if section is None:
        return None
    if not isinstance(section, dict) or not HEX16.match(str(section.get("plan_id"))):
        raise ValueError("its calendar section has no valid plan_id")
    history = CalendarHistory(
        plan_id=section["plan_id"],
        events=_records(section.get("events"), "events", section["plan_id"]),
        cancelled=_records(section.get("cancelled"), "cancelled", section["plan_id"]),
    )
    return history, options_from_dict(section.get("options"))


def _records(items: Any, key: str, plan_id: str) -> tuple[EventRecord, ...]:
    """Parse a list of event records; raise ValueError naming the list on any problem."""
    if not isinstance(items, list):
        raise ValueError(f"its calendar {key} is not a list")
    try:
        return tuple(_parse_record(item, plan_id) for item in items)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"its calendar {key} list holds a malformed record ({exc})") from None


def _parse_record(item: dict[str, Any], plan_id: str) -> EventRecord:
    """One record from its JSON form; raises KeyError/TypeError/ValueError when malformed."""
    day = date.fromisoformat(item["date"])
    sequence, stamp, fingerprint = item["sequence"], item["last_modified"], item["fingerprint"]
    # Only UIDs this plan would write itself: they are copied into plan.ics as cancellations.
    if item["uid"] != day_uid(plan_id, day) or type(sequence) is not int or sequence < 0:
        raise ValueError("bad uid or sequence")
    if not isinstance(fingerprint, str) or not HEX64.match(fingerprint):
        raise ValueError("bad fingerprint")
    return EventRecord(
        uid=item["uid"],
        date=day,
        sequence=sequence,
        last_modified=None if stamp is None else _parse_utc(stamp),
        fingerprint=fingerprint,
    )


def _parse_utc(text: str) -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def to_diary_csv(plan: Plan) -> str:
    """The pain and symptom diary as CSV: the guide's diary columns, one row per training day,
    date and planned session filled in, the rest left blank for the runner."""
    from planner.core.diary import DIARY_COLUMNS, diary_rows

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DIARY_COLUMNS)
    writer.writerows(diary_rows(plan))
    return out.getvalue()
