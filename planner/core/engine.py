"""The plan engine: request + protocol -> dated plan. Pure: no I/O, no clock.

Training weeks end on the runner's rest day, and every phase starts the day after a rest day, so
the first day of a phase (where its gate sits) is a non-loading day. Inside a training week the
day offset k (0 = the day after rest … 6 = the rest day) decides the session:

    k:       0      1          2        3          4         5          6
    protect  cross  strength   cross    strength   cross     strength   rest
    reload   cross  str/impact cross    strength   cross/imp strength   rest
    run      cross  run        strength run        cross     run        rest
    build    cross  run        strength run        cross     run        rest
    sport    cross  run        strength run        cross     run        rest
     + 4th   run    run        strength run        cross     run        rest

so loading days (run, impact) are never adjacent, even across weeks and phase changes, until
the return-to-sport gate that adds a 4th run day: from then on the day after the rest day is
a run too, one easy back-to-back pair a week (`planner.core.sport` has the weekly numbers).
Return-to-sport additions are gated on the rest day before their week; the final clinician
review is the plan's last day, the day after the last full week, with no training.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from planner.core import pain, sessions
from planner.core.bearing import (
    GATE_LABEL, IMAGING_LABEL, bearing_changes, bearing_gate, status_on,
)
from planner.core.load import LOADING_MODALITIES, build_stage_id
from planner.core.filled import fill
from planner.core.models import (
    LOADING_KINDS, Day, Gate, Milestone, PhaseSpan, Plan, PlanRequest, Protection, Protocol, Site,
    Stage,
)
from planner.core.sessions import Session
from planner.core.request import check_request
from planner.core.sport import SportWeek, sport_weeks
from planner.core.week import (
    WeekPattern, choose_pattern, fourth_run_day, week_start_on_or_after,
)

class _Context(NamedTuple):
    """Everything the day-by-day scheduler needs, resolved once."""

    request: PlanRequest
    protocol: Protocol
    site: Site
    protection: Protection
    pattern: WeekPattern
    schedule: tuple[tuple[Stage, int], ...]
    # (first day, status) of each weight-bearing status, ending with full weight-bearing.
    bearing: tuple[tuple[date, str], ...]
    reload: tuple[_ReloadWeek, ...] = ()
    # Return to sport: the weekday a 4th run day goes on (None: no room), and the weeks.
    fourth: int | None = None
    sport: tuple[SportWeek, ...] = ()


class _ReloadWeek(NamedTuple):
    """What one reload week holds; from one week to the next only one of these rises."""

    walk: int
    elliptical: bool
    single_leg: bool
    impact: str | None  # "double" or "single" (its last impact day is the hop test)


def build_plan(request: PlanRequest, protocol: Protocol, today: date | None = None) -> Plan:
    """Build the dated plan. `today` only bounds the start date; pass None to skip that check.

    Raises RequestError (or UnknownSite) for a bad request and ReferralRequired for a
    surgeon-led case without a clearance (see `planner.core.request.check_request`).
    """
    site = check_request(request, protocol, today)
    request = request._replace(site=site.id)
    pattern = choose_pattern(request.rest_days, request.run_days, protocol.rules.sessions_per_week)
    protection = site.protection_for(request.grade)
    ctx = _Context(request, protocol, site, protection, pattern,
                   tuple(_run_schedule(protocol, site, request.bodyweight_support)),
                   bearing_changes(request.start, protection, pattern.anchor))
    ctx = _with_sport(ctx)
    spans = _phase_spans(ctx)
    reload = next(s for s in spans if s.id == "reload")
    ctx = ctx._replace(reload=_reload_plan(ctx, ((reload.end - reload.start).days + 1) // 7))
    days = _ensure_calendar_week_rest(_days(ctx, spans), protocol, request.week_start,
                                      site.id)
    return Plan(
        request=request,
        site=site,
        grade=protocol.grade(request.grade),
        protection=ctx.protection,
        phases=spans,
        days=days,
        milestones=_milestones(spans, days),
        pain_rules=pain.lines(protocol, site.id),
        protocol=protocol,
    )


def _with_sport(ctx: _Context) -> _Context:
    """Add the return-to-sport weeks, from Build's last week and the runner's usual volume."""
    rules = ctx.protocol.return_to_sport
    fourth = fourth_run_day(ctx.pattern, ctx.request.run_days)
    usual = ctx.request.usual_minutes or rules.default_usual_minutes
    weeks = sport_weeks(rules, usual, len(ctx.pattern.loading),
                        ctx.protocol.rules.build_run_minutes[-1], fourth is not None)
    return ctx._replace(fourth=fourth, sport=weeks)


def _last_weekday_in(day: date, weekdays: tuple[int, ...]) -> date:
    """The latest date on or before `day` whose weekday is one of `weekdays`."""
    return day - timedelta(days=min((day.weekday() - w) % 7 for w in weekdays))


def _run_schedule(protocol: Protocol, site: Site,
                  supported: bool = False) -> list[tuple[Stage, int]]:
    """Stages of the return-to-run phase, one per week, with a lighter week after every 3.

    A lighter week repeats the previous stage with one session fewer (one variable at a time),
    and the phase never ends on a lighter week. A stage with `weeks` > 1 is held that long.
    """
    stages = [stage for stage in
              (*(protocol.high_risk_stages if site.risk == "high" else ()), *protocol.stages)
              for _ in range(stage.weeks)]
    full = protocol.rules.sessions_per_week
    schedule: list[tuple[Stage, int]] = []
    for i, stage in enumerate(stages):
        schedule.append((stage, full))
        progressing = sum(1 for _, n in schedule if n == full)
        if progressing % (protocol.rules.lighter_every - 1) == 0 and i < len(stages) - 1:
            schedule.append((stage, full - 1))
    return _hold_on_leaving_support(schedule, len(protocol.bodyweight_percent), full) \
        if supported else schedule


def _hold_on_leaving_support(schedule: list[tuple[Stage, int]], weeks: int,
                             full: int) -> list[tuple[Stage, int]]:
    """The first week off the anti-gravity treadmill is a new modality (overground running
    loads the bone more than a treadmill that takes off body weight), so it repeats the last supported week's stage instead of
    advancing: one thing rises at a time (planner.core.load)."""
    if len(schedule) <= weeks or schedule[weeks][0] == schedule[weeks - 1][0]:
        return schedule
    return [*schedule[:weeks], (schedule[weeks - 1][0], full), *schedule[weeks:]]


def _phase_spans(ctx: _Context) -> tuple[PhaseSpan, ...]:
    start, anchor = ctx.request.start, ctx.pattern.anchor
    reload = week_start_on_or_after(start + timedelta(weeks=ctx.protection.protect_weeks), anchor)
    run = week_start_on_or_after(start + timedelta(weeks=ctx.protection.first_run_weeks), anchor)
    # Room for a week of walking, double-leg impact and (with a hop test) single-leg hops.
    run = max(run, reload + timedelta(weeks=_min_reload_weeks(ctx)))
    build = run + timedelta(weeks=len(ctx.schedule))
    sport = build + timedelta(weeks=len(ctx.protocol.rules.build_run_minutes))
    # The plan ends the day after its last full week: the final clinician review, a day
    # without training (a free day, so never beside a run that would make it loading).
    end = sport + timedelta(weeks=len(ctx.sport))
    bounds = [start, reload, run, build, sport, end + timedelta(days=1)]
    return tuple(
        PhaseSpan(
            id=text.id, name=text.name, aim=text.aim,
            start=bounds[i], end=bounds[i + 1] - timedelta(days=1),
            gate_name=text.gate_name,
            gate=_gate_criteria(ctx.protocol, text.id, ctx.site, ctx.protection, ctx.request),
        )
        for i, text in enumerate(ctx.protocol.phases)
    )


def _gate_criteria(
    protocol: Protocol, phase_id: str, site: Site, protection: Protection, request: PlanRequest
) -> tuple[str, ...]:
    """The phase's gate criteria plus the ones that depend on the site and the request."""
    extras = protocol.gate_extras
    criteria = list(protocol.phase(phase_id).gate)
    if phase_id == "protect" and protection.bearing_steps():
        criteria.append(extras.weight_bearing)
    if phase_id == "reload":
        # Imaging clearance first: at a high-risk site no hop (test) comes before it [R21].
        if site.risk == "high":
            criteria.append(extras.high_risk)
        criteria.append(extras.hop_test if site.hop_test else extras.no_hop)
    if request.cleared_by and phase_id == "reload":
        criteria.append(fill(extras.cleared, cleared_by=request.cleared_by.strip()))
    return tuple(criteria)


