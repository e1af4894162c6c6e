"""Frozen domain records: the protocol as loaded from data, the request and the dated plan.

Nothing here does I/O or reads the clock; everything is immutable so a plan can be rendered
many times (calendar, guides, JSON) and always says the same thing. The records are named
tuples rather than frozen dataclasses: just as immutable, and about five times cheaper to
define, which is most of what a short command such as `rtr sites` spends on start-up.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

KINDS = ("run", "impact", "cross", "strength", "rest")
LOADING_KINDS = frozenset({"run", "impact"})
PHASE_IDS = ("protect", "reload", "return-to-run", "build", "return-to-sport")
# Weight-bearing statuses, most protected first: on crutches with no weight through the injured
# leg, on crutches with part of the weight, walking in a boot, and ordinary walking.
WEIGHT_BEARING = ("non", "partial", "boot", "full")

# The pain rules' vocabulary, for a program that applies them to a pain diary. Scores are
# 0-10 at the injury site; `site_pain` is the larger of the session's two scores. Flags are
# yes/no: `pain_builds` (sharp pain, or pain that builds during the session), `missed` (the
# session was not done), `pain_free_week` (every session of the week done at 0/10, no flag).
PAIN_SCORES = frozenset({"pain_during", "pain_next_morning", "site_pain"})
PAIN_FLAGS = frozenset({"pain_builds", "night_or_rest_pain", "limp", "swelling", "illness",
                        "missed", "gate_failed", "pain_free_week"})
# What a rule tells the runner to do; the first rule (in table order) that matches decides.
PAIN_ACTIONS = ("advance", "repeat", "rest-then-step-back", "stop-and-see-clinician",
                "back-on-crutches")
PAIN_URGENCIES = ("same-day", "next-working-day", "before-next-loading")
# Where a rule's short form is printed besides loading days (which carry every rule in full).
PAIN_SHOW = ("reminder", "rest")
# The kinds of stage "one stage back" is defined for (see `PainSteps`).
STEP_KINDS = ("protect", "reload-walk", "impact-double", "impact-single", "walk-run", "build",
              "return-to-sport")
# The additions of the return-to-sport phase, in the order they come (protocol data words them).
RTS_STEPS = ("fourth-run-day", "long-run", "strides", "hills", "speed")
# Of those, the ones that change how hard one run is, not how much running there is.
INTENSITY_STEPS = ("strides", "hills", "speed")


class Reference(NamedTuple):
    """One published source; `key` is what protocol data cites (e.g. ``R22``)."""

    key: str
    citation: str
    url: str
    level: str


class Grade(NamedTuple):
    """An MRI grade as the source articles use it (1 mildest … 4 fracture line)."""

    number: int
    name: str
    description: str
    source: str


class Protection(NamedTuple):
    """How one site is protected at one grade, and when running may start."""

    nwb_weeks: int
    protect_weeks: int
    first_run_weeks: int
    # The published window for this site and grade, or None where no source publishes one; then
    # `first_run_basis` says what the plan's timing follows instead (never both, never neither).
    first_run_range: tuple[int, int] | None
    first_run_basis: str | None = None
    # Weeks on crutches with part of the weight, then weeks in a walking boot, after the
    # non-weight-bearing weeks; each change of status is cleared at a gate.
    partial_weeks: int = 0
    boot_weeks: int = 0

    def bearing_steps(self) -> tuple[tuple[str, int], ...]:
        """The protected weight-bearing statuses in order, with their weeks (zero-week ones
        left out); full weight-bearing follows the last."""
        steps = (("non", self.nwb_weeks), ("partial", self.partial_weeks), ("boot", self.boot_weeks))
        return tuple(step for step in steps if step[1])


class Referral(NamedTuple):
    """Why a site/grade combination is surgeon-led rather than planned."""

    grade: int
    reason: str
    source: str
    # Refused even with a clinician's clearance: this tool has no plan for the case at all.
    always: bool = False


class AmbiguousName(NamedTuple):
    """A site name that could mean sites of different risk: refused, with the candidates."""

    name: str
    sites: tuple[str, ...]


class Site(NamedTuple):
    """An injury site: its risk, bone type, timeline by grade and rehab focus."""

    id: str
    name: str
    aliases: tuple[str, ...]
    risk: str
    bone: str
    hop_test: bool
    strength_focus: str
    protection: tuple[Protection, ...]
    timeline_sources: tuple[str, ...]
    timeline_note: str
    full_return_range: tuple[int, int]
    full_return_source: str
    referrals: tuple[Referral, ...]
    # What the full-return range is a figure of, where it is not this site's conservative care
    # (a surgical series, or all lower-limb stress fractures); printed beside the range.
    full_return_note: str | None = None
    # Cross-training this site allows while it is protected (both protect option sets are
    # narrowed to it, in this order of preference); empty means the protocol's lists apply.
    protect_cross: tuple[str, ...] = ()
    # Where the site's weeks on crutches or in a boot come from (cited), and, for sites where
    # hip and leg work loads the injured bone, the only strength the protect phase allows.
    weight_bearing_source: str = ""
    protect_strength: str | None = None

    def protection_for(self, grade: int) -> Protection:
        """Return the protection and timeline for MRI grade 1-4."""
        return self.protection[grade - 1]

    def referral_for(self, grade: int) -> Referral | None:
        """Return the referral for this grade, or None when it can be planned."""
        return next((r for r in self.referrals if r.grade == grade), None)


class Stage(NamedTuple):
    """One walk/run stage of the return-to-run phase: `reps` × (run, walk) minutes."""

    id: str
    run: int
    walk: int
    reps: int
    source: str
    # Weeks spent on this stage before the next one (seed 002 repeats its first week).
    weeks: int = 1

    @property
    def run_minutes(self) -> int:
        """Minutes of running in one session."""
        return self.run * self.reps

    @property
    def walk_minutes(self) -> int:
        """Minutes of walking in one session."""
        return self.walk * self.reps

    @property
    def total_minutes(self) -> int:
        """Length of one session."""
        return self.run_minutes + self.walk_minutes


class PhaseText(NamedTuple):
    """The fixed wording of a phase: its name, aim and the gate that ends it."""

    id: str
    name: str
    aim: str
    gate_name: str
    gate: tuple[str, ...]
    source: str


class Rules(NamedTuple):
    """Numeric progression rules with their sources."""

    sessions_per_week: int
    lighter_every: int
    max_run_increase_pct: int
    max_build_increase_pct: int
    build_run_minutes: tuple[int, ...]
    reload_walk_start: int
    reload_walk_target: int
    min_reload_weeks: int
    min_plan_weeks: int
    impact_weeks: int
    source: str


class CrossOptions(NamedTuple):
    """Cross-training a phase allows, and what it uses when the runner states no preference."""

    allowed: tuple[str, ...]
    default: tuple[str, ...]


class CrossTraining(NamedTuple):
    """Cross-training modalities (name -> description) and what each phase allows."""

    modalities: tuple[tuple[str, str], ...]
    protect_nwb: CrossOptions
    protect: CrossOptions
    reload: CrossOptions
    reload_late: CrossOptions
    loading: CrossOptions
    source: str

    def describe(self, modality: str) -> str:
        """The description of one modality."""
        return dict(self.modalities)[modality]


class WeightBearing(NamedTuple):
    """One weight-bearing status: how it reads on every day it holds, and the gate that lets a
    runner move into it (who clears it, and what must be true)."""

    status: str
    name: str
    day_text: str
    gate: tuple[str, ...]
    source: str


class GateExtras(NamedTuple):
    """Gate criteria that depend on the site: hop test or not, high-risk review, clearance."""

    hop_test: str
    no_hop: str
    high_risk: str
    weight_bearing: str
    cleared: str
    imaging: str = ""


class PainCondition(NamedTuple):
    """One trigger of a pain rule: a diary signal, with a threshold for scores.

    `times`/`within_days`: it must hold on at least `times` sessions within `within_days`
    days; `mornings`: on that many consecutive mornings (pain that persists). None: once.
    """

    signal: str
    at_least: int | None = None
    times: int | None = None
    within_days: int | None = None
    mornings: int | None = None


class PainRule(NamedTuple):
    """One row of the pain-rule table: when it applies (any condition) and what to do."""

    id: str
    title: str
    text: str
    short: str
    sources: str
    when: tuple[PainCondition, ...]
    action: str
    sites: tuple[str, ...] = ()
    rest_days: int | None = None
    urgency: str | None = None
    reimaging: bool = False
    show: tuple[str, ...] = ()

    def applies_to(self, site_id: str) -> bool:
        """True when the rule holds for this site (a rule naming no sites holds for all)."""
        return not self.sites or site_id in self.sites


class StepBack(NamedTuple):
    """What "one stage back" means from one kind of stage."""

    kind: str
    text: str
    sources: str


class PainSteps(NamedTuple):
    """What "repeat" and "one stage back" mean, for the pain rules' actions."""

    repeat: str
    sources: str
    back: tuple[StepBack, ...]

    def back_for(self, kind: str) -> StepBack:
        """The step back from one kind of stage (one of STEP_KINDS)."""
        return next(step for step in self.back if step.kind == kind)


