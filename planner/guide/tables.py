"""The guide's tables as data: weekly load per series, the week-by-week rows, the walk/run
stages used, the key dates and the diary grouped by phase.

Pure functions of a plan. The load chart (`planner.guide.chart`) draws the same weekly loads
the tables list, so the picture and the numbers always agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from planner.core.bearing import bearing_spans, clears_a_status
from planner.core.citations import source_keys
from planner.core.diary import diary_rows
from planner.core.models import Day, PhaseSpan, Plan
from planner.core.names import WEEKDAY_ABBR, WEEKDAY_NAMES
from planner.guide.filters import longdate
from planner.guide.records import (
    DayCell,
    DiaryLine,
    DiaryPhase,
    KeyDate,
    LoadRow,
    PhaseRow,
    StepGateRow,
    StageRow,
    WeekRow,
)


class Series(NamedTuple):
    """One stacked series of the load chart: its key, label, colour and print pattern."""

    key: str
    label: str
    colour: str
    ink: str
    pattern: str


# Bottom to top. Running is solid and darkest, so the minutes that matter most read first;
# the others carry a pattern drawn in a darker ink so greyscale print still separates them.
SERIES = (
    Series("run", "Running", "#1f4e79", "#1f4e79", "solid"),
    Series("walk", "Walking", "#a8d5b0", "#2d6a3a", "diagonal"),
    Series("impact", "Impact prep", "#f3c063", "#7a4b00", "crosshatch"),
    Series("cross", "Cross-training", "#b9d0ee", "#2b4f80", "dots"),
    Series("strength", "Strength", "#d9c6ea", "#5b3a7a", "horizontal"),
)


SERIES_KEYS = tuple(s.key for s in SERIES)


BAR_BLOCKS = " ▏▎▍▌▋▊▉█"


class WeekLoad(NamedTuple):
    """Minutes of one plan week split into the chart's series (in :data:`SERIES` order)."""

    week: int
    start: date
    end: date
    phases: tuple[str, ...]
    minutes: tuple[int, ...]

    @property
    def total(self) -> int:
        """Every minute of exercise in the week; equals the week table's total time."""
        return sum(self.minutes)

    def of(self, key: str) -> int:
        """Minutes of one series, by key (``"run"``, ``"walk"`` …)."""
        return self.minutes[SERIES_KEYS.index(key)]


def day_split(day: Day) -> dict[str, int]:
    """Split one day's minutes into series; the parts add up to ``day.total_minutes``.

    Walking is counted wherever it happens (walk breaks of walk/run sessions and the brisk
    walks of the reload phase); what is left of a session goes to its kind.
    """
    split = dict.fromkeys(SERIES_KEYS, 0)
    split["run"] += day.run_minutes
    split["walk"] += day.walk_minutes
    remainder = day.total_minutes - day.run_minutes - day.walk_minutes
    if remainder:
        split[day.kind if day.kind in split else "walk"] += remainder
    return split


def weekly_load(plan: Plan) -> list[WeekLoad]:
    """One :class:`WeekLoad` per plan week (``Day.week``), in week order."""
    names = {span.id: span.name for span in plan.phases}
    by_week: dict[int, list[Day]] = {}
    for day in plan.days:
        by_week.setdefault(day.week, []).append(day)
    loads = []
    for week, days in sorted(by_week.items()):
        totals = dict.fromkeys(SERIES_KEYS, 0)
        for day in days:
            for key, value in day_split(day).items():
                totals[key] += value
        phases = tuple(dict.fromkeys(names.get(d.phase, d.phase) for d in days))
        loads.append(WeekLoad(week, days[0].date, days[-1].date, phases,
                              tuple(totals[k] for k in SERIES_KEYS)))
    return loads


def present_series(loads: list[WeekLoad]) -> list[Series]:
    """The chart series these weekly loads use, in stacking order (e.g. no impact prep when
    the site forbids hopping), so legends and tables never list an empty series."""
    return [s for i, s in enumerate(SERIES) if any(load.minutes[i] for load in loads)]


def text_bar(value: int, maximum: int, width: int = 20) -> str:
    """A bar of block characters for Markdown, ``width`` characters at ``maximum``.

    Eighth blocks keep small differences visible; any value above zero shows at least a
    sliver, so a short first run never looks like no run.
    """
    if value <= 0 or maximum <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / maximum))
    full, part = divmod(eighths, 8)
    return "█" * full + (BAR_BLOCKS[part] if part else "")


def gate_days(plan: Plan) -> list[Day]:
    """The days that open with a gate check, in date order."""
    return [day for day in plan.days if day.gate]


