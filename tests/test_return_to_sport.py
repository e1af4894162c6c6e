"""The return-to-sport phase: weekly rises, one addition at a time behind its gate, the final
clinician review day, and --usual-minutes, over every site, grade and many requests."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from planner.calendar.ics import to_ics
from planner.core.models import INTENSITY_STEPS, RTS_STEPS, PlanRequest
from planner.core.protocol import load_protocol, parse_protocol
from planner.core.sport import sport_weeks
from planner.errors import ProtocolError, RequestError
from planner.files.plan_json import plan_document, read_request

from .checks import assert_invariants, four_run_start, sport_weeks_of
from .helpers import all_cases, examples, make_plan, run_rtr

PROTOCOL = load_protocol()
RULES = PROTOCOL.return_to_sport
CASES = all_cases(PROTOCOL)
STAMP = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def build_minutes(plan) -> int:
    """Running minutes of Build's last week."""
    return sum(d.run_minutes for d in [d for d in plan.days if d.phase == "build"][-7:])


def additions(plan) -> list[str]:
    """The step gates of the plan, in order, as their step names ("a 4th run day" …)."""
    return [d.gate.name.split(": ", 1)[1] for d in plan.days
            if d.gate and d.phase == "return-to-sport" and d.kind == "rest"
            and d is not plan.days[-1]]


@pytest.mark.parametrize("usual", [None, 30, 100, 160, 225, 400, 900])
def test_weekly_running_rises_at_most_ten_percent_over_the_best_earlier_week(usual):
    plan = make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2), usual_minutes=usual)
    best = build_minutes(plan)
    for week in sport_weeks_of(plan):
        assert week["minutes"] <= best * 1.10, (usual, week)
        best = max(best, week["minutes"])


@pytest.mark.parametrize("usual", [None, 160, 225, 300])
def test_each_week_adds_one_thing_at_most_and_never_while_the_minutes_rise(usual):
    plan = make_plan(PROTOCOL, "fibula", 1, date(2026, 3, 4), usual_minutes=usual)
    weeks = sport_weeks_of(plan)
    previous = {"runs": 3, "minutes": build_minutes(plan), "long": False, "intensity": set()}
    seen = []
    for week in weeks:
        new = [name for name, changed in (
            ("a 4th run day", week["runs"] > previous["runs"]),
            ("a longer run", week["long"] and not previous["long"]),
            *((f"rts-{s}", f"rts-{s}" in week["intensity"] - previous["intensity"])
              for s in INTENSITY_STEPS)) if changed]
        assert len(new) <= 1, week
        if new:
            assert week["minutes"] <= previous["minutes"], week
            assert week["gate"] is not None, week
            seen.append(week["gate"].name.split(": ", 1)[1])
        previous = week
    # Every addition the protocol has, in its order, for a usual volume that leaves room.
    if usual in (None, 225, 300):
        assert seen == [s.name for s in RULES.steps]


def test_each_addition_sits_behind_a_gate_on_the_rest_day_before_its_week():
    plan = make_plan(PROTOCOL, "tibia-posteromedial", 2, date(2026, 3, 2), usual_minutes=225)
    gates = [d for d in plan.days if d.gate and d.phase == "return-to-sport"
             and d.kind == "rest" and d is not plan.days[-1]]
    assert [g.gate.criteria for g in gates] == [s.gate for s in RULES.steps]
    assert [g.gate.label for g in gates] == [f"Gate {n}" for n in range(5, 10)]
    by_date = {d.date: d for d in plan.days}
    for gate in gates:
        nxt = next(d for d in plan.days if d.date > gate.date and d.kind != "rest")
        assert by_date[gate.date].kind == "rest" and nxt.date.weekday() == plan.days[
            plan.days.index(by_date[plan.phases[-1].start])].date.weekday()
    # The 4th run day and the back-to-back pair only from the week after its gate.
    start = four_run_start(plan)
    assert start == next(d.date for d in plan.days if d.date > gates[0].date)
    loading = [d for d in plan.days if d.kind == "run"]
    pairs = [b for a, b in zip(plan.days, plan.days[1:]) if a.kind == b.kind == "run"]
    assert pairs and min(p.date for p in pairs) > start and loading


