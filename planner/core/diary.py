"""The pain and symptom diary: one row per training day, for the runner to fill in by hand.

Pure functions over a :class:`~planner.core.models.Plan`; the guide prints these rows as a sheet
and ``diary.csv`` writes the same rows with the same columns, so paper and spreadsheet agree.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from planner.core.models import Plan

DIARY_COLUMNS = (
    "date",
    "session",
    "done",
    "pain_during_0_10",
    "pain_next_morning_0_10",
    "notes",
)


class DiaryRow(NamedTuple):
    """One diary line: the planned session, then blanks for the runner.

    The field names are :data:`DIARY_COLUMNS`, so ``csv.writer(...).writerow(row)`` writes the
    columns in order (``str(date)`` is ISO ``YYYY-MM-DD``) and ``row._asdict()`` suits
    ``csv.DictWriter``.
    """

    date: dt.date
    session: str
    done: str = ""
    pain_during_0_10: str = ""
    pain_next_morning_0_10: str = ""
    notes: str = ""


def diary_rows(plan: Plan) -> list[DiaryRow]:
    """One row per training day of ``plan``, in date order; rest days are left out.

    ``date`` and ``session`` (the day's title, gate tag included so the runner sees where a
    gate check falls) are filled; the other columns are empty for the runner to fill.
    """
    return [DiaryRow(date=day.date, session=day.title) for day in plan.days if day.kind != "rest"]
