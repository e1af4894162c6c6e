"""What the guide templates receive: one typed context, built by one function.

Clinical wording comes from the plan and its protocol; only the disclaimer and the
calendar-import help are the guide's own text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict

from planner.models import Day, PhaseSpan, Plan, Reference

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


class GuideContext(SummaryContext, SectionsContext):
    """Everything a guide template receives, built only by :func:`build_context`."""


def build_context(plan: Plan) -> GuideContext:
    """Build the one dictionary that guide templates receive for ``plan``.

    Dates stay ``date`` objects (templates format them with ``longdate``/``shortdate``).
    Clinical wording comes from the plan and its protocol; only the disclaimer and the
    calendar-import help are the renderer's own.
    """
    known = {ref.key for ref in plan.protocol.references}
    return GuideContext(**_summary(plan, known), **_sections(plan, known))


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
    return SectionsContext(
        phases=[_phase_row(plan, span, known) for span in plan.phases],
        weekday_headers=weekday_headers,
        weeks=weeks,
        stages=_stages(plan, known),
        pain_rules=plan.pain_rules,
        bone_health=[
            BoneItem(text=text, sources=source_keys(src, known))
            for text, src in plan.protocol.bone_health
        ],
        references=_cited_references(plan),
        calendar_advice=CALENDAR_ADVICE,
        calendar_import=CALENDAR_IMPORT,
        disclaimer=DISCLAIMER,
        red_flags=RED_FLAGS,
    )


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


def _week_start_weekday(plan: Plan) -> int:
    # Plan weeks are calendar weeks from the runner's chosen week start (Monday or Sunday).
    return plan.request.week_start


def _weeks(plan: Plan) -> tuple[tuple[str, ...], list[WeekRow]]:
    first = _week_start_weekday(plan)
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


def _cited_references(plan: Plan) -> list[Reference]:
    """References cited anywhere in the plan, in protocol order; uncited ones are left out."""
    known = {ref.key for ref in plan.protocol.references}
    cited = set(_structured_sources(plan, known))
    for text in _plan_texts(plan):
        for group in CITATION.findall(text):
            cited.update(source_keys(group, known))
    return [ref for ref in plan.protocol.references if ref.key in cited]


def _structured_sources(plan: Plan, known: set[str]) -> Iterable[str]:
    protocol, site = plan.protocol, plan.site
    fields = [plan.grade.source, site.full_return_source, *site.timeline_sources]
    fields += [p.source for p in protocol.phases if p.id in {s.id for s in plan.phases}]
    fields += [src for _, src in protocol.bone_health]
    fields += [" ".join(stage["sources"]) for stage in _stages(plan, known)]
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
