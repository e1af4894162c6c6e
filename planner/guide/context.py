"""What the guide templates receive: one typed context, built by one function.

Clinical wording comes from the plan and its protocol; only the disclaimer, the
calendar-import help and the diary key (a plain restatement of the pain rules) are the
guide's own text. The load chart and month calendar come from :mod:`planner.guide.charts`, the
diary rows from :mod:`planner.core.diary`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict

from planner.guide.charts import (
    SERIES,
    MonthGrid,
    WeekLoad,
    calendar_key,
    load_chart_svg,
    month_grids,
    present_series,
    text_bar,
    weekly_load,
)
from planner.guide.clinic import Clinic
from planner.core.diary import diary_rows
from planner.core.models import Day, PhaseSpan, Plan, Reference

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# An inline citation group such as "[R22, R23]".
CITATION = re.compile(r"\[([^\[\]]+)\]")

DISCLAIMER = (
    "This guide is general information, to be used together with a qualified clinician "
    "(physiotherapist, sports physician or doctor) who knows your injury. It is not a "
    "diagnosis and does not replace an individual assessment: your clinician may change "
    "any date, session or gate in it."
)

RED_FLAGS = (
    "Stop and seek medical care promptly if you have pain at rest or at night, pain that "
    "gets worse from day to day, new swelling, or you cannot put weight on the leg."
)

CALENDAR_ADVICE = (
    "Always import the plan into a new calendar used only for this plan. Deleting that "
    "calendar removes the whole plan in one step, and your own appointments are never "
    "touched. An imported file is a snapshot: if your clinician changes the plan, delete the "
    "plan calendar and import the new file into a fresh one."
)


class ImportGuide(TypedDict):
    """Steps to import the .ics file into one calendar app."""

    app: str
    steps: tuple[str, ...]


# Per-client behaviour from the calendar-interop research: Google imports on the web only,
# skips UIDs it has seen and drops alarms; Outlook imports are snapshots.
CALENDAR_IMPORT = (
    ImportGuide(
        app="Google Calendar",
        steps=(
            (
                "Use Google Calendar on the web (calendar.google.com) on a computer: the phone "
                "apps cannot import files."
            ),
            "Create a new calendar first: Settings → Add calendar → Create new calendar.",
            (
                "Go to Settings → Import & export → Import, select the .ics file and choose the "
                "new calendar as the destination."
            ),
            (
                "Importing the same file again is skipped by Google (the events already exist). "
                "To replace a plan, delete the plan calendar and import into a fresh one."
            ),
            (
                "Google ignores reminders in imported files; set notifications on the plan "
                "calendar itself if you want them."
            ),
        ),
    ),
    ImportGuide(
        app="Apple Calendar",
        steps=(
            (
                "Mac: File → Import, select the .ics file, then choose New Calendar (or an empty "
                "calendar made for the plan) when asked where to add the events."
            ),
            (
                "iPhone or iPad: email the .ics file to yourself, open it from Mail, tap Add All "
                "and pick a new calendar for the plan."
            ),
        ),
    ),
    ImportGuide(
        app="Outlook",
        steps=(
            (
                "Outlook on the web or the new Outlook: Calendar → Add calendar → Upload from "
                "file, browse to the .ics file and choose a new calendar for it."
            ),
            (
                "Classic Outlook on the desktop: File → Open & Export → Import/Export → Import "
                "an iCalendar (.ics) file, then choose Open as New; double-clicking the file "
                "may also open it as a new calendar."
            ),
            "The imported plan is a snapshot and does not update if the file changes.",
        ),
    ),
)



class KeyDate(TypedDict):
    """One landmark of the plan for the summary."""

    date: date
    label: str
    detail: str


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
    first_run_range: tuple[int, int]
    weeks_total: int
    key_dates: list[KeyDate]
    training_week: str
    bodyweight_note: str | None


class SectionsContext(TypedDict):
    """The body of the guide: phases, weeks, rules, checklist, help and sources."""

    phases: list[PhaseRow]
    weekday_headers: tuple[str, ...]
    weeks: list[WeekRow]
    stages: list[StageRow]
    pain_rules: tuple[str, ...]
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


class VisualsContext(TypedDict):
    """The load chart, the month calendar and the pain diary."""

    load: list[LoadRow]
    load_series: tuple[tuple[str, str], ...]
    load_chart: LazyChart
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


def build_context(plan: Plan, clinic: Clinic | None = None) -> GuideContext:
    """Build the one dictionary that guide templates receive for ``plan``.

    Dates stay ``date`` objects (templates format them with ``longdate``/``shortdate``).
    Clinical wording comes from the plan and its protocol; only the disclaimer, the
    calendar-import help and the diary key are the renderer's own. ``load_chart`` is drawn
    only if a template prints it.
    """
    known = {ref.key for ref in plan.protocol.references}
    sections = _sections(plan, known)
    return GuideContext(
        **_summary(plan, known), **sections, **_visuals(plan, sections["weekday_headers"]),
        clinic=clinic,
    )


def _summary(plan: Plan, known: set[str]) -> SummaryContext:
    return SummaryContext(
        athlete=plan.request.athlete,
        cleared_by=plan.request.cleared_by,
        site=_site(plan, known),
        grade=_grade(plan, known),
        protocol_version=plan.protocol.version,
        start=plan.start,
        end=plan.end,
        first_run=plan.first_run,
        first_run_week=(plan.first_run - plan.start).days // 7,
        first_run_gate=_gate_before(plan, plan.first_run),
        first_run_range=plan.protection.first_run_range,
        weeks_total=plan.weeks,
        key_dates=_key_dates(plan),
        training_week=training_week(plan),
        bodyweight_note=_bodyweight_note(plan),
    )


WEEKDAY_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _day_list(days: Iterable[int]) -> str:
    names = [WEEKDAY_FULL[d] for d in sorted(set(days))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def training_week(plan: Plan) -> str:
    """One sentence on the runner's week: rest days, run days, preferred cross-training."""
    runs = {d.date.weekday() for d in plan.days if d.kind == "run"}
    text = (f"Rest every {_day_list(plan.request.rest_days)}; bone-loading sessions on "
            f"{_day_list(runs)}, never two days in a row.")
    if plan.request.cross:
        text += (" Preferred cross-training: " + ", ".join(plan.request.cross)
                 + ", where the phase allows it.")
    return text


