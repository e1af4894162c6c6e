"""The plan and the pain diary as CSV, for spreadsheets and coaching platforms.

RFC 4180 style: comma-separated, double quotes where needed, CRLF line ends, UTF-8 text.
"""

from __future__ import annotations

import csv
import io

from planner.core.diary import DIARY_COLUMNS, diary_rows
from planner.core.models import Plan

CSV_COLUMNS = ("date", "week", "phase", "kind", "title", "run_minutes", "walk_minutes",
               "total_minutes", "gate", "stage", "weight_bearing", "details")


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
                         day.run_minutes, day.walk_minutes, day.total_minutes,
                         day.gate.name if day.gate else "", day.stage or "", day.weight_bearing,
                         day.details])
    return out.getvalue()


def to_diary_csv(plan: Plan) -> str:
    """The pain and symptom diary as CSV: the guide's diary columns, one row per training day,
    date and planned session filled in, the rest left blank for the runner."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DIARY_COLUMNS)
    writer.writerows(diary_rows(plan))
    return out.getvalue()
