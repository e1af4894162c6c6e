"""What loads the injured bone, week by week: the one place the "one thing at a time" rule is
defined, for the engine to follow and the tests to check.

A plan's training weeks (7-day blocks from the reload phase's first day, which is the pattern's
anchor weekday) are summed up as a `WeekLoad`; `rises` names the variables of a week that go
above everything before it. The variables (`VARIABLES`):

- ``minutes``: the longest walk of the week, the week's running minutes, or the walk/run or
  build stage (a longer run bout is a rise even when the session is shorter);
- ``sessions``: run days in the week;
- ``modality``: a new kind of site-loading exercise: the first brisk walks, the elliptical
  (both feet on the pedals, but more load than the bike [R32a]), the first run, and after
  runs on an anti-gravity treadmill the first runs on the ground;
- ``impact``: first foot contacts (double-leg), then single-leg hops (the hop test is a test
  of the single-leg step, not a further step);
- ``intensity``: strides, hills or faster running;
- ``single_leg``: single-leg strength work.

A variable rises only when it goes above its highest level in all earlier weeks, so coming back
after a lighter week (one run fewer) is not a rise. Phase changes count like any other week:
when a modality first appears, its minutes and days are that one rise (the first walk/run week
raises only ``modality``: walking minutes hold or fall, nothing else is new). While running on
an anti-gravity treadmill, its published weekly +10% of body weight [R19] goes with the stage
and is not counted as a separate variable; leaving the treadmill is a new modality.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from planner.core.models import Day, Plan, Protocol

VARIABLES = ("minutes", "sessions", "modality", "impact", "intensity", "single_leg")

# Cross-training that loads the site more than the bike or the pool does [R32a].
LOADING_MODALITIES = frozenset({"elliptical"})

# The `modality` of a run on an anti-gravity (body-weight-support) treadmill.
SUPPORTED = "anti-gravity treadmill"

# Impact steps in order; the hop test sits on the single-leg step.
IMPACT_LEVELS = {"impact-double": 1, "impact-single": 2, "hop-test": 2}


class WeekLoad(NamedTuple):
    """The site-loading content of one training week."""

    walk: int
    run: int
    stage: int
    run_days: int
    modalities: frozenset[str]
    impact: int
    intensity: frozenset[str]
    single_leg: bool


# The run roles of the return-to-sport phase (stage ids ``rts-<role>``).
SPORT_ROLES = ("easy", "long", "strides", "hills", "speed")


def build_stage_id(week: int) -> str:
    """The stage id of build week `week` (0-based): B1, B2, ..."""
    return f"B{week + 1}"


def stage_ladder(protocol: Protocol) -> dict[str, int]:
    """Every stage id the engine uses, with its rung: impact steps, then walk/run, then build."""
    runs = [s.id for s in (*protocol.high_risk_stages, *protocol.stages)]
    runs += [build_stage_id(i) for i in range(len(protocol.rules.build_run_minutes))]
    ladder = dict(IMPACT_LEVELS)
    ladder.update({sid: len(IMPACT_LEVELS) + i for i, sid in enumerate(runs)})
    # Return-to-sport runs are roles within a week (easy, long, strides …), not a further
    # stage: they share Build's last rung, and what they add is counted as minutes, run days
    # or intensity.
    ladder.update({f"rts-{role}": ladder[runs[-1]] for role in SPORT_ROLES})
    return ladder


def week_load(days: Iterable[Day], protocol: Protocol) -> WeekLoad:
    """Sum up one week of days."""
    days = list(days)
    ladder = stage_ladder(protocol)
    modalities = {d.modality for d in days if d.modality in LOADING_MODALITIES}
    if any(d.walk_minutes and d.kind != "run" for d in days):
        modalities.add("walk")
    # Running on an anti-gravity treadmill, then on the ground: two steps up the loading order.
    for d in days:
        if d.kind == "run":
            modalities.add("supported run" if d.modality == SUPPORTED else "run")
    return WeekLoad(
        walk=max((d.walk_minutes for d in days if d.kind != "run"), default=0),
        run=sum(d.run_minutes for d in days),
        stage=max((ladder[d.stage] for d in days if d.kind == "run" and d.stage), default=0),
        run_days=sum(1 for d in days if d.kind == "run"),
        modalities=frozenset(modalities),
        impact=max((IMPACT_LEVELS[d.stage] for d in days if d.kind == "impact"), default=0),
        intensity=frozenset(d.intensity for d in days if d.intensity),
        single_leg=any(d.single_leg for d in days),
    )


def training_weeks(plan: Plan) -> list[list[Day]]:
    """The plan's days in training weeks, aligned on the reload phase's first day."""
    anchor = plan.phases[1].start
    weeks: dict[int, list[Day]] = {}
    for day in plan.days:
        weeks.setdefault((day.date - anchor).days // 7, []).append(day)
    return [weeks[k] for k in sorted(weeks)]


def weekly_loads(plan: Plan) -> list[WeekLoad]:
    """A `WeekLoad` per training week of the plan."""
    return [week_load(week, plan.protocol) for week in training_weeks(plan)]


def rises(earlier: Sequence[WeekLoad], week: WeekLoad) -> set[str]:
    """The variables of `week` that go above their highest level in every earlier week."""
    if not earlier:
        return set()
    best = WeekLoad(
        walk=max(w.walk for w in earlier), run=max(w.run for w in earlier),
        stage=max(w.stage for w in earlier), run_days=max(w.run_days for w in earlier),
        modalities=frozenset().union(*(w.modalities for w in earlier)),
        impact=max(w.impact for w in earlier),
        intensity=frozenset().union(*(w.intensity for w in earlier)),
        single_leg=any(w.single_leg for w in earlier),
    )
    found = set()
    # A quantity that did not exist before arrives with its modality: not a second rise.
    if (best.walk and week.walk > best.walk) or (best.run and week.run > best.run) or (
            best.stage and week.stage > best.stage):
        found.add("minutes")
    if best.run_days and week.run_days > best.run_days:
        found.add("sessions")
    if week.modalities - best.modalities:
        found.add("modality")
    if week.impact > best.impact:
        found.add("impact")
    if week.intensity - best.intensity:
        found.add("intensity")
    if week.single_leg and not best.single_leg:
        found.add("single_leg")
    return found


def rises_by_week(plan: Plan) -> list[tuple[date, set[str]]]:
    """(first day of the week, variables that rose that week) for every training week."""
    weeks = training_weeks(plan)
    loads = [week_load(week, plan.protocol) for week in weeks]
    return [(weeks[i][0].date, rises(loads[:i], loads[i])) for i in range(len(loads))]