def _bodyweight_note(plan: Plan) -> str | None:
    if not plan.request.bodyweight_support:
        return None
    percent = plan.protocol.bodyweight_percent
    return (f"The first {len(percent)} walk/run weeks are on an anti-gravity treadmill, from "
            f"{percent[0]}% to {percent[-1]}% of body weight, then on the ground "
            f"[{plan.protocol.bodyweight_source}].")


def _sections(plan: Plan, known: set[str]) -> SectionsContext:
    weekday_headers, weeks = _weeks(plan)
    stages = _stages(plan, known)
    return SectionsContext(
        phases=[_phase_row(plan, span, known) for span in plan.phases],
        weekday_headers=weekday_headers,
        weeks=weeks,
        stages=stages,
        pain_rules=plan.pain_rules,
        bone_health=[
            BoneItem(text=text, sources=source_keys(src, known))
            for text, src in plan.protocol.bone_health
        ],
        references=_cited_references(plan, known, stages),
        calendar_advice=CALENDAR_ADVICE,
        calendar_import=CALENDAR_IMPORT,
        disclaimer=DISCLAIMER,
        red_flags=RED_FLAGS,
    )


# The diary key restates the protocol's pain rules (printed in full beside it) in a few
# plain lines a runner can apply with a pen in hand; it must never say more than they do.
DIARY_KEY = (
    "Score pain at the injury site only, from 0 (no pain) to 10 (worst imaginable). General "
    "muscle soreness does not count: write it in the notes.",
    "0 during the session and 0 the next morning is the goal. Move on to the next stage only "
    "after a week of sessions that stayed at 0.",
    "Any pain at the injury site during a session or within 24 hours (including the next "
    "morning): rest 1-2 days, then step back one stage and repeat it until it is pain-free. "
    "Sharp pain, pain that builds, or a limp: do not progress. The later dates move back.",
    "Pain at rest or at night, or swelling: stop training and contact your clinician.",
    "Bring this diary to every appointment.",
)


class LazyChart:
    """The load chart SVG, drawn only when a template prints it.

    Drawing it is the costliest part of the context and only the HTML guide shows it; Jinja
    calls ``__html__`` when autoescaping (the SVG is already escaped) and ``str`` otherwise.
    """

    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._svg: str | None = None

    def __html__(self) -> str:
        """The SVG element, built once."""
        if self._svg is None:
            self._svg = load_chart_svg(self._plan)
        return self._svg

    __str__ = __html__


def _visuals(plan: Plan, headers: tuple[str, ...]) -> VisualsContext:
    loads = weekly_load(plan)
    return VisualsContext(
        load=_load_rows(loads),
        load_series=tuple((s.key, s.label) for s in present_series(loads)),
        load_chart=LazyChart(plan),
        months=month_grids(plan, headers),
        calendar_key=calendar_key(),
        diary=_diary(plan),
        diary_key=DIARY_KEY,
    )


def _load_rows(loads: list[WeekLoad]) -> list[LoadRow]:
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


def _diary(plan: Plan) -> list[DiaryPhase]:
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
                              gate=day.gate, week=day.week, new_week=new_week))
    return [phase for phase in phases if phase["rows"]]


