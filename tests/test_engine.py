"""Safety invariants of the plan engine, over every site, grade and many start dates."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.core.bearing import bearing_spans
from planner.core.engine import build_plan
from planner.core.request import find_site
from planner.errors import ReferralRequired, RequestError, UnknownSite
from planner.core.models import LOADING_KINDS, PlanRequest
from planner.core.protocol import load_protocol
from planner.files.plan_json import to_json
from planner.guide.render import render_html, render_markdown

from .checks import assert_invariants
from .helpers import CLEARED, EDGE_STARTS, FULL_PROFILE, all_cases, examples, make_plan

PROTOCOL = load_protocol()
SITE_IDS = [s.id for s in PROTOCOL.sites]
CASES = all_cases(PROTOCOL)


def edge_starts(site: str, grade: int) -> list:
    """The start dates a site x grade case is checked on: every edge start in the full profile;
    in the quick one the year end, the leap day and one weekday, rotating from case to case
    (so every weekday still starts many cases)."""
    if FULL_PROFILE:
        return EDGE_STARTS
    weekdays = EDGE_STARTS[2:]
    return EDGE_STARTS[:2] + [weekdays[CASES.index((site, grade)) % len(weekdays)]]


def edge_requests(site: str, grade: int) -> list[tuple]:
    """(start, rest day) pairs for the invariants: every edge start with a Sunday and with a
    Wednesday rest day in the full profile; in the quick one the edge starts above, the rest
    day alternating between the two."""
    if FULL_PROFILE:
        return [(start, rest) for start in EDGE_STARTS for rest in (6, 2)]
    offset = CASES.index((site, grade))
    return [(start, (6, 2)[(offset + i) % 2]) for i, start in enumerate(edge_starts(site, grade))]


def weeks_to_first_run(plan) -> float:
    return (plan.first_run - plan.start).days / 7


def test_edge_dates_still_meet_every_weekday_and_both_rest_days():
    assert all(edge_starts(s, g)[:2] == EDGE_STARTS[:2] for s, g in CASES)
    assert {d for s, g in CASES for d in edge_starts(s, g)} == set(EDGE_STARTS)
    assert {d.weekday() for d in EDGE_STARTS[2:]} == set(range(7))
    pairs = {pair for s, g in CASES for pair in edge_requests(s, g)}
    assert {(d, r) for d in EDGE_STARTS[:2] for r in (6, 2)} <= pairs
    assert all({r for _, r in edge_requests(s, g)} == {6, 2} for s, g in CASES)


@pytest.mark.parametrize("site,grade", CASES)
def test_invariants_every_site_and_grade_on_edge_dates(protocol, site, grade):
    for start, rest_day in edge_requests(site, grade):
        assert_invariants(make_plan(protocol, site, grade, start, rest_days=(rest_day,)))


@given(
    site=st.sampled_from(SITE_IDS),
    grade=st.integers(1, 4),
    start=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    rest_day=st.integers(0, 6),
)
@settings(max_examples=examples(150, quick=50), deadline=None)
def test_invariants_hold_for_random_requests(site, grade, start, rest_day):
    assume((site, grade) in CASES)
    assert_invariants(make_plan(PROTOCOL, site, grade, start, rest_days=(rest_day,)))


@given(start=st.dates(date(2000, 1, 1), date(2099, 12, 31)), rest_day=st.integers(0, 6))
@settings(max_examples=examples(40, quick=4), deadline=None)
def test_worse_injury_never_runs_earlier(start, rest_day):
    first = {(s, g): make_plan(PROTOCOL, s, g, start, rest_days=(rest_day,)).first_run
             for s, g in all_cases(PROTOCOL)}
    for site in SITE_IDS:
        runs = [first[(site, g)] for g in (1, 2, 3, 4) if (site, g) in first]
        assert runs == sorted(runs), site
    for grade in (1, 2, 3, 4):
        low = [first[(s.id, grade)] for s in PROTOCOL.sites if s.risk == "low"]
        high = [first[(s.id, grade)] for s in PROTOCOL.sites
                if s.risk == "high" and (s.id, grade) in first]
        assert min(high) >= max(low), grade


@pytest.mark.parametrize("site,grade", CASES)
def test_timelines_sit_inside_the_published_ranges(protocol, site, grade):
    for start in edge_starts(site, grade):
        plan = make_plan(protocol, site, grade, start)
        # A high-risk row with no published window carries its cited basis instead, and
        # its figure is its own: the engine still only ever moves the first run later.
        lo, hi = plan.protection.first_run_range or (plan.protection.first_run_weeks,) * 2
        # The engine moves the first run to the next training week: up to 13 days later; or
        # later still where the reload needs its minimum (a walking week, a double-leg week
        # and, with a hop test, a single-leg week), and then exactly that.
        reload, run = plan.phases[1], plan.phases[2]
        minimum = timedelta(weeks=2 + int(plan.site.hop_test))
        assert lo <= weeks_to_first_run(plan)
        assert weeks_to_first_run(plan) < hi + 2 or run.start - reload.start == minimum
        # The published full-return range bounds the plan's length, and Gate 3 (30 minutes of
        # continuous running three times a week) falls inside it. Seed 002's one-minute steps
        # [R32a] make the last Build week of a grade-4 tibia or fibula end after the 27 weeks.
        # Where the range is a figure of something else (a pooled or surgical series, or all
        # lower-limb fractures: `full_return_note`), only its lower bound binds this plan.
        lo, hi = plan.site.full_return_range
        build = next(p for p in plan.phases if p.id == "build")
        assert lo <= len(plan.days) / 7
        assert (build.start - plan.start).days / 7 <= hi or plan.site.full_return_note


def test_high_risk_sites_start_with_a_gentler_stage(protocol):
    low = make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))
    high = make_plan(protocol, "navicular", 2, date(2026, 3, 2))
    first_low = next(d for d in low.days if d.kind == "run")
    first_high = next(d for d in high.days if d.kind == "run")
    assert first_low.title == "Run/walk 1:2 ×7 · 21 min"
    assert first_high.title == "Run/walk 1:4 ×5 · 25 min"
    assert first_high.run_minutes == 5 and first_high.walk_minutes == 20


def test_build_raises_duration_only_and_strides_wait_for_their_gate(protocol):
    plan = make_plan(protocol, "tibia-posteromedial", 2, date(2026, 3, 2))
    assert not any("strides" in d.title for d in plan.days if d.phase == "build")
    gate = next(d for d in plan.days if d.gate and d.gate.name.endswith(": strides"))
    strides = [d for d in plan.days if d.stage == "rts-strides"]
    assert strides and all(d.date > gate.date for d in strides)
    assert all(d.phase == "return-to-sport" for d in strides)


@pytest.mark.parametrize("site,grade", [(s, g) for s, g in CASES if s.startswith("femoral-neck")])
def test_femoral_neck_never_gets_a_hop_test(protocol, site, grade):
    # Never single-leg hops nor a hop test [R42]; low-level double-leg plyometrics after the
    # imaging review, before the first run [S2].
    plan = make_plan(protocol, site, grade, date(2026, 3, 2))
    impact = [d for d in plan.days if d.kind == "impact"]
    assert impact and {d.stage for d in impact} == {"impact-double"}
    assert all(protocol.impact.low_level in d.details and protocol.impact.high_risk in d.details
               for d in impact)
    assert not any("single-leg hop" in d.details.lower() for d in impact)
    assert max(d.date for d in impact) < plan.first_run
    gate = next(p for p in plan.phases if p.id == "reload").gate
    assert protocol.gate_extras.no_hop in gate
    assert protocol.gate_extras.hop_test not in gate


def test_non_weight_bearing_weeks_use_the_pool(protocol):
    plan = make_plan(protocol, "navicular", 3, date(2026, 3, 2))
    protected = [d for d in plan.days if d.weight_bearing != "full"]
    crosses = [d for d in protected if d.kind == "cross"]
    assert crosses and all("pool" in d.title for d in crosses)
    assert all(d.walk_minutes == 0 for d in protected)


@pytest.mark.parametrize("site,grade,statuses", [
    # Navicular: 6-8 weeks non-weight-bearing for a fracture, then 2+ weeks in a boot [R34, R32j].
    ("navicular", 1, [("non", 2), ("boot", 2), ("full", None)]),
    ("navicular", 3, [("non", 6), ("boot", 2), ("full", None)]),
    # Femoral neck: non-weight-bearing, then 1-2 weeks partial on crutches [R32h, R32g].
    ("femoral-neck-compression", 2, [("non", 4), ("partial", 2), ("full", None)]),
    ("femoral-neck-tension", 1, [("non", 6), ("partial", 2), ("full", None)]),
    ("metatarsal", 4, [("non", 2), ("full", None)]),
    ("metatarsal", 2, [("full", None)]),
])
def test_weight_bearing_follows_the_protocol_week_by_week(protocol, site, grade, statuses):
    # A Monday start: every status lasts exactly its whole weeks, then the next one starts.
    plan = make_plan(protocol, site, grade, date(2026, 3, 2))
    spans = bearing_spans(plan.days)
    assert [s.status for s in spans] == [status for status, _ in statuses]
    for span, (_, weeks) in zip(spans, statuses):
        if weeks is not None:
            assert (span.end - span.start).days + 1 == 7 * weeks
    assert [s["status"] for s in json.loads(to_json(plan))["summary"]["weight_bearing"]] == \
        [status for status, _ in statuses]


def test_the_guide_states_the_weeks_of_each_status(protocol):
    plan = make_plan(protocol, "navicular", 2, date(2026, 12, 7))
    md, page = render_markdown(plan), render_html(plan)
    sentence = ("Non-weight-bearing Mon 7 Dec 2026 to Sun 3 Jan 2027 (weeks 1-4); walking boot "
                "Mon 4 Jan 2027 to Sun 17 Jan 2027 (weeks 5-6); full weight-bearing from Mon 18 "
                "Jan 2027 (week 7).")
    assert f"- **Weight-bearing:** {sentence}" in md and sentence in page
    assert "| 4 | 28 Dec – 3 Jan | Protect · Non-weight-bearing |" in md
    assert "| 5 | 4 Jan – 10 Jan | Protect · Walking boot |" in md
    assert "| 7 | 18 Jan – 24 Jan | Protect |" in md
    assert "**Weight-bearing check: walking boot to full weight-bearing**" in md
    assert "Weight-bearing:" not in render_markdown(make_plan(protocol, "metatarsal", 1,
                                                              date(2026, 12, 7)))


def test_the_same_request_gives_the_same_plan(protocol):
    a = make_plan(protocol, "sacrum", 3, date(2027, 1, 1), athlete="Kim")
    b = make_plan(protocol, "sacrum", 3, date(2027, 1, 1), athlete="Kim")
    assert a == b


@pytest.mark.parametrize("site,grade", [(s.id, r.grade) for s in PROTOCOL.sites for r in s.referrals
                                        if not r.always])
def test_surgeon_led_cases_are_referred_not_planned(protocol, site, grade):
    with pytest.raises(ReferralRequired) as err:
        build_plan(PlanRequest(site=site, grade=grade, start=date(2026, 3, 2)), protocol)
    assert "surgeon" in str(err.value) and "--cleared-by" in str(err.value)
    plan = make_plan(protocol, site, grade, date(2026, 3, 2), cleared_by=CLEARED)
    assert CLEARED in plan.days[0].details
    assert any(CLEARED in c for p in plan.phases for c in p.gate)


def test_a_tension_side_fracture_is_refused_even_with_a_clearance(protocol):
    # A tension-side fracture line is fixed surgically [R16, R33]; rehab after surgery is the
    # surgeon's protocol, so no clearance turns it into one of ours, and the message says so.
    always = [(s.id, r.grade) for s in protocol.sites for r in s.referrals if r.always]
    assert always == [("femoral-neck-tension", 4)]
    for cleared in (None, CLEARED):
        with pytest.raises(ReferralRequired) as err:
            build_plan(PlanRequest(site="femoral-neck-tension", grade=4, start=date(2026, 3, 2),
                                   cleared_by=cleared), protocol)
        assert "fixed surgically" in str(err.value)
        assert "even with a clearance" in str(err.value) and "--cleared-by" not in str(err.value)


def test_the_documented_surgeon_led_cases(protocol):
    referred = {(s.id, r.grade) for s in protocol.sites for r in s.referrals}
    assert {("femoral-neck-tension", g) for g in (1, 2, 3, 4)} <= referred
    assert {("tibia-anterior", 4), ("metatarsal-5-base", 4), ("femoral-neck-compression", 4),
            ("navicular", 4)} <= referred
    assert not any(s.risk == "low" for s in protocol.sites if s.referrals)


def test_aliases_and_spelling_resolve(protocol):
    assert find_site(protocol, "Medial Shin").id == "tibia-posteromedial"
    assert find_site(protocol, "Pelvis").id == "pubic-ramus"
    assert find_site(protocol, "Femoral Neck Compression").id == "femoral-neck-compression"
    assert find_site(protocol, "tibia_anterior").id == "tibia-anterior"


def test_unknown_site_names_the_closest_ids(protocol):
    with pytest.raises(UnknownSite) as err:
        find_site(protocol, "navicualr")
    assert err.value.suggestions[0] == "navicular"
    assert "rtr sites" in str(err.value)


@pytest.mark.parametrize("grade", [0, 5, -1])
def test_grade_out_of_range_is_refused(protocol, grade):
    with pytest.raises(RequestError, match="grade must be 1, 2, 3 or 4"):
        build_plan(PlanRequest(site="fibula", grade=grade, start=date(2026, 3, 2)), protocol)


def test_start_date_must_be_within_a_year_of_today(protocol):
    request = PlanRequest(site="fibula", grade=1, start=date(2024, 1, 1))
    with pytest.raises(RequestError, match="more than a year"):
        build_plan(request, protocol, today=date(2026, 11, 22))
    assert build_plan(request, protocol, today=date(2024, 6, 1)).start == date(2024, 1, 1)


MODALITIES = [name for name, _ in PROTOCOL.cross_training.modalities]


def _fits(rest: set[int], allowed: set[int]) -> bool:
    """Oracle: three allowed weekdays, pairwise not adjacent around the week, one day spare."""
    from itertools import combinations
    days = sorted(allowed - rest)
    for trio in combinations(days, 3):
        apart = all((b - a) % 7 not in (1, 6) for a, b in combinations(trio, 2))
        if apart and len(rest) + 3 < 7:
            return True
    return False


def _modality(title: str) -> str | None:
    for name in MODALITIES:
        if f": {name} " in title or f"+ {name} " in title:
            return name
    return None


@given(
    site=st.sampled_from(SITE_IDS),
    grade=st.integers(1, 4),
    start=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    rest=st.sets(st.integers(0, 6), min_size=1, max_size=4),
    run_days=st.sets(st.integers(0, 6), max_size=7),
    week_start=st.sampled_from([0, 6]),
    cross=st.lists(st.sampled_from(MODALITIES), unique=True, max_size=4),
    bodyweight=st.booleans(),
)
@settings(max_examples=examples(200, quick=60), deadline=None)
def test_preferences_are_honoured_or_refused(site, grade, start, rest, run_days, week_start,
                                             cross, bodyweight):
    assume((site, grade) in CASES)
    kwargs = dict(rest_days=tuple(sorted(rest)), run_days=tuple(sorted(run_days)),
                  week_start=week_start, cross=tuple(cross), bodyweight_support=bodyweight)
    try:
        plan = make_plan(PROTOCOL, site, grade, start, **kwargs)
    except RequestError as err:
        assert err.param in ("rest_day", "run_days") and str(err).endswith(".")
        assert len(rest) > 3 or not _fits(rest, run_days or set(range(7)))
        return
    assert len(rest) <= 3 and _fits(rest, run_days or set(range(7)))
    assert_invariants(plan)
    for d in plan.days:
        # The plan's last day, the clinician review, has no training whatever its weekday.
        assert ((d.date.weekday() in rest) == (d.kind == "rest") or d.phase == "protect"
                or d == plan.days[-1])
        if d.kind in LOADING_KINDS and run_days:
            assert d.date.weekday() in run_days
        used = _modality(d.title)
        if d.kind == "cross" and used and cross and used not in cross:
            assert not set(cross) & set(_allowed_for(plan, d)), (d.date, d.title)
    runs = [d for d in plan.days if d.phase == "return-to-run" and d.kind == "run"]
    span = next(p for p in plan.phases if p.id == "return-to-run")
    for d in runs:
        supported = bodyweight and (d.date - span.start).days // 7 < len(PROTOCOL.bodyweight_percent)
        assert d.title.startswith("AlterG ") == supported


def _allowed_for(plan, day):
    ct = plan.protocol.cross_training
    if day.phase == "protect":
        allowed = (ct.protect if day.weight_bearing == "full" else ct.protect_nwb).allowed
        # A site may narrow protect-phase cross-training (pelvis, sacrum: no water work).
        narrowed = plan.site.protect_cross
        return tuple(m for m in allowed if m in narrowed) if narrowed else allowed
    # The elliptical is a reload step of its own: allowed from the first week it is used, and
    # between runs only if the reload used it. (Seen from the days, this can only under-state
    # what the engine allows, which keeps the check sound.)
    elliptical = [d.date for d in plan.days if d.phase == "reload" and d.modality == "elliptical"]
    if day.phase == "reload":
        span = next(p for p in plan.phases if p.id == "reload")
        late = bool(elliptical) and (day.date - span.start).days // 7 >= (
            (elliptical[0] - span.start).days // 7)
        return (ct.reload_late if late else ct.reload).allowed
    return tuple(m for m in ct.loading.allowed if elliptical or m != "elliptical")


@pytest.mark.parametrize("run_days,message", [
    ((0, 1), "cannot fit 3 run days with a day between each into mon,tue"),
    ((0, 2, 6), "cannot fit 3 run days"),
])
def test_impossible_run_days_are_refused_with_a_fix(protocol, run_days, message):
    with pytest.raises(RequestError, match=message) as err:
        make_plan(protocol, "fibula", 1, date(2026, 3, 2), run_days=run_days)
    assert "e.g. mon,wed,fri" in str(err.value) and err.value.param == "run_days"


def test_mon_wed_fri_runner_gets_exactly_that(protocol):
    plan = make_plan(protocol, "metatarsal", 2, date(2026, 3, 2), run_days=(0, 2, 4),
                     rest_days=(6,))
    runs = {d.date.weekday() for d in plan.days if d.kind == "run"}
    assert runs == {0, 2, 4}
    assert_invariants(plan)


@pytest.mark.parametrize("text", ["Bad\x07bell", "Esc\x1b[31m", "nul\x00", "cr\rreturn", "del\x7f", "c1\x85"])
def test_control_characters_in_user_text_are_refused(protocol, text):
    with pytest.raises(RequestError, match=r"control character U\+00"):
        make_plan(protocol, "fibula", 1, date(2026, 3, 2), athlete=text)
    with pytest.raises(RequestError, match="control character"):
        make_plan(protocol, "fibula", 1, date(2026, 3, 2), cleared_by=text)


def test_line_breaks_tabs_and_other_scripts_are_kept(protocol):
    name = "Zoë\tO'Neil\nسارة 🏃 \u202eRTL"
    plan = make_plan(protocol, "fibula", 1, date(2026, 3, 2), athlete=name)
    assert plan.request.athlete == name


def test_walk_run_weeks_rise_against_the_best_week_so_far_not_week_to_week(protocol):
    # The protocol's rule is "at most half of the best week so far" (max_run_increase_pct), so
    # after each lighter week running returns past its level: 24 -> 48 and 48 -> 90 minutes
    # week to week, each within 50% of the best earlier week (36, then 72).
    plan = make_plan(protocol, "tibia-posteromedial", 1, date(2026, 3, 2))
    span = next(p for p in plan.phases if p.id == "return-to-run")
    weeks = [0] * (((span.end - span.start).days // 7) + 1)
    for d in plan.days:
        if d.phase == "return-to-run":
            weeks[(d.date - span.start).days // 7] += d.run_minutes
    # L1 is held two weeks and the bouts rise 5, 6, 7, 8 min, as in seed 002 [R32a], then two
    # 15-minute bouts [R23] before 30 minutes continuous.
    assert weeks == [21, 21, 30, 20, 36, 48, 60, 40, 54, 63, 72, 48, 90, 90]
    assert protocol.rules.max_run_increase_pct == 50
    assert all(b <= 1.5 * max(weeks[:i + 1]) for i, b in enumerate(weeks[1:]))