def load_rows(loads: list[WeekLoad]) -> list[LoadRow]:
    top_run = max(load.of("run") for load in loads)
    return [
        LoadRow(
            week=load.week,
            start=load.start,
            end=load.end,
            phases=load.phases,
            minutes={s.key: load.of(s.key) for s in SERIES},
            total=load.total,
            run_bar=text_bar(load.of("run"), top_run),
        )
        for load in loads
    ]


def diary_phases(plan: Plan) -> list[DiaryPhase]:
    """The diary rows (see :func:`planner.core.diary.diary_rows`) grouped by phase."""
    days = {day.date: day for day in plan.days}
    phases: list[DiaryPhase] = [
        DiaryPhase(id=span.id, number=n, name=span.name, start=span.start, end=span.end,
                   rows=[])
        for n, span in enumerate(plan.phases, start=1)
    ]
    by_id = {phase["id"]: phase for phase in phases}
    for row in diary_rows(plan):
        day = days[row.date]
        rows = by_id[day.phase]["rows"]
        new_week = bool(rows) and rows[-1]["week"] != day.week
        rows.append(DiaryLine(date=row.date, session=row.session, kind=day.kind,
                              gate=day.gate.name if day.gate else None, week=day.week,
                              new_week=new_week))
    return [phase for phase in phases if phase["rows"]]