def test_strides_hills_and_speed_are_on_one_run_alone_and_the_rest_stay_easy():
    plan = make_plan(PROTOCOL, "metatarsal", 1, date(2026, 3, 2), usual_minutes=225)
    for week in sport_weeks_of(plan):
        runs = [d for d in plan.days if d.kind == "run" and week["start"] <= d.date
                and (d.date - week["start"]).days < 7]
        quality = [d for d in runs if d.stage in {f"rts-{s}" for s in INTENSITY_STEPS}]
        assert len(quality) <= 1
        for d in runs:
            if d.stage == "rts-easy":
                assert d.session.endswith("min easy") and "easy and conversational" in d.details
    texts = {d.stage: d.details for d in plan.days if d.phase == "return-to-sport"}
    for step in INTENSITY_STEPS:
        assert RULES.step(step).session in texts[f"rts-{step}"]
    assert all(RULES.surface in d.details for d in plan.days
               if d.phase == "return-to-sport" and d.kind == "run")


@pytest.mark.parametrize("site,grade", CASES)
def test_the_final_clinician_review_is_a_calendar_day_in_every_plan(site, grade):
    plan = make_plan(PROTOCOL, site, grade, date(2026, 12, 28))
    last = plan.days[-1]
    assert last.kind == "rest" and last.session == "Clinician review"
    assert last.gate.name == "Plan complete: clinician review"
    assert "sports physician or physiotherapist" in " ".join(last.gate.criteria)
    events = Calendar.from_ical(to_ics(plan, STAMP)).events
    final = [e for e in events if str(e["SUMMARY"]) == "Plan complete · Clinician review"]
    assert len(final) == 1 and final[0].start == last.date
    assert str(final[0]["UID"]).endswith(f"-{last.date:%Y%m%d}@rtr-planner.invalid")
    assert RULES.review in str(final[0]["DESCRIPTION"])
    sport = [e for e in events if e.start >= plan.phases[-1].start]
    assert sport and all(e["CATEGORIES"].cats == ["Return to sport"] for e in sport)


def test_a_usual_volume_below_builds_end_gives_a_short_phase_that_holds_it():
    plan = make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2), usual_minutes=60)
    held = build_minutes(plan)
    weeks = sport_weeks_of(plan)
    assert all(w["minutes"] == held and w["runs"] == 3 and not w["long"] for w in weeks)
    assert additions(plan) == ["strides", "hills", "faster running"]
    assert len(weeks) == 4 and plan.days[-1].gate is not None
    assert_invariants(plan)


def test_a_large_usual_volume_stops_at_the_ceiling_and_leaves_intensity_to_the_clinician():
    plan = make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2), usual_minutes=900)
    runs = [d for d in plan.days if d.phase == "return-to-sport" and d.kind == "run"]
    assert max(d.run_minutes for d in runs if d.stage == "rts-easy") <= RULES.max_run_minutes
    assert additions(plan) == ["a 4th run day", "a longer run"]
    assert not any(d.stage in {f"rts-{s}" for s in INTENSITY_STEPS} for d in runs)


def test_three_run_days_only_when_the_runner_allows_no_fourth():
    plan = make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2), run_days=(0, 2, 4),
                     usual_minutes=225)
    assert "a 4th run day" not in additions(plan) and "a longer run" in additions(plan)
    assert {d.date.weekday() for d in plan.days if d.kind == "run"} == {0, 2, 4}
    assert four_run_start(plan) is None


def test_sport_weeks_arithmetic_follows_the_protocol_numbers():
    weeks = sport_weeks(RULES, 180, 3, 39, True)
    assert [w.step for w in weeks if w.step] == list(RTS_STEPS)
    assert weeks[0].step is None and weeks[0].minutes(RULES) == 126  # 117 + at most 10%
    assert weeks[-1].minutes(RULES) <= 180 * RULES.end_pct // 100
    long_week = next(w for w in weeks if w.long)
    assert long_week.long_minutes(RULES) == long_week.easy * RULES.long_run_pct // 100


