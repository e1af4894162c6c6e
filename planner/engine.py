"""The plan engine: request + protocol -> dated plan. Pure: no I/O, no clock.

Training weeks end on the runner's rest day, and every phase starts the day after a rest day, so
the first day of a phase (where its gate sits) is a non-loading day. Inside a training week the
day offset k (0 = the day after rest … 6 = the rest day) decides the session:

    k:       0      1          2        3          4         5          6
    protect  cross  strength   cross    strength   cross     strength   rest
    reload   cross  str/impact cross    strength   cross/imp strength   rest
    run      cross  run        strength run        cross     run        rest
    build    cross  run        strength run        cross     run        rest

so loading days (run, impact) are never adjacent, even across weeks and phase changes.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import date, timedelta

from . import sessions
from .errors import ReferralRequired, RequestError, UnknownSite
from .models import (
    LOADING_KINDS, Day, Milestone, PhaseSpan, Plan, PlanRequest, Protection, Protocol, Site, Stage,
)
from .sessions import Session

START_WINDOW_DAYS = 366


def normalise_site_name(name: str) -> str:
    """Lower-case a typed site name and turn spaces/underscores into hyphens."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def find_site(protocol: Protocol, name: str) -> Site:
    """Return the site whose id or alias matches `name`, or raise UnknownSite with suggestions."""
    wanted = normalise_site_name(name)
    for site in protocol.sites:
        if wanted == site.id or wanted in site.aliases:
            return site
    by_name = {n: s.id for s in protocol.sites for n in (s.id, *s.aliases)}
    close = difflib.get_close_matches(wanted, list(by_name), n=6, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_name[c] for c in close))[:3]
    raise UnknownSite(name, suggestions)


def check_request(request: PlanRequest, protocol: Protocol, today: date | None) -> Site:
    """Validate the request values; return the resolved site."""
    site = find_site(protocol, request.site)
    if request.grade not in (1, 2, 3, 4):
        raise RequestError("grade", f"MRI grade must be 1, 2, 3 or 4, not {request.grade}.")
    if request.rest_day not in range(7):
        raise RequestError("rest_day", "rest day must be a weekday, monday … sunday.")
    if today is not None and abs((request.start - today).days) > START_WINDOW_DAYS:
        raise RequestError(
            "start",
            f"start date {request.start.isoformat()} is more than a year from today "
            f"({today.isoformat()}); give the date rehab starts, e.g. {today.isoformat()}.",
        )
    return site


def build_plan(request: PlanRequest, protocol: Protocol, today: date | None = None) -> Plan:
    """Build the dated plan. `today` only bounds the start date; pass None to skip that check."""
    site = check_request(request, protocol, today)
    referral = site.referral_for(request.grade)
    if referral and not (request.cleared_by or "").strip():
        raise ReferralRequired(site.name, request.grade, referral.reason)
    request = replace(request, site=site.id)
    protection = site.protection_for(request.grade)
    spans = _phase_spans(request, protocol, protection, site)
    schedule = _run_schedule(protocol, site)
    days = _ensure_calendar_week_rest(
        _days(request, protocol, site, protection, spans, schedule), protocol)
    return Plan(
        request=request,
        site=site,
        grade=protocol.grade(request.grade),
        protection=protection,
        phases=spans,
        days=days,
        milestones=_milestones(spans, days),
        pain_rules=protocol.pain_rules,
        protocol=protocol,
    )


def _week_start_on_or_after(day: date, rest_day: int) -> date:
    """The first day after a rest day, on or after `day`."""
    return day + timedelta(days=(rest_day + 1 - day.weekday()) % 7)


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


def _phase_spans(
    request: PlanRequest, protocol: Protocol, protection: Protection, site: Site
) -> tuple[PhaseSpan, ...]:
    r = request.rest_day
    reload = _week_start_on_or_after(request.start + timedelta(weeks=protection.protect_weeks), r)
    run = _week_start_on_or_after(request.start + timedelta(weeks=protection.first_run_weeks), r)
    build = run + timedelta(weeks=len(_run_schedule(protocol, site)))
    end = build + timedelta(weeks=len(protocol.rules.build_run_minutes)) - timedelta(days=1)
    bounds = [request.start, reload, run, build, end + timedelta(days=1)]
    spans = []
    for i, text in enumerate(protocol.phases):
        spans.append(PhaseSpan(
            id=text.id, name=text.name, aim=text.aim,
            start=bounds[i], end=bounds[i + 1] - timedelta(days=1),
            gate_name=text.gate_name,
            gate=_gate_criteria(protocol, text.id, site, protection, request),
        ))
    return tuple(spans)


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
        criteria.append(extras.cleared.format(cleared_by=request.cleared_by.strip()))
    return tuple(criteria)


def _days(
    request: PlanRequest, protocol: Protocol, site: Site, protection: Protection,
    spans: tuple[PhaseSpan, ...], schedule: list[tuple[Stage, int]],
) -> list[Day]:
    first_week = request.start - timedelta(days=(request.start.weekday() - request.rest_day - 1) % 7)
    days = []
    for span_index, span in enumerate(spans):
        day = span.start
        while day <= span.end:
            k = (day.weekday() - request.rest_day - 1) % 7
            week_in_phase = (day - _week_start_on_or_after(span.start, request.rest_day)).days // 7
            session = _session(span.id, k, day, week_in_phase, request, protocol, site,
                               protection, spans, schedule)
            gate = spans[span_index - 1] if span_index and day == span.start else None
            days.append(_day(day, span, 1 + (day - first_week).days // 7, session, gate,
                             protocol, request))
            day += timedelta(days=1)
    return days