def phase_row(plan: Plan, span: PhaseSpan, known: set[str]) -> PhaseRow:
    text = next((p for p in plan.protocol.phases if p.id == span.id), None)
    return PhaseRow(
        id=span.id,
        name=span.name,
        aim=span.aim,
        start=span.start,
        end=span.end,
        weeks=-(-((span.end - span.start).days + 1) // 7),
        gate_name=span.gate_name,
        gate=span.gate,
        sources=source_keys(text.source, known) if text else (),
        steps=[StepGateRow(name=d.gate.name, date=d.date, when=_step_when(d),
                           criteria=d.gate.criteria)
               for d in plan.days if d.gate and span.start < d.date < span.end
               and d.phase == span.id],
    )


def _step_when(day: Day) -> str:
    """When a gate inside a phase is checked: before that day's session, or on a rest day
    before the week whose one addition it allows (return to sport)."""
    if clears_a_status(day.gate):
        return "before that day's session"
    return "a rest day; the week after it adds this and nothing else"


def gate_before(plan: Plan, day: date) -> str:
    """Name of the gate that opens the phase holding ``day`` ("" in the first phase)."""
    spans = plan.phases
    index = next(i for i, span in enumerate(spans) if span.start <= day <= span.end)
    return spans[index - 1].gate_name if index else ""


def key_dates(plan: Plan) -> list[KeyDate]:
    """Start, each gate (the day the next phase may begin), the first run and the end."""
    spans = plan.phases
    found = [KeyDate(date=plan.start, label="Plan starts", detail=f"{spans[0].name} phase")]
    found += [
        KeyDate(
            date=span.start,
            label=prev.gate_name,
            detail=f"{span.name} phase starts once every point of the gate is met",
        )
        for prev, span in itertools.pairwise(spans)
    ]
    found += [KeyDate(date=d.date, label=d.gate.name,
                      detail="only once your clinician has cleared it") for d in plan.days
              if clears_a_status(d.gate)]
    starts = {span.start for span in spans}
    found += [
        KeyDate(date=d.date, label=d.gate.name,
                detail="checked on this rest day; the next week adds it once every point is met")
        for d in plan.days if d.gate and d.date not in starts and d.date != plan.end
        and not clears_a_status(d.gate)
    ]
    found.append(KeyDate(date=plan.first_run, label="First walk/run session", detail=""))
    found.append(KeyDate(date=plan.end, label=spans[-1].gate_name,
                         detail="last day of the plan: no training, the clinician review"))
    return sorted(found, key=lambda k: k["date"])


def weight_bearing_note(plan: Plan) -> str | None:
    """The weeks of each weight-bearing status in one sentence, or None if all are full."""
    spans = bearing_spans(plan.days)
    if len(spans) == 1:
        return None
    parts = [f"{plan.protocol.bearing(s.status).name.lower()} {longdate(s.start)} to "
             f"{longdate(s.end)} ({_weeks(s.first_week, s.last_week)})" for s in spans[:-1]]
    last = spans[-1]
    parts.append(f"full weight-bearing from {longdate(last.start)} (week {last.first_week})")
    text = "; ".join(parts)
    return (text[:1].upper() + text[1:] + ". Each change only once your clinician clears it, "
            "at the weight-bearing check on that day; until then stay as you are.")


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def week_rows(plan: Plan) -> tuple[tuple[str, ...], list[WeekRow]]:
    # Plan weeks are calendar weeks from the runner's chosen week start (Monday or Sunday).
    first = plan.request.week_start
    by_week: dict[int, list[Day]] = {}
    for day in plan.days:
        by_week.setdefault(day.week, []).append(day)
    headers = tuple(WEEKDAY_ABBR[(first + i) % 7] for i in range(7))
    rows = [_week_row(plan, n, days, first) for n, days in sorted(by_week.items())]
    return headers, rows


def _week_row(plan: Plan, number: int, days: list[Day], first: int) -> WeekRow:
    cells: list[DayCell | None] = [None] * 7
    for day in days:
        cells[(day.date.weekday() - first) % 7] = _cell(day)
    names = {span.id: span.name for span in plan.phases}
    return WeekRow(
        week=number,
        start=days[0].date,
        end=days[-1].date,
        phases=tuple(dict.fromkeys(names.get(d.phase, d.phase) for d in days)),
        bearing=tuple(dict.fromkeys(plan.protocol.bearing(d.weight_bearing).name for d in days
                                    if d.weight_bearing != "full")),
        cells=tuple(cells),
        run_minutes=sum(d.run_minutes for d in days),
        total_minutes=sum(d.total_minutes for d in days),
    )


def _cell(day: Day) -> DayCell:
    return DayCell(
        date=day.date,
        kind=day.kind,
        label=day_label(day),
        title=day.title,
        gate=day.gate.name if day.gate else None,
        gate_short=day.gate.label if day.gate else None,
        run_minutes=day.run_minutes,
        total_minutes=day.total_minutes,
    )


def day_label(day: Day) -> str:
    """Short text for a table cell: the session without the gate's label.

    The table marks gate days itself, so ``Gate 2 · Cross-train: bike 30 min`` shows as
    ``Cross-train: bike 30 min``.
    """
    return day.session


def stage_rows(plan: Plan, known: set[str]) -> list[StageRow]:
    """The protocol's walk/run stages this plan uses, in the order it first uses them."""
    protocol = plan.protocol
    by_id = {s.id: s for s in (*protocol.high_risk_stages, *protocol.stages)}
    rows: dict[str, StageRow] = {}
    for day in plan.days:
        stage = by_id.get(day.stage) if day.stage else None
        if stage is None or stage.id in rows:
            continue
        rows[stage.id] = StageRow(
            id=stage.id,
            run=stage.run,
            walk=stage.walk,
            reps=stage.reps,
            run_minutes=stage.run_minutes,
            total_minutes=stage.total_minutes,
            first_week=day.week,
            sources=source_keys(stage.source, known),
        )
    return list(rows.values())


def _day_list(days: Iterable[int]) -> str:
    names = [WEEKDAY_NAMES[d] for d in sorted(set(days))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def training_week(plan: Plan) -> str:
    """One sentence on the runner's week: rest days, run days, preferred cross-training."""
    runs = {d.date.weekday() for d in plan.days if d.kind == "run" and d.phase != "return-to-sport"}
    extra = {d.date.weekday() for d in plan.days if d.kind == "run"} - runs
    text = (f"Rest every {_day_list(plan.request.rest_days)}; bone-loading sessions on "
            f"{_day_list(runs)}, never two days in a row")
    # The return-to-sport gate for a 4th run day makes one easy back-to-back pair a week.
    text += (f" until the return-to-sport gate that adds {_day_list(extra)} as a 4th run day."
             if extra else ".")
    if plan.request.cross:
        text += (" Preferred cross-training: " + ", ".join(plan.request.cross)
                 + ", where the phase allows it.")
    return text + " " + _usual_volume(plan)


def _usual_volume(plan: Plan) -> str:
    """The usual weekly running the last phase aims at, and whether the runner gave it."""
    rules = plan.protocol.return_to_sport
    usual = plan.request.usual_minutes or rules.default_usual_minutes
    given = ("" if plan.request.usual_minutes else
             " (not given, so the plan assumes four runs of 45 min a week [R22])")
    span = plan.phases[-1]
    weeks: dict[int, int] = {}
    for d in plan.days:
        if d.phase == span.id:
            key = (d.date - span.start).days // 7
            weeks[key] = weeks.get(key, 0) + d.run_minutes
    peak = max(weeks.values())
    text = (f"Usual weekly running before the injury: {usual} min{given}; the "
            f"{span.name.lower()} phase reaches {peak} min a week ({round(100 * peak / usual)}% "
            f"of it) before the clinician review [{rules.source}].")
    if peak > usual * rules.end_pct // 100:
        text += (" Build already reaches more than that: the last phase holds it rather than "
                 "dropping it, and adds only what the usual volume allows, one at a time.")
    elif peak * 100 < usual * (rules.end_pct - rules.max_increase_pct):
        text += (f" The plan stops at easy runs of at most {rules.max_run_minutes} min [R22]; "
                 "more running, and whatever waits for a larger share of the usual volume "
                 "(strides, hills, faster running [R24]), is for the clinician review to plan.")
    return text