def source_keys(source: str, known: set[str]) -> tuple[str, ...]:
    """Split a protocol source field (``"R22, R23"``, ``"R22; R23"``) into known keys.

    Unknown tokens are dropped so a guide never shows a citation with no reference entry.
    """
    tokens = re.split(r"[\s,;/]+", source.replace("[", " ").replace("]", " "))
    return tuple(dict.fromkeys(t for t in tokens if t in known))


def _site(plan: Plan, known: set[str]) -> dict[str, Any]:
    site = plan.site
    return {
        "id": site.id,
        "name": site.name,
        "risk": site.risk,
        "bone": site.bone,
        "hop_test": site.hop_test,
        "strength_focus": site.strength_focus,
        "timeline_note": site.timeline_note,
        "timeline_sources": tuple(k for k in site.timeline_sources if k in known),
        "full_return_range": site.full_return_range,
        "full_return_sources": source_keys(site.full_return_source, known),
    }


def _grade(plan: Plan, known: set[str]) -> dict[str, Any]:
    grade = plan.grade
    return {
        "number": grade.number,
        "name": grade.name,
        "description": grade.description,
        "sources": source_keys(grade.source, known),
    }


def _phase_row(plan: Plan, span: PhaseSpan, known: set[str]) -> PhaseRow:
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
    )


def _gate_before(plan: Plan, day: date) -> str:
    """Name of the gate that opens the phase holding ``day`` ("" in the first phase)."""
    spans = plan.phases
    index = next(i for i, span in enumerate(spans) if span.start <= day <= span.end)
    return spans[index - 1].gate_name if index else ""


def _key_dates(plan: Plan) -> list[KeyDate]:
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
    found.append(KeyDate(date=plan.first_run, label="First walk/run session", detail=""))
    found.append(KeyDate(date=plan.end, label=spans[-1].gate_name, detail="last day of the plan"))
    return sorted(found, key=lambda k: k["date"])


def _weeks(plan: Plan) -> tuple[tuple[str, ...], list[WeekRow]]:
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
        gate=day.gate,
        gate_short=day.gate.split(":")[0] if day.gate else None,
        run_minutes=day.run_minutes,
        total_minutes=day.total_minutes,
    )


def day_label(day: Day) -> str:
    """Short text for a table cell: the day's title without a leading gate tag.

    The table marks gate days itself, so ``Gate 2 · Cross-train: bike 30 min`` becomes
    ``Cross-train: bike 30 min``.
    """
    head, sep, rest = day.title.partition(" · ")
    if day.gate and sep and head.lower().startswith("gate"):
        return rest
    return day.title


def _stages(plan: Plan, known: set[str]) -> list[StageRow]:
    """The protocol's walk/run stages this plan uses, matched by their minutes per session.

    Days carry minutes, not stage ids; continuous build runs match no stage and are skipped.
    """
    protocol = plan.protocol
    candidates = (*protocol.high_risk_stages, *protocol.stages)
    rows: dict[str, StageRow] = {}
    for day in plan.days:
        stage = next((s for s in candidates if _is_stage(day, s.run_minutes, s.walk_minutes)), None)
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


def _is_stage(day: Day, run_minutes: int, walk_minutes: int) -> bool:
    return day.kind == "run" and (day.run_minutes, day.walk_minutes) == (run_minutes, walk_minutes)


def _cited_references(plan: Plan, known: set[str], stages: list[StageRow]) -> list[Reference]:
    """References cited anywhere in the plan, in protocol order; uncited ones are left out."""
    cited = set(_structured_sources(plan, known, stages))
    for text in _plan_texts(plan):
        for group in CITATION.findall(text):
            cited.update(source_keys(group, known))
    return [ref for ref in plan.protocol.references if ref.key in cited]


def _structured_sources(plan: Plan, known: set[str], stages: list[StageRow]) -> Iterable[str]:
    protocol, site = plan.protocol, plan.site
    fields = [plan.grade.source, site.full_return_source, *site.timeline_sources]
    fields += [p.source for p in protocol.phases if p.id in {s.id for s in plan.phases}]
    fields += [src for _, src in protocol.bone_health]
    fields += [" ".join(stage["sources"]) for stage in stages]
    for field in fields:
        yield from source_keys(field, known)


def _plan_texts(plan: Plan) -> Iterable[str]:
    # Protocol wording cites inline ("... [R23, R24]"); every such text reaches the guide
    # or the calendar, so each needs its reference entry.
    yield from plan.pain_rules
    yield from (text for text, _ in plan.protocol.bone_health)
    yield plan.site.timeline_note
    for span in plan.phases:
        yield span.aim
        yield from span.gate
    for milestone in plan.milestones:
        yield milestone.detail
    for day in plan.days:
        yield day.details
