"""The typed records guide templates receive, all built by `planner.guide.context`.

Dates stay ``date`` objects (templates format them with the ``longdate``/``shortdate``
filters); texts are plain (templates escape them for their format).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol, TypedDict

from planner.core.models import Reference
from planner.guide.clinic import Clinic
from planner.guide.wording import ImportGuide


class HtmlText(Protocol):
    """Text that Jinja prints as ready-made HTML (`__html__`), as the lazily drawn chart is;
    typed by its shape so these records need not import the chart that fills them."""

    def __html__(self) -> str: ...


class KeyDate(TypedDict):
    """One landmark of the plan for the summary."""

    date: date
    label: str
    detail: str


class StepGateRow(TypedDict):
    """A gate inside a phase: its name, the day it is checked on, when in that day (`when`),
    and its checklist."""

    name: str
    date: date
    when: str
    criteria: tuple[str, ...]


class PhaseRow(TypedDict):
    """A phase with its dates, aim and the gate that ends it."""

    id: str
    name: str
    aim: str
    start: date
    end: date
    weeks: int
    gate_name: str
    gate: tuple[str, ...]
    sources: tuple[str, ...]
    # Gates inside the phase (the return-to-sport additions), in date order.
    steps: list[StepGateRow]


class DayCell(TypedDict):
    """One day in the week table; ``label`` is the short text shown in the cell."""

    date: date
    kind: str
    label: str
    title: str
    gate: str | None
    gate_short: str | None
    run_minutes: int
    total_minutes: int


class WeekRow(TypedDict):
    """One row of the week-by-week table; ``cells`` has one entry per weekday column."""

    week: int
    start: date
    end: date
    phases: tuple[str, ...]
    # Names of the protected weight-bearing statuses (crutches, boot) held in the week.
    bearing: tuple[str, ...]
    cells: tuple[DayCell | None, ...]
    run_minutes: int
    total_minutes: int


class StageRow(TypedDict):
    """A walk/run stage used by the plan, with the plan week it first appears in."""

    id: str
    run: int
    walk: int
    reps: int
    run_minutes: int
    total_minutes: int
    first_week: int
    sources: tuple[str, ...]


class BoneItem(TypedDict):
    """One bone-health checklist item and the sources behind it."""

    text: str
    sources: tuple[str, ...]


class SummaryContext(TypedDict):
    """Who and what the plan is for, and its landmark dates."""

    athlete: str
    cleared_by: str | None
    site: dict[str, Any]
    grade: dict[str, Any]
    protocol_version: str
    start: date
    end: date
    first_run: date
    first_run_week: int
    first_run_gate: str
    first_run_range: tuple[int, int] | None
    first_run_basis: str | None
    first_run_wait: str
    weeks_total: int
    key_dates: list[KeyDate]
    training_week: str
    bodyweight_note: str | None
    # One sentence on the weeks on crutches or in a boot; None when there are none.
    weight_bearing: str | None


class PainRuleRow(TypedDict):
    """One pain rule as the guide prints it: its id (an anchor), title and line in full."""

    id: str
    title: str
    line: str


class SectionsContext(TypedDict):
    """The body of the guide: phases, weeks, rules, checklist, help and sources."""

    phases: list[PhaseRow]
    weekday_headers: tuple[str, ...]
    weeks: list[WeekRow]
    stages: list[StageRow]
    pain_rules: list[PainRuleRow]
    pain_steps: list[tuple[str, str]]
    pain_repeat: str
    bone_health: list[BoneItem]
    references: list[Reference]
    calendar_advice: str
    calendar_import: tuple[ImportGuide, ...]
    disclaimer: str
    red_flags: str


class LoadRow(TypedDict):
    """One plan week of the load chart: minutes per series (keys of ``load_series``)."""

    week: int
    start: date
    end: date
    phases: tuple[str, ...]
    minutes: dict[str, int]
    total: int
    run_bar: str


class DiaryLine(TypedDict):
    """One training day on the printed diary; ``new_week`` marks the first row of a week."""

    date: date
    session: str
    kind: str
    gate: str | None
    week: int
    new_week: bool


class DiaryPhase(TypedDict):
    """The diary rows of one phase, printed as one table starting on a fresh page."""

    id: str
    number: int
    name: str
    start: date
    end: date
    rows: list[DiaryLine]


class CalendarCell(TypedDict):
    """One plan day in a month grid: its kind as a symbol and a name, and any gate."""

    date: date
    day: int
    kind: str
    symbol: str
    kind_name: str
    title: str
    gate: str | None
    gate_short: str | None


class MonthGrid(TypedDict):
    """One month: weekday headers in the runner's week order and rows of seven cells."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[CalendarCell | None, ...], ...]


class VisualsContext(TypedDict):
    """The load chart, the month calendar and the pain diary."""

    load: list[LoadRow]
    load_series: tuple[tuple[str, str], ...]
    load_chart: HtmlText
    months: list[MonthGrid]
    calendar_key: tuple[tuple[str, str], ...]
    diary: list[DiaryPhase]
    diary_key: tuple[str, ...]


class GuideContext(SummaryContext, SectionsContext, VisualsContext):
    """Everything a guide template receives, built only by :func:`build_context`.

    ``clinic`` is always defined: the `Clinic` from ``--clinic``, or None without one, so
    templates guard clinic details with ``{% if clinic %}``.
    """

    clinic: Clinic | None
