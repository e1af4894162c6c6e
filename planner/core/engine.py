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

from planner.core import sessions
from planner.core.filled import fill
from planner.core.models import (
    LOADING_KINDS, Day, Gate, Milestone, PhaseSpan, Plan, PlanRequest, Protection, Protocol, Site,
    Stage,
)
from planner.core.sessions import Session
from planner.core.request import check_request
from planner.core.sport import SportWeek, sport_weeks
from planner.core.week import WeekPattern, choose_pattern, fourth_run_day

class _Context(NamedTuple):
    """Everything the day-by-day scheduler needs, resolved once."""

    request: PlanRequest
    protocol: Protocol
    site: Site
    protection: Protection
    pattern: WeekPattern
    schedule: tuple[tuple[Stage, int], ...]
    # Return to sport: the weekday a 4th run day goes on (None: no room), and the weeks.
    fourth: int | None = None
    sport: tuple[SportWeek, ...] = ()


def build_plan(request: PlanRequest, protocol: Protocol, today: date | None = None) -> Plan:
    """Build the dated plan. `today` only bounds the start date; pass None to skip that check.

    Raises RequestError (or UnknownSite) for a bad request and ReferralRequired for a
    surgeon-led case without a clearance (see `planner.core.request.check_request`).
    """
    site = check_request(request, protocol, today)
    request = request._replace(site=site.id)
    pattern = choose_pattern(request.rest_days, request.run_days, protocol.rules.sessions_per_week)
    ctx = _Context(request, protocol, site, site.protection_for(request.grade), pattern,
                   tuple(_run_schedule(protocol, site)))
    ctx = _with_sport(ctx)
    spans = _phase_spans(ctx)
    days = _ensure_calendar_week_rest(_days(ctx, spans), protocol, request.week_start)
    return Plan(
        request=request,
        site=site,
        grade=protocol.grade(request.grade),
        protection=ctx.protection,
        phases=spans,
        days=days,
        milestones=_milestones(spans, days),
        pain_rules=protocol.pain_rules,
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


def _week_start_on_or_after(day: date, anchor: int) -> date:
    """The first training-week start (the pattern's anchor weekday) on or after `day`."""
    return day + timedelta(days=(anchor - day.weekday()) % 7)


def _last_weekday_in(day: date, weekdays: tuple[int, ...]) -> date:
    """The latest date on or before `day` whose weekday is one of `weekdays`."""
    return day - timedelta(days=min((day.weekday() - w) % 7 for w in weekdays))


def _run_schedule(protocol: Protocol, site: Site) -> list[tuple[Stage, int]]:
    """Stages of the return-to-run phase, one per week, with a lighter week after every 3.

    A lighter week repeats the previous stage with one session fewer (one variable at a time),
    and the phase never ends on a lighter week.
    """
    stages = [*(protocol.high_risk_stages if site.risk == "high" else ()), *protocol.stages]
    full = protocol.rules.sessions_per_week
    schedule: list[tuple[Stage, int]] = []
    for i, stage in enumerate(stages):
        schedule.append((stage, full))
        progressing = sum(1 for _, n in schedule if n == full)
        if progressing % (protocol.rules.lighter_every - 1) == 0 and i < len(stages) - 1:
            schedule.append((stage, full - 1))
    return schedule


def _phase_spans(ctx: _Context) -> tuple[PhaseSpan, ...]:
    start, anchor = ctx.request.start, ctx.pattern.anchor
    reload = _week_start_on_or_after(start + timedelta(weeks=ctx.protection.protect_weeks), anchor)
    run = _week_start_on_or_after(start + timedelta(weeks=ctx.protection.first_run_weeks), anchor)
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
    if phase_id == "protect" and protection.nwb_weeks:
        criteria.append(extras.weight_bearing)
    if phase_id == "reload":
        criteria.append(extras.hop_test if site.hop_test else extras.no_hop)
        if site.risk == "high":
            criteria.append(extras.high_risk)
    if request.cleared_by and phase_id == "reload":
        criteria.append(fill(extras.cleared, cleared_by=request.cleared_by.strip()))
    return tuple(criteria)


def _days(ctx: _Context, spans: tuple[PhaseSpan, ...]) -> list[Day]:
    start = ctx.request.start
    # Plan weeks are calendar weeks from the runner's week start (week 1 may be short);
    # phases themselves start on the pattern's anchor day.
    first_week = start - timedelta(days=(start.weekday() - ctx.request.week_start) % 7)
    days = []
    step_gates = _step_gates(ctx, spans)
    for index, span in enumerate(spans):
        phase_week_start = _week_start_on_or_after(span.start, ctx.pattern.anchor)
        for n in range((span.end - span.start).days + 1):
            day = span.start + timedelta(days=n)
            gate = spans[index - 1].gate_check if index and day == span.start else None
            if day == spans[-1].end:
                gate, session = spans[-1].gate_check, sessions.review(
                    ctx.protocol.return_to_sport.review)
            else:
                session = _session(ctx, span, day, (day - phase_week_start).days // 7)
                gate = step_gates.get(day, gate)
            days.append(_day(day, span, 1 + (day - first_week).days // 7, session, gate, ctx))
    return days


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
    if weekday in pattern.rest:
        return sessions.rest()
    load = pattern.loading.index(weekday) if weekday in pattern.loading else None
    free = pattern.free.index(weekday) if load is None else None
    if span.id == "protect":
        nwb = day < ctx.request.start + timedelta(weeks=ctx.protection.nwb_weeks)
        if load is not None:
            return sessions.protect_strength(nwb, ctx.site)
        options = "protect_nwb" if nwb else "protect"
        return sessions.protect_cross(nwb, _modality(ctx, options, free), ctx.protocol)
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
    return _loading_week_day(ctx, load, free, len(pattern.loading),
                             sessions.build_run(minutes[week], False))


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
        return sessions.loading_strength(ctx.site)
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
        return sessions.loading_strength(ctx.site)
    slot = 0 if free is None else free - int(free > strength_slot and len(pattern.free) > 1)
    return sessions.loading_cross(_modality(ctx, "loading", slot), ctx.protocol)


def _reload_session(ctx: _Context, span: PhaseSpan, week: int, load: int | None,
                    free: int | None) -> Session:
    rules = ctx.protocol.rules
    weeks = ((span.end - span.start).days + 1) // 7
    walk = _walk_minutes(week, weeks, rules.reload_walk_start, rules.reload_walk_target)
    # Impact preparation needs walking tolerance first, so it never fills the whole phase.
    impact_week = week >= weeks - min(rules.impact_weeks, max(1, weeks // 2))
    single_leg = impact_week and week == weeks - 1
    impact_slots = (0, len(ctx.pattern.loading) - 1)
    if load in impact_slots and impact_week and ctx.site.hop_test:
        return sessions.reload_impact(walk, single_leg, ctx.site.risk == "high")
    if load is not None:
        return sessions.reload_strength(walk, ctx.site, single_leg=impact_week)
    late = week >= weeks // 2
    modality = _modality(ctx, "reload_late" if late else "reload", free or 0)
    return sessions.reload_cross(walk, modality, ctx.protocol)


def _walk_minutes(week: int, weeks: int, start: int, target: int) -> int:
    """Brisk-walk minutes for reload week `week` (0-based): up 5 min a week to the target."""
    return max(start, target - 5 * (weeks - 1 - week))


def _day(
    day: date, span: PhaseSpan, week: int, session: Session, gate: Gate | None,
    ctx: _Context,
) -> Day:
    protocol, request = ctx.protocol, ctx.request
    parts = [session.details]
    if gate is not None:
        parts.append(_gate_block(gate, session.kind == "rest"))
    parts.append(_pain_block(protocol, session.kind))
    parts.append(f"Phase: {span.name}, plan week {week}.")
    if request.cleared_by and (gate is not None or day == request.start):
        parts.append(f"Cleared for conservative rehab by: {request.cleared_by.strip()}.")
    return Day(
        date=day, phase=span.id, week=week, kind=session.kind, session=session.title,
        details="\n\n".join(parts), run_minutes=session.run_minutes,
        walk_minutes=session.walk_minutes, total_minutes=session.total_minutes,
        gate=gate, stage=session.stage,
    )


def _gate_block(gate: Gate, rest_day: bool = False) -> str:
    when = ("check today, before your next session" if rest_day
            else "check before today's session")
    again = "the last week" if rest_day else "the last week of the previous phase"
    lines = [f"{gate.name.upper()}: {when}. Move on only if every answer is yes; otherwise "
             f"repeat {again} and check again."]
    lines += [f"- {c}" for c in gate.criteria]
    return "\n".join(lines)


def _pain_block(protocol: Protocol, kind: str) -> str:
    """Full pain rules on loading days, a short reminder on other training days."""
    if kind in LOADING_KINDS:
        return "PAIN RULES\n" + "\n".join(f"- {rule}" for rule in protocol.pain_rules)
    return protocol.pain_red_flag if kind == "rest" else protocol.pain_reminder


def _ensure_calendar_week_rest(days: list[Day], protocol: Protocol, week_start: int) -> tuple[Day, ...]:
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
        session = sessions.rest()
        result[i] = result[i]._replace(kind="rest", session=session.title, stage=None, details="\n\n".join(
            [session.details, _pain_block(protocol, "rest"),
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
