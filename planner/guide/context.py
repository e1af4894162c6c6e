"""What the guide templates receive: one typed context, built by one function.

Clinical wording comes from the plan and its protocol; the guide's own texts are in
`planner.guide.wording`, the tables in `planner.guide.tables`, the month grids in
`planner.guide.months` and the load chart in `planner.guide.chart`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from planner.core import pain
from planner.core.citations import cited_keys, source_keys
from planner.core.models import Plan, Reference
from planner.guide.chart import LazyChart
from planner.guide.clinic import Clinic
from planner.guide.months import calendar_key, month_grids
from planner.guide.records import (
    BoneItem,
    GuideContext,
    PainRuleRow,
    SectionsContext,
    StageRow,
    SummaryContext,
    VisualsContext,
)
from planner.guide.tables import (
    diary_phases,
    gate_before,
    key_dates,
    load_rows,
    phase_row,
    stage_rows,
    week_rows,
    present_series,
    training_week,
    weekly_load,
    weight_bearing_note,
)
from planner.guide.wording import (
    CALENDAR_ADVICE,
    CALENDAR_IMPORT,
    DISCLAIMER,
    STEP_LABELS,
    diary_key,
)


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


def _first_run_wait(plan: Plan) -> str:
    """Why the first run falls after the published window, or "" when it does not."""
    window = plan.protection.first_run_range
    if not window or (plan.first_run - plan.start).days // 7 <= window[1]:
        return ""
    reload = next(p for p in plan.phases if p.id == "reload")
    weeks = (reload.end - reload.start).days // 7 + 1
    if weeks > plan.protection.first_run_weeks - plan.protection.protect_weeks:
        steps = "walking, then double-leg, then single-leg impact" if plan.site.hop_test else (
            "walking, then double-leg impact")
        return f"the reload takes at least {weeks} weeks: {steps}, one step a week"
    return "the plan waits for the start of the next training week"


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
        first_run_gate=gate_before(plan, plan.first_run),
        first_run_range=plan.protection.first_run_range,
        first_run_basis=plan.protection.first_run_basis,
        first_run_wait=_first_run_wait(plan),
        weeks_total=plan.weeks,
        key_dates=key_dates(plan),
        training_week=training_week(plan),
        bodyweight_note=_bodyweight_note(plan),
        weight_bearing=weight_bearing_note(plan),
    )


def _bodyweight_note(plan: Plan) -> str | None:
    if not plan.request.bodyweight_support:
        return None
    percent = plan.protocol.bodyweight_percent
    return (f"The first {len(percent)} walk/run weeks are on an anti-gravity treadmill, from "
            f"{percent[0]}% to {percent[-1]}% of body weight, then on the ground "
            f"[{plan.protocol.bodyweight_source}].")


def _sections(plan: Plan, known: set[str]) -> SectionsContext:
    weekday_headers, weeks = week_rows(plan)
    stages = stage_rows(plan, known)
    return SectionsContext(
        phases=[phase_row(plan, span, known) for span in plan.phases],
        weekday_headers=weekday_headers,
        weeks=weeks,
        stages=stages,
        pain_rules=[PainRuleRow(id=rule.id, title=rule.title, line=pain.rule_line(rule))
                    for rule in pain.rules_for(plan.protocol, plan.site.id)],
        pain_steps=[(STEP_LABELS[b.kind], f"{b.text} [{b.sources}]")
                    for b in plan.protocol.pain_steps.back],
        pain_repeat=f"{plan.protocol.pain_steps.repeat} [{plan.protocol.pain_steps.sources}]",
        bone_health=[
            BoneItem(text=text, sources=source_keys(src, known))
            for text, src in plan.protocol.bone_health
        ],
        references=_cited_references(plan, known, stages),
        calendar_advice=CALENDAR_ADVICE,
        calendar_import=CALENDAR_IMPORT,
        disclaimer=DISCLAIMER,
        red_flags=pain.red_flag(plan.protocol, plan.site.id),
    )


def _visuals(plan: Plan, headers: tuple[str, ...]) -> VisualsContext:
    loads = weekly_load(plan)
    return VisualsContext(
        load=load_rows(loads),
        load_series=tuple((s.key, s.label) for s in present_series(loads)),
        load_chart=LazyChart(plan),
        months=month_grids(plan, headers),
        calendar_key=calendar_key(),
        diary=diary_phases(plan),
        diary_key=diary_key(plan.protocol, plan.site.id),
    )


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
        "full_return_note": site.full_return_note,
    }


def _grade(plan: Plan, known: set[str]) -> dict[str, Any]:
    grade = plan.grade
    return {
        "number": grade.number,
        "name": grade.name,
        "description": grade.description,
        "sources": source_keys(grade.source, known),
    }


def _cited_references(plan: Plan, known: set[str], stages: list[StageRow]) -> list[Reference]:
    """References cited anywhere in the plan, in protocol order; uncited ones are left out."""
    cited = set(_structured_sources(plan, known, stages))
    cited.update(key for key in cited_keys(_plan_texts(plan)) if key in known)
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
    steps = plan.protocol.pain_steps
    yield f"[{steps.sources}]"
    yield from (f"[{step.sources}]" for step in steps.back)
    yield from (text for text, _ in plan.protocol.bone_health)
    yield plan.site.timeline_note
    yield plan.protection.first_run_basis or ""
    yield plan.site.full_return_note or ""
    for span in plan.phases:
        yield span.aim
        yield from span.gate
    for milestone in plan.milestones:
        yield milestone.detail
    for day in plan.days:
        yield day.details
