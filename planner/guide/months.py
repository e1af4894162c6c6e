"""The month-by-month calendar grids of the guide: one grid per month the plan touches.

Every day kind is told apart by a letter as well as a colour, so a black-and-white printout
still reads.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from planner.core.models import Day, Plan
from planner.core.names import MONTH_NAMES
from planner.guide.records import CalendarCell, MonthGrid


KIND_SYMBOLS = {"run": "R", "impact": "I", "cross": "X", "strength": "S", "rest": "—"}


KIND_NAMES = {
    "run": "Run or walk/run",
    "impact": "Impact prep",
    "cross": "Cross-training",
    "strength": "Strength",
    "rest": "Rest",
}


GATE_SYMBOL = "◆"


def _calendar_cell(day: Day) -> CalendarCell:
    return CalendarCell(
        date=day.date,
        day=day.date.day,
        kind=day.kind,
        symbol=KIND_SYMBOLS[day.kind],
        kind_name=KIND_NAMES[day.kind],
        title=day.title,
        gate=day.gate.name if day.gate else None,
        gate_short=day.gate.label if day.gate else None,
    )


def _month_rows(first: date, week_start: int, by_date: dict[date, Day]) -> list[tuple]:
    """Rows of seven for ``first``'s month; days outside the plan are None, and rows with
    no plan day at all are dropped (the plan is contiguous, so only the ends lose rows)."""
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    offset = (first.weekday() - week_start) % 7
    cells: list[CalendarCell | None] = [None] * offset
    for n in range(days_in_month):
        day = by_date.get(first + timedelta(days=n))
        cells.append(_calendar_cell(day) if day else None)
    cells += [None] * (-len(cells) % 7)
    rows = [tuple(cells[i:i + 7]) for i in range(0, len(cells), 7)]
    return [row for row in rows if any(row)]


def month_grids(plan: Plan, headers: tuple[str, ...]) -> list[MonthGrid]:
    """One grid per calendar month the plan touches, columns starting on the week start.

    ``headers`` are the seven weekday names in column order (the week table's headers).
    """
    by_date = {day.date: day for day in plan.days}
    grids = []
    month = plan.start.replace(day=1)
    while month <= plan.end:
        rows = _month_rows(month, plan.request.week_start, by_date)
        grids.append(MonthGrid(title=f"{MONTH_NAMES[month.month - 1]} {month.year}",
                               headers=headers, rows=tuple(rows)))
        month = (month + timedelta(days=32)).replace(day=1)
    return grids


def calendar_key() -> tuple[tuple[str, str], ...]:
    """The symbols used in the month grids with what they mean, for the legend."""
    return (*((KIND_SYMBOLS[k], KIND_NAMES[k]) for k in KIND_SYMBOLS),
            (GATE_SYMBOL, "gate check before the session"))