class ImpactText(NamedTuple):
    """Wording of the reload phase's impact steps, each cited in the protocol data."""

    double_leg: str
    single_leg: str
    hop_test: str
    low_level: str
    high_risk: str


class RtsStep(NamedTuple):
    """One addition of the return-to-sport phase: its gate checklist and session wording."""

    step: str
    name: str
    gate: tuple[str, ...]
    session: str
    source: str


class ReturnToSport(NamedTuple):
    """Rules of the return-to-sport phase (weekly running minutes), with their sources."""

    default_usual_minutes: int
    usual_minutes_range: tuple[int, int]
    max_increase_pct: int
    end_pct: int
    intensity_pct: int
    max_run_minutes: int
    long_run_pct: int
    surface: str
    review: str
    steps: tuple[RtsStep, ...]
    source: str

    def step(self, step_id: str) -> RtsStep:
        """The wording of one addition by id."""
        return next(s for s in self.steps if s.step == step_id)


class Protocol(NamedTuple):
    """The whole validated clinical protocol."""

    version: str
    released: date
    sites: tuple[Site, ...]
    grades: tuple[Grade, ...]
    stages: tuple[Stage, ...]
    high_risk_stages: tuple[Stage, ...]
    phases: tuple[PhaseText, ...]
    rules: Rules
    cross_training: CrossTraining
    bodyweight_percent: tuple[int, ...]
    bodyweight_source: str
    gate_extras: GateExtras
    pain_rules: tuple[PainRule, ...]
    pain_steps: PainSteps
    bone_health: tuple[tuple[str, str], ...]
    references: tuple[Reference, ...]
    return_to_sport: ReturnToSport
    ambiguous_names: tuple[AmbiguousName, ...] = ()
    weight_bearing: tuple[WeightBearing, ...] = ()
    impact: ImpactText | None = None

    def bearing(self, status: str) -> WeightBearing:
        """The wording of one weight-bearing status."""
        return next(b for b in self.weight_bearing if b.status == status)

    def phase(self, phase_id: str) -> PhaseText:
        """Return the wording of one phase by id."""
        return next(p for p in self.phases if p.id == phase_id)

    def grade(self, number: int) -> Grade:
        """Return the grade record for MRI grade 1-4."""
        return self.grades[number - 1]