def _days(ctx: _Context, spans: tuple[PhaseSpan, ...]) -> list[Day]:
    start = ctx.request.start
    # Plan weeks are calendar weeks from the runner's week start (week 1 may be short);
    # phases themselves start on the pattern's anchor day.
    first_week = start - timedelta(days=(start.weekday() - ctx.request.week_start) % 7)
    days = []
    inner = _inner_gates(ctx, spans)
    for index, span in enumerate(spans):
        phase_week_start = week_start_on_or_after(span.start, ctx.pattern.anchor)
        for n in range((span.end - span.start).days + 1):
            day = span.start + timedelta(days=n)
            gate = spans[index - 1].gate_check if index and day == span.start else None
            if day == spans[-1].end:
                gate, session = spans[-1].gate_check, sessions.review(
                    ctx.protocol.return_to_sport.review)
            else:
                session = _session(ctx, span, day, (day - phase_week_start).days // 7)
                gate = gate or inner.get(day)
            days.append(_day(day, span, 1 + (day - first_week).days // 7, session, gate, ctx))
    return days


def _inner_gates(ctx: _Context, spans: tuple[PhaseSpan, ...]) -> dict[date, Gate]:
    """The gates inside phases, by day: each weight-bearing change, a high-risk site's imaging
    check and the return-to-sport additions (none falls on a phase's first day)."""
    gates = {since: bearing_gate(ctx.protocol, before, status)
             for (_, before), (since, status) in zip(ctx.bearing, ctx.bearing[1:])}
    first_impact = next((i for i, week in enumerate(ctx.reload) if week.impact), None)
    if ctx.site.risk == "high" and first_impact is not None:
        reload = next(s for s in spans if s.id == "reload")
        gates[reload.start + timedelta(weeks=first_impact)] = Gate(
            label=IMAGING_LABEL, name=f"{IMAGING_LABEL}: cleared for impact work",
            criteria=(ctx.protocol.gate_extras.imaging,))
    return {**gates, **_step_gates(ctx, spans)}


def _step_gates(ctx: _Context, spans: tuple[PhaseSpan, ...]) -> dict[date, Gate]:
    """Each return-to-sport addition's gate, on the last rest day before its week.

    Numbered on from the phase gates (Gate 1 … 4), in the order the additions come.
    """
    rules, sport = ctx.protocol.return_to_sport, spans[-1]
    gates: dict[date, Gate] = {}
    for i, week in enumerate(ctx.sport):
        if week.step is None:
            continue
        text = rules.step(week.step)
        label = f"Gate {len(spans) + len(gates)}"
        before = _last_weekday_in(sport.start + timedelta(weeks=i, days=-1), ctx.pattern.rest)
        gates[before] = Gate(label=label, name=f"{label}: {text.name}", criteria=text.gate)
    return gates


def _session(ctx: _Context, span: PhaseSpan, day: date, week: int) -> Session:
    """The session for one day, from its weekday's role in the pattern and the phase."""
    weekday, pattern = day.weekday(), ctx.pattern
    bearing = ctx.protocol.bearing(status_on(ctx.bearing, day))
    if weekday in pattern.rest:
        return sessions.rest(bearing)
    load = pattern.loading.index(weekday) if weekday in pattern.loading else None
    free = pattern.free.index(weekday) if load is None else None
    if span.id == "protect":
        if load is not None:
            return sessions.protect_strength(bearing, ctx.site)
        # On crutches or in a boot only the non-weight-bearing options are safe.
        options = "protect" if bearing.status == "full" else "protect_nwb"
        allowed = ctx.site.protect_cross or ctx.protocol.cross_training.protect.allowed
        return sessions.protect_cross(bearing, _modality(ctx, options, free), ctx.protocol,
                                      allowed)
    if span.id == "reload":
        return _reload_session(ctx, span, week, load, free)
    if span.id == "return-to-run":
        stage, count = ctx.schedule[week]
        run = sessions.run_session(stage, _bodyweight(ctx, week))
        return _loading_week_day(ctx, load, free, count, run)
    if span.id == "return-to-sport":
        return _sport_session(ctx, ctx.sport[week], weekday)
    # Build raises duration only: strides are the return-to-sport phase's, behind a gate.
    minutes = ctx.protocol.rules.build_run_minutes
    run = sessions.build_run(minutes[week], False)._replace(stage=build_stage_id(week))
    return _loading_week_day(ctx, load, free, len(pattern.loading), run)


def _sport_session(ctx: _Context, week: SportWeek, weekday: int) -> Session:
    """A return-to-sport day: the week's runs in their roles, strength and cross between."""
    pattern = ctx.pattern
    runs = sorted((*pattern.loading, *((ctx.fourth,) if week.runs > len(pattern.loading) else ())),
                  key=pattern.offset)
    if weekday in runs:
        rules = ctx.protocol.return_to_sport
        role = _run_role(week, runs, weekday)
        minutes = week.long_minutes(rules) if role == "long" else week.easy
        paired = any((weekday + d) % 7 in runs for d in (-1, 1))
        return sessions.sport_run(minutes, role, rules, paired)
    free = [d for d in pattern.free if d not in runs]
    # Strength stays on the weekday it had in Build while that day is free.
    usual = pattern.free[len(pattern.free) // 2]
    strength = usual if usual in free else free[len(free) // 2]
    if weekday == strength and len(free) > 1:
        return sessions.loading_strength(ctx.site, single_leg=ctx.reload[-1].single_leg)
    others = [d for d in free if d != strength or len(free) == 1]
    return sessions.loading_cross(_modality(ctx, "loading", others.index(weekday)), ctx.protocol)


def _run_role(week: SportWeek, runs: list[int], weekday: int) -> str:
    """"long" for the week's first run that does not follow a run (normally the day after
    rest, where BWH puts increases [R22]; never the second of a back-to-back pair), the
    intensity step for the first other run with no run day beside it, else "easy"."""
    long = next(d for d in runs if (d - 1) % 7 not in runs) if week.long else None
    if weekday == long:
        return "long"
    alone = [d for d in runs if not any((d + s) % 7 in runs for s in (-1, 1)) and d != long]
    return week.intensity if week.intensity and alone and weekday == alone[0] else "easy"


def _bodyweight(ctx: _Context, week: int) -> int | None:
    """Percent of body weight on an anti-gravity treadmill this run week, or None."""
    percent = ctx.protocol.bodyweight_percent
    return percent[week] if ctx.request.bodyweight_support and week < len(percent) else None


def _modality(ctx: _Context, options_key: str, slot: int) -> str:
    """The runner's preferred modalities that this phase allows, else the phase default."""
    options = getattr(ctx.protocol.cross_training, options_key)
    allowed, default = options.allowed, options.default
    if options_key == "loading" and not any(w.elliptical for w in ctx.reload):
        # A site-loading modality the reload never introduced would rise with the first run.
        allowed = tuple(m for m in allowed if m not in LOADING_MODALITIES)
        default = tuple(m for m in default if m not in LOADING_MODALITIES) or allowed[:1]
    if options_key.startswith("protect") and ctx.site.protect_cross:
        # A site can narrow what its protection allows (pelvis, sacrum: bike before the pool).
        allowed = default = tuple(m for m in ctx.site.protect_cross if m in options.allowed)
    preferred = [m for m in ctx.request.cross if m in allowed] or list(default)
    return preferred[slot % len(preferred)]


def _loading_week_day(ctx: _Context, load: int | None, free: int | None, runs: int,
                      run: Session) -> Session:
    """Run days, one strength day mid-week, cross-training on the others."""
    if load is not None and load < runs:
        return run
    pattern = ctx.pattern
    strength_slot = len(pattern.free) // 2
    if free == strength_slot and len(pattern.free) > 1:
        return sessions.loading_strength(ctx.site, single_leg=ctx.reload[-1].single_leg)
    slot = 0 if free is None else free - int(free > strength_slot and len(pattern.free) > 1)
    return sessions.loading_cross(_modality(ctx, "loading", slot), ctx.protocol)


def _min_reload_weeks(ctx: _Context) -> int:
    """A walking week, then a double-leg week, then (with a hop test) a single-leg week."""
    return 2 + int(ctx.site.hop_test)


def _reload_plan(ctx: _Context, weeks: int) -> tuple[_ReloadWeek, ...]:
    """The reload weeks, one rise a week (see planner.core.load).

    Week 1 brings the first brisk walks. The weeks after it, while there is room, raise the walk
    by 5 minutes toward the target, then add single-leg strength, then the elliptical; the last
    weeks are impact: double-leg contacts (a second week of them if there is room [R32a]), then
    single-leg hops ending with the hop test where the site allows one. Walking reaches the
    target before any impact, so the target holds through the impact weeks. Spare weeks hold.
    """
    rules = ctx.protocol.rules
    spare = weeks - _min_reload_weeks(ctx)
    walk_rises = min(spare, (rules.reload_walk_target - rules.reload_walk_start) // 5)
    single_leg = int(spare - walk_rises >= 1)
    elliptical = int(spare - walk_rises - single_leg >= 1)
    extra_double = min(spare - walk_rises - single_leg - elliptical, rules.impact_weeks - 1)
    hold = spare - walk_rises - single_leg - elliptical - extra_double
    steps = (["walk"] * walk_rises + ["hold"] * hold + ["single_leg"] * single_leg
             + ["elliptical"] * elliptical + ["double"] * (1 + extra_double)
             + ["single"] * int(ctx.site.hop_test))
    week = _ReloadWeek(rules.reload_walk_target - 5 * walk_rises, False, False, None)
    plan = [week]
    for step in steps:
        week = week._replace(
            walk=week.walk + 5 * (step == "walk"),
            single_leg=week.single_leg or step == "single_leg",
            elliptical=week.elliptical or step == "elliptical",
            impact=step if step in ("double", "single") else week.impact)
        plan.append(week)
    return tuple(plan)


def _reload_session(ctx: _Context, span: PhaseSpan, week: int, load: int | None,
                    free: int | None) -> Session:
    plan = ctx.reload[week]
    impact_slots = (0, len(ctx.pattern.loading) - 1)
    if load in impact_slots and plan.impact:
        # The hop test is the last impact day before Gate 2, two days or more before the
        # first run: a loading day with a non-loading day on either side.
        last = week == len(ctx.reload) - 1 and load == impact_slots[-1]
        step = "hop-test" if plan.impact == "single" and last else plan.impact
        return sessions.reload_impact(plan.walk, step, ctx.protocol, ctx.site)
    if load is not None:
        return sessions.reload_strength(plan.walk, ctx.site, single_leg=plan.single_leg)
    modality = _modality(ctx, "reload_late" if plan.elliptical else "reload", free or 0)
    return sessions.reload_cross(plan.walk, modality, ctx.protocol)


def _day(
    day: date, span: PhaseSpan, week: int, session: Session, gate: Gate | None,
    ctx: _Context,
) -> Day:
    protocol, request = ctx.protocol, ctx.request
    parts = [session.details]
    if gate is not None:
        parts.append(_gate_block(gate, session.kind == "rest"))
    parts.append(_pain_block(protocol, session.kind, ctx.site.id,
                             pain.step_kind(span.id, session.stage)))
    parts.append(f"Phase: {span.name}, plan week {week}.")
    if request.cleared_by and (gate is not None or day == request.start):
        parts.append(f"Cleared for conservative rehab by: {request.cleared_by.strip()}.")
    return Day(
        date=day, phase=span.id, week=week, kind=session.kind, session=session.title,
        details="\n\n".join(parts), run_minutes=session.run_minutes,
        walk_minutes=session.walk_minutes, total_minutes=session.total_minutes,
        gate=gate, stage=session.stage, weight_bearing=status_on(ctx.bearing, day),
        modality=session.modality, single_leg=session.single_leg, intensity=session.intensity,
    )


def _gate_block(gate: Gate, rest_day: bool = False) -> str:
    """The checklist of a gate day, with what to do when an answer is no."""
    when = ("check today, before your next session" if rest_day
            else "check before today's session")
    again = "the last week" if rest_day else "the last week of the previous phase"
    otherwise = {
        GATE_LABEL: "Change only if every answer is yes; otherwise stay as you are for another "
                    "week and check again.",
        IMAGING_LABEL: "Start impact work only if every answer is yes; otherwise keep to "
                       "walking and strength and ask when to check again.",
    }.get(gate.label, f"Move on only if every answer is yes; otherwise repeat {again} and "
                      "check again.")
    return "\n".join([f"{gate.name.upper()}: {when}. {otherwise}",
                      *(f"- {c}" for c in gate.criteria)])


def _pain_block(protocol: Protocol, kind: str, site_id: str, step_kind: str | None = None) -> str:
    """The site's pain rules in full on loading days (with the step back from today's kind of
    stage), their short reminder on other training days, the red flags on rest days."""
    if kind in LOADING_KINDS:
        return pain.loading_block(protocol, site_id, step_kind)
    return pain.red_flag(protocol, site_id) if kind == "rest" else pain.reminder(protocol, site_id)


def _ensure_calendar_week_rest(days: list[Day], protocol: Protocol, week_start: int,
                               site_id: str) -> tuple[Day, ...]:
    """Every calendar week of the plan (from `week_start`) gets at least one rest day.

    Training weeks always hold one; only a short first calendar week can miss the rest weekday,
    and it falls in the protect phase, so its last non-gate day becomes an extra rest day.
    """
    result = list(days)
    weeks: dict[date, list[int]] = {}
    for i, d in enumerate(result):
        weeks.setdefault(d.date - timedelta(days=(d.date.weekday() - week_start) % 7), []).append(i)
    for indexes in weeks.values():
        if any(result[i].kind == "rest" for i in indexes):
            continue
        i = next(i for i in reversed(indexes) if result[i].phase == "protect" and not result[i].gate)
        session = sessions.rest(protocol.bearing(result[i].weight_bearing))
        result[i] = result[i]._replace(kind="rest", session=session.title, stage=None, details="\n\n".join(
            [session.details, _pain_block(protocol, "rest", site_id),
             f"Phase: Protect, plan week {result[i].week}."]),
            run_minutes=0, walk_minutes=0, total_minutes=0)
    return tuple(result)


def _milestones(spans: tuple[PhaseSpan, ...], days: tuple[Day, ...]) -> tuple[Milestone, ...]:
    """Every gate day (phase gates, return-to-sport additions, the final review) and the first
    run, in date order."""
    found = [Milestone(d.date, d.gate.name, " ".join(d.gate.criteria)) for d in days if d.gate]
    first_run = next(d.date for d in days if d.kind == "run")
    found.append(Milestone(first_run, "First run", "First walk/run bone-loading session."))
    return tuple(sorted(found, key=lambda m: m.date))