@given(case=st.sampled_from(all_cases(PROTOCOL)),
       start=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
       usual=st.one_of(st.none(), st.integers(*RULES.usual_minutes_range)),
       rest=st.sampled_from([(6,), (2,), (5, 6), (0,), (3, 6)]), week_start=st.sampled_from([0, 6]))
@settings(max_examples=examples(300, quick=40), deadline=None)
def test_invariants_hold_for_any_usual_volume(case, start, usual, rest, week_start):
    site, grade = case
    plan = make_plan(PROTOCOL, site, grade, start, usual_minutes=usual, rest_days=rest,
                     week_start=week_start)
    assert_invariants(plan)
    weeks = sport_weeks_of(plan)
    assert weeks and all(w["minutes"] >= build_minutes(plan) * 0.97 for w in weeks)
    target = (usual or RULES.default_usual_minutes) * RULES.end_pct // 100
    assert max(w["minutes"] for w in weeks) <= max(target, build_minutes(plan))


# --- --usual-minutes: the command line, the API and plan.json ---------------------------


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-5", "100000", "29", "901", "", "١٢٠"])
def test_bad_usual_minutes_are_refused_in_one_line_with_nothing_written(capsys, tmp_path, value):
    out = tmp_path / "plan"
    code, stdout, stderr = run_rtr(capsys, "plan", "--site", "metatarsal", "--grade", "2",
                                   "--start", date.today().isoformat(), "--out", str(out),
                                   "--usual-minutes", value)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "'--usual-minutes'" in stderr
    assert not out.exists()


def test_usual_minutes_reach_plan_json_and_read_back(capsys, tmp_path):
    out = tmp_path / "plan"
    code, _, _ = run_rtr(capsys, "plan", "--site", "metatarsal", "--grade", "2", "--start",
                         date.today().isoformat(), "--out", str(out), "--usual-minutes", "240")
    assert code == 0
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["request"]["usual_minutes"] == 240
    assert read_request(document).usual_minutes == 240
    assert [p["id"] for p in document["phases"]][-1] == "return-to-sport"
    rows = list(csv.reader((out / "plan.csv").read_text(encoding="utf-8").splitlines()))
    assert "Plan complete · Clinician review" in rows[-1]
    assert "Plan complete: clinician review" in rows[-1]


def test_old_plan_json_without_usual_minutes_reads_as_the_default():
    document = plan_document(make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2)))
    assert document["request"]["usual_minutes"] is None
    del document["request"]["usual_minutes"]
    assert read_request(document).usual_minutes is None
    document["request"]["usual_minutes"] = "lots"
    with pytest.raises(ValueError, match="usual_minutes"):
        read_request(document)


@pytest.mark.parametrize("value", [0, 29, 901, True, "180", 180.0])
def test_the_api_refuses_what_the_command_line_refuses(value):
    with pytest.raises(RequestError) as err:
        make_plan(PROTOCOL, "metatarsal", 2, date(2026, 3, 2), usual_minutes=value)
    assert err.value.param == "usual_minutes" and str(err.value).endswith(".")


def test_help_states_the_default_and_range_of_the_protocol(capsys):
    code, out, _ = run_rtr(capsys, "plan", "--help")
    text = " ".join(out.split())
    low, high = RULES.usual_minutes_range
    assert code == 0 and f"{low}-{high}" in text
    assert f"default: {RULES.default_usual_minutes}" in text


def test_the_protocol_refuses_additions_out_of_order():
    import tomllib
    from planner.core.protocol import default_protocol_path

    raw = tomllib.loads(default_protocol_path().read_text(encoding="utf-8"))
    steps = raw["return_to_sport"]["steps"]
    steps[2], steps[3] = steps[3], steps[2]
    with pytest.raises(ProtocolError, match="return_to_sport.steps: must be"):
        parse_protocol(raw)


def test_request_default_is_none_so_the_protocol_decides():
    assert PlanRequest(site="fibula", grade=1, start=date(2026, 3, 2)).usual_minutes is None