class PlanRequest(NamedTuple):
    """What the user asked for. Weekdays are 0=Mon … 6=Sun.

    `run_days` limits run and impact days (empty: any day); `week_start` is the first day of
    a calendar week in the guide's tables (0 Monday or 6 Sunday); `cross` lists preferred
    cross-training modalities, used where the phase allows them.
    """

    site: str
    grade: int
    start: date
    athlete: str = "Runner"
    rest_days: tuple[int, ...] = (6,)
    cleared_by: str | None = None
    run_days: tuple[int, ...] = ()
    week_start: int = 0
    cross: tuple[str, ...] = ()
    bodyweight_support: bool = False
    # Usual weekly running before the injury, in minutes; None: the protocol's default.
    usual_minutes: int | None = None


class Gate(NamedTuple):
    """The gate checked on a day: a short label, the full name and its checklist."""

    label: str
    name: str
    criteria: tuple[str, ...]


class Day(NamedTuple):
    """Exactly one entry per calendar day of the plan.

    `session` is the day's work in a few words; `gate` is the gate checked before it (on the
    first day of a phase, the day weight-bearing changes, the rest day before a return-to-sport
    addition, and the plan's last day for the final review); `weight_bearing` is one of
    `WEIGHT_BEARING`, the status the whole day keeps; `stage` names the loading step of a run
    or impact day (a walk/run stage id such as ``L3``, a build week such as ``B2``,
    ``impact-double`` / ``impact-single`` / ``hop-test``, or in the return-to-sport phase
    ``rts-easy``, ``rts-long``, ``rts-strides``, ``rts-hills``, ``rts-speed``), None on other
    days. `modality` is the cross-training on a cross day, `single_leg` marks single-leg
    strength work and `intensity` names faster work (``strides``): what `planner.core.load`
    reads to tell which load rose.
    """

    date: date
    phase: str
    week: int
    kind: str
    session: str
    details: str
    run_minutes: int = 0
    walk_minutes: int = 0
    total_minutes: int = 0
    gate: Gate | None = None
    stage: str | None = None
    weight_bearing: str = "full"
    modality: str | None = None
    single_leg: bool = False
    intensity: str | None = None

    @property
    def title(self) -> str:
        """The calendar title: the session, after the gate's label on a gate day."""
        return f"{self.gate.label} · {self.session}" if self.gate else self.session


class PhaseSpan(NamedTuple):
    """A phase placed on the calendar."""

    id: str
    name: str
    aim: str
    start: date
    end: date
    gate_name: str
    gate: tuple[str, ...]

    @property
    def gate_check(self) -> Gate:
        """The gate that ends this phase, as checked on the first day of the next one."""
        return Gate(label=self.gate_name.split(":")[0], name=self.gate_name, criteria=self.gate)


class Milestone(NamedTuple):
    """A dated gate or landmark shown on the calendar."""

    date: date
    name: str
    detail: str


class Plan(NamedTuple):
    """A dated return-to-run plan built from a request and a protocol."""

    request: PlanRequest
    site: Site
    grade: Grade
    protection: Protection
    phases: tuple[PhaseSpan, ...]
    days: tuple[Day, ...]
    milestones: tuple[Milestone, ...]
    # The site's pain rules in full, in order (planner.core.pain.lines of the protocol's table).
    pain_rules: tuple[str, ...]
    protocol: Protocol

    @property
    def start(self) -> date:
        """First day of the plan."""
        return self.days[0].date

    @property
    def end(self) -> date:
        """Last day of the plan."""
        return self.days[-1].date

    @property
    def first_run(self) -> date:
        """Date of the first walk/run session."""
        return next(d.date for d in self.days if d.kind == "run")

    @property
    def weeks(self) -> int:
        """Number of plan weeks (the last week number)."""
        return self.days[-1].week