def _session(
    phase: str, k: int, day: date, week: int, request: PlanRequest, protocol: Protocol,
    site: Site, protection: Protection, spans: tuple[PhaseSpan, ...],
    schedule: list[tuple[Stage, int]],
) -> Session:
    if k == 6:
        return sessions.rest()
    if phase == "protect":
        nwb = day < request.start + timedelta(weeks=protection.nwb_weeks)
        if k % 2:
            return sessions.protect_strength(nwb, site)
        return sessions.protect_cross(nwb, "swim" if k == 2 else "bike")
    if phase == "reload":
        return _reload_session(k, week, protocol, site, spans[1])
    if phase == "return-to-run":
        stage, count = schedule[week]
        runs = (1, 3, 5)[:count]
        return _loading_week_day(k, runs, sessions.run_session(stage), site)
    minutes = protocol.rules.build_run_minutes
    final = week == len(minutes) - 1
    return _loading_week_day(k, (1, 3, 5), sessions.build_run(minutes[week], final and k == 5), site)


def _loading_week_day(k: int, run_days: tuple[int, ...], run: Session, site: Site) -> Session:
    if k in run_days:
        return run
    if k == 2:
        return sessions.loading_strength(site)
    return sessions.loading_cross("elliptical" if k == 4 else "bike")


def _reload_session(k: int, week: int, protocol: Protocol, site: Site, span: PhaseSpan) -> Session:
    rules = protocol.rules
    weeks = ((span.end - span.start).days + 1) // 7
    walk = _walk_minutes(week, weeks, rules.reload_walk_start, rules.reload_walk_target)
    # Impact preparation needs walking tolerance first, so it never fills the whole phase.
    impact_week = week >= weeks - min(rules.impact_weeks, max(1, weeks // 2))
    single_leg = impact_week and week == weeks - 1
    if k in (1, 4) and impact_week and site.hop_test:
        return sessions.reload_impact(walk, single_leg, site.risk == "high")
    if k in (1, 3, 5):
        return sessions.reload_strength(walk, site, single_leg=impact_week)
    return sessions.reload_cross(walk, "elliptical" if week >= weeks // 2 else "bike")


def _walk_minutes(week: int, weeks: int, start: int, target: int) -> int:
    """Brisk-walk minutes for reload week `week` (0-based): up 5 min a week to the target."""
    return max(start, target - 5 * (weeks - 1 - week))


def _day(
    day: date, span: PhaseSpan, week: int, session: Session, gate: PhaseSpan | None,
    protocol: Protocol, request: PlanRequest,
) -> Day:
    title = session.title
    parts = [session.details]
    gate_text = None
    if gate is not None:
        number = gate.gate_name.split(":")[0]
        title = f"{number} · {title}"
        gate_text = gate.gate_name
        parts.append(_gate_block(gate))
    parts.append(_pain_block(protocol, session.kind))
    parts.append(f"Phase: {span.name}, plan week {week}.")
    if request.cleared_by and (gate is not None or day == request.start):
        parts.append(f"Cleared for conservative rehab by: {request.cleared_by.strip()}.")
    return Day(
        date=day, phase=span.id, week=week, kind=session.kind, title=title,
        details="\n\n".join(parts), run_minutes=session.run_minutes,
        walk_minutes=session.walk_minutes, total_minutes=session.total_minutes, gate=gate_text,
    )


def _gate_block(gate: PhaseSpan) -> str:
    lines = [f"{gate.gate_name.upper()}: check before today's session. Move on only if every "
             "answer is yes; otherwise repeat the last week of the previous phase and check again."]
    lines += [f"- {c}" for c in gate.gate]
    return "\n".join(lines)


def _pain_block(protocol: Protocol, kind: str) -> str:
    """Full pain rules on loading days, a short reminder on other training days."""
    if kind in LOADING_KINDS:
        return "PAIN RULES\n" + "\n".join(f"- {rule}" for rule in protocol.pain_rules)
    return protocol.pain_red_flag if kind == "rest" else protocol.pain_reminder


def _ensure_calendar_week_rest(days: list[Day], protocol: Protocol) -> tuple[Day, ...]:
    """Every Monday-Sunday calendar week of the plan gets at least one rest day.

    Training weeks always hold one; only a short first calendar week can miss the rest weekday,
    and it falls in the protect phase, so its last non-gate day becomes an extra rest day.
    """
    result = list(days)
    weeks: dict[tuple[int, int], list[int]] = {}
    for i, d in enumerate(result):
        weeks.setdefault(d.date.isocalendar()[:2], []).append(i)
    for indexes in weeks.values():
        if any(result[i].kind == "rest" for i in indexes):
            continue
        i = next(i for i in reversed(indexes) if result[i].phase == "protect" and not result[i].gate)
        session = sessions.rest()
        result[i] = replace(result[i], kind="rest", title=session.title, details="\n\n".join(
            [session.details, _pain_block(protocol, "rest"),
             f"Phase: Protect, plan week {result[i].week}."]),
            run_minutes=0, walk_minutes=0, total_minutes=0)
    return tuple(result)


def _milestones(spans: tuple[PhaseSpan, ...], days: tuple[Day, ...]) -> tuple[Milestone, ...]:
    found = [Milestone(span.start, prev.gate_name, " ".join(prev.gate))
             for prev, span in zip(spans, spans[1:])]
    first_run = next(d.date for d in days if d.kind == "run")
    found.append(Milestone(first_run, "First run", "First walk/run bone-loading session."))
    last = spans[-1]
    found.append(Milestone(last.end, last.gate_name, " ".join(last.gate)))
    return tuple(sorted(found, key=lambda m: m.date))
