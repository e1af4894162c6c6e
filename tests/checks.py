"""Checks that several test modules share: the engine's safety invariants, and what a calendar
file must say read back through four in-process parsers (icalendar, allenporter's `ical`,
vobject, recurring-ical-events), its VTIMEZONEs checked against zoneinfo and its wire format.

They live here, not in a test module, so that a test module never imports another one.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date, datetime, time, timedelta, timezone
from itertools import groupby
from zoneinfo import ZoneInfo

import vobject
from dateutil import tz as dateutil_tz
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import IcsTimezoneInfo
from icalendar import Calendar

from planner.calendar.options import CalendarOptions
from planner.calendar.uids import plan_uid
from planner.core import pain
from planner.core.load import IMPACT_LEVELS, rises_by_week, stage_ladder, training_weeks
from planner.core.models import KINDS, LOADING_KINDS, Plan

WALL_TIMES = (time(0, 0), time(1, 30), time(2, 30), time(3, 30), time(6, 30), time(12, 0),
              time(23, 30))


# --- the engine's safety invariants ----------------------------------------------------


def assert_invariants(plan) -> None:
    """Every safety rule a plan must keep, whatever the site, grade, date or rest day."""
    days = plan.days
    rules = plan.protocol.rules
    # Exactly one entry per calendar day, from the start date on, in order.
    assert days[0].date == plan.request.start
    assert [d.date for d in days] == [days[0].date + timedelta(i) for i in range(len(days))]
    assert all(d.kind in KINDS for d in days)
    # At least 12 weeks.
    assert len(days) >= rules.min_plan_weeks * 7
    _assert_loading_spacing(plan)
    # A rest day in every Monday-Sunday calendar week and in every plan week.
    week_start = plan.request.week_start
    for _, week in groupby(days, key=lambda d: d.date - timedelta((d.date.weekday() - week_start) % 7)):
        assert any(d.kind == "rest" for d in week)
    for _, week in groupby(days, key=lambda d: d.week):
        assert any(d.kind == "rest" for d in week)
    assert all((d.date.weekday() in plan.request.run_days) or not plan.request.run_days
               for d in days if d.kind in LOADING_KINDS)
    # The site's pain rules, as the protocol's table words them, in full on every loading day
    # with the step back from that day's kind of stage; the red flags on every rest day and
    # the reminder on every other day.
    _assert_pain_text(plan)
    # Running only once the return-to-run phase has started; impact only while reloading.
    for d in days:
        if d.kind == "run":
            assert d.phase in ("return-to-run", "build", "return-to-sport") and d.run_minutes > 0
        if d.kind == "impact":
            # Sites with no hop test get double-leg plyometrics only.
            assert d.phase == "reload" and (plan.site.hop_test or d.stage == "impact-double")
        if d.kind != "run":
            assert d.run_minutes == 0
    _assert_weekly_increase(plan)
    _assert_gates(plan)
    _assert_stages(plan)
    _assert_weight_bearing(plan)
    _assert_protect_spares_the_bone(plan)
    _assert_one_rise_a_week(plan)
    _assert_hop_test(plan)
    _assert_return_to_sport(plan)


def _assert_pain_text(plan: Plan) -> None:
    protocol, site = plan.protocol, plan.site.id
    table = pain.rules_for(protocol, site)
    assert [r.id for r in table] == [r.id for r in protocol.pain_rules if r.applies_to(site)]
    assert plan.pain_rules == tuple(f"{r.text} [{r.sources}]" for r in table)
    red_flag, reminder = pain.red_flag(protocol, site), pain.reminder(protocol, site)
    assert all(r.short in red_flag for r in table if "rest" in r.show)
    assert all(r.short in reminder for r in table if "reminder" in r.show)
    for d in plan.days:
        if d.kind in LOADING_KINDS:
            assert "PAIN RULES" in d.details
            assert all(line in d.details for line in plan.pain_rules)
            step = protocol.pain_steps.back_for(pain.step_kind(d.phase, d.stage))
            assert f"One stage back from today's session: {step.text}" in d.details
            assert protocol.pain_steps.repeat in d.details
        elif d.kind == "rest":
            assert red_flag in d.details
        else:
            assert reminder in d.details
        # Rules of other sites never reach this plan.
        ids = {r.id for r in table}
        assert not any(r.text in d.details for r in protocol.pain_rules if r.id not in ids)


def four_run_start(plan):
    """The first day of the first week with a 4th run day (after its gate), or None."""
    gate = next((d for d in plan.days if d.gate and d.gate.name.endswith(": a 4th run day")), None)
    return None if gate is None else next(
        d.date for d in plan.days if d.date > gate.date and d.kind != "rest")


def _assert_loading_spacing(plan) -> None:
    """No two loading days in a row before the gate that adds a 4th run day. After it (return
    to sport only), a pair of easy runs on consecutive days, at most one pair a week, never
    three loading days in a row, and the second run of a pair is a plain easy run [R22]."""
    days, allowed = plan.days, four_run_start(plan)
    for a, b in zip(days, days[1:]):
        if not (a.kind in LOADING_KINDS and b.kind in LOADING_KINDS):
            continue
        assert allowed is not None and a.date >= allowed, (a.date, b.date)
        assert a.phase == b.phase == "return-to-sport" and a.kind == b.kind == "run"
        assert b.stage == "rts-easy" and a.stage in ("rts-easy", "rts-long"), (a.date, a.stage)
    for a, b, c in zip(days, days[1:], days[2:]):
        assert not all(d.kind in LOADING_KINDS for d in (a, b, c)), a.date
    for _, week in groupby(days, key=lambda d: d.week):
        week = list(week)
        pairs = sum(1 for a, b in zip(week, week[1:]) if a.kind == b.kind == "run")
        assert pairs <= 1, week[0].date


def _assert_weekly_increase(plan) -> None:
    """Within each phase, a week's running minutes are at most the best earlier week's plus the
    protocol's limit (50% in walk/run stages, 10% when building); the first week after a gate
    is not compared with the phase before. Week to week running may rise by more, but only
    straight after a lighter week (one below the best so far), e.g. 36, 24 (lighter), 48."""
    rules = plan.protocol.rules
    limits = {"return-to-run": rules.max_run_increase_pct, "build": rules.max_build_increase_pct,
              "return-to-sport": plan.protocol.return_to_sport.max_increase_pct}
    for phase, limit in limits.items():
        span = next(p for p in plan.phases if p.id == phase)
        in_phase = (d for d in plan.days if d.phase == phase)
        weeks = [sum(d.run_minutes for d in w)
                 for _, w in groupby(in_phase, key=lambda d: (d.date - span.start).days // 7)]
        peak = weeks[0]
        for before, minutes in zip(weeks, weeks[1:]):
            assert minutes <= peak * (100 + limit) / 100, (phase, weeks)
            assert minutes <= before * (100 + limit) / 100 or before < peak, (phase, weeks)
            peak = max(peak, minutes)


def _assert_gates(plan) -> None:
    """A gate sits on the first day of every phase after the first, on a non-loading day;
    it is the previous phase's gate as data (label, name, checklist), and the title leads
    with its label."""
    for prev, span in zip(plan.phases, plan.phases[1:]):
        day = next(d for d in plan.days if d.date == span.start)
        assert day.gate is not None and day.kind not in LOADING_KINDS
        assert day.gate.name == prev.gate_name and day.gate.criteria == prev.gate
    # The final review: the last phase's gate, on the plan's last day, a rest day.
    last, final = plan.days[-1], plan.phases[-1]
    assert last.kind == "rest" and last.gate is not None
    assert (last.gate.name, last.gate.criteria) == (final.gate_name, final.gate)
    for day in (d for d in plan.days if d.gate):
        assert day.kind not in LOADING_KINDS
        assert day.title == f"{day.gate.label} · {day.session}"
        assert day.gate.name.startswith(day.gate.label + ":")
        assert any(m.date == day.date and m.name == day.gate.name for m in plan.milestones)
    steps = sum(1 for d in plan.days if d.gate and d.phase == "return-to-sport"
                and d.date != plan.phases[-1].start and d is not last)
    changes = sum(1 for a, b in zip(plan.days, plan.days[1:]) if a.weight_bearing != b.weight_bearing)
    # A high-risk site's imaging check opens its first impact week, before any impact day.
    imaging = [d for d in plan.days if d.gate and d.gate.label == "Imaging check"]
    impact = [d for d in plan.days if d.kind == "impact"]
    assert len(imaging) == int(plan.site.risk == "high" and bool(impact))
    assert all(i.date < min(d.date for d in impact) and i.kind not in LOADING_KINDS
               for i in imaging)
    assert sum(1 for d in plan.days if d.gate) == len(plan.phases) + steps + changes + len(imaging)


# Words that let a runner walk freely or train on the feet: never on a day on crutches or in
# a boot (the review found "Ordinary daily walking is fine" on rest days of non-weight-bearing
# weeks).
FREE_WALKING = ("walking is fine", "Brisk walk", "Walk only as much", "Everyday walking continues")


def _assert_weight_bearing(plan) -> None:
    """Statuses only move forward (non, partial, boot, full), as the protocol lists them; each
    change sits on a weight-bearing gate whose checklist is the new status's gate (who clears
    it); a protected day says its status and never allows free walking; all else is full."""
    protocol = plan.protocol
    expected = [s for s, _ in plan.protection.bearing_steps()] + ["full"]
    seen = [s for s, _ in groupby(d.weight_bearing for d in plan.days)]
    assert seen == expected, (seen, expected)
    for before, day in zip(plan.days, plan.days[1:]):
        if day.weight_bearing != before.weight_bearing:
            assert day.gate is not None and day.gate.label == "Weight-bearing check"
            assert day.gate.criteria == protocol.bearing(day.weight_bearing).gate
            assert day.gate.criteria and "clinician" in day.gate.criteria[0]
            assert day.date.weekday() == plan.days[0].date.weekday() or day.phase == "protect"
    for d in plan.days:
        if d.weight_bearing == "full":
            continue
        assert d.phase == "protect" and d.kind not in LOADING_KINDS and d.walk_minutes == 0
        assert protocol.bearing(d.weight_bearing).day_text in d.details, d.date
        assert not any(words in d.details for words in FREE_WALKING), (d.date, d.details)


def _assert_protect_spares_the_bone(plan) -> None:
    """No strength that loads the injured bone, no impact and no single-leg work before Gate 1:
    in Protect the site's own strength programme is never prescribed."""
    for d in plan.days:
        if d.phase != "protect":
            continue
        assert d.kind in ("cross", "strength", "rest")
        assert plan.site.strength_focus not in d.details, d.date
        assert "single-leg" not in d.details.lower()
        # Calf raises and hops may be named only to rule them out ("no calf raises ... hops").
        for found in re.finditer(r"\b(calf raises|hops?|hopping|balance)\b", d.details):
            assert " no " in d.details[max(0, found.start() - 40):found.start()], (d.date, found)


def _assert_stages(plan) -> None:
    """Walk/run days name their protocol stage, impact days their step; stages never go back
    within the return-to-run phase, and single-leg impact never comes before double-leg."""
    stage_ids = [s.id for s in (*plan.protocol.high_risk_stages, *plan.protocol.stages)]
    order = []
    for d in plan.days:
        if d.kind == "run" and d.phase == "return-to-run":
            stage = next(s for s in (*plan.protocol.high_risk_stages, *plan.protocol.stages)
                         if s.id == d.stage)
            assert (d.run_minutes, d.walk_minutes) == (stage.run_minutes, stage.walk_minutes)
            order.append(stage_ids.index(d.stage))
        elif d.kind == "impact":
            assert d.stage in IMPACT_LEVELS
        elif d.kind == "run" and d.phase == "build":
            assert d.stage and d.stage.startswith("B"), (d.date, d.stage)
        elif d.kind == "run" and d.phase == "return-to-sport":
            assert d.stage in SPORT_STAGES, (d.date, d.stage)
        else:
            assert d.stage is None, (d.date, d.kind, d.stage)
    assert order == sorted(order) and order
    impact = [IMPACT_LEVELS[d.stage] for d in plan.days if d.kind == "impact"]
    assert impact == sorted(impact)  # double-leg before single-leg
    # At least one whole week of double-leg impact before any single-leg hop.
    if impact:
        weeks = training_weeks(plan)
        levels = [{IMPACT_LEVELS[d.stage] for d in w if d.kind == "impact"} for w in weeks]
        first_double = next(i for i, lv in enumerate(levels) if 1 in lv)
        assert levels[first_double] == {1}
        assert all(not lv or 1 not in lv or lv == {1} for lv in levels)
    # The engine never advances a stage twice in one week: one stage a training week, and
    # stages (impact, walk/run, build, on one ladder) never go back.
    ladder = stage_ladder(plan.protocol)
    rungs = []
    for week in training_weeks(plan):
        used = {ladder[d.stage] for d in week if d.stage}
        assert len(used) <= 1, (week[0].date, used)
        rungs += used
    assert rungs == sorted(rungs)


def _assert_one_rise_a_week(plan) -> None:
    """Across consecutive training weeks at most one load variable rises
    (planner.core.load defines them)."""
    for start, rose in rises_by_week(plan):
        assert len(rose) <= 1, (start, sorted(rose))


def _assert_hop_test(plan) -> None:
    """A hop-test site does its hop test on the last reload loading day (a loading day, so it
    has a non-loading day either side) and Gate 2 asks for it after imaging clearance at a
    high-risk site; a site with no hop test never hops on one leg."""
    tests = [d for d in plan.days if d.stage == "hop-test"]
    reload = next(p for p in plan.phases if p.id == "reload")
    gate = reload.gate
    extras = plan.protocol.gate_extras
    if not plan.site.hop_test:
        assert not tests and extras.no_hop in gate
        assert all(d.stage in (None, "impact-double") or d.kind == "run" for d in plan.days)
        return
    last_loading = max(d.date for d in plan.days if d.phase == "reload" and
                       d.date.weekday() in {x.date.weekday() for x in plan.days
                                            if x.kind in LOADING_KINDS})
    assert [d.date for d in tests] == [last_loading]
    if plan.site.risk == "high":
        assert gate.index(extras.high_risk) < gate.index(extras.hop_test)


SPORT_STAGES = ("rts-easy", "rts-long", "rts-strides", "rts-hills", "rts-speed")


def sport_weeks_of(plan) -> list[dict]:
    """The return-to-sport phase read back from the days, one record per training week: run
    days, running minutes, a longer run, the intensity stages, and the gate before the week.
    The review day after the last week is not a training week and is left out."""
    span = plan.phases[-1]
    weeks = []
    for _, week in groupby((d for d in plan.days[:-1] if d.phase == span.id),
                           key=lambda d: (d.date - span.start).days // 7):
        week = list(week)
        runs = [d for d in week if d.kind == "run"]
        before = next(d for d in reversed(plan.days) if d.date < week[0].date and d.kind == "rest"
                      ) if weeks else None
        weeks.append({
            "start": week[0].date, "runs": len(runs), "minutes": sum(d.run_minutes for d in runs),
            "long": any(d.stage == "rts-long" for d in runs),
            "intensity": {d.stage for d in runs} - {"rts-easy", "rts-long"},
            "gate": before.gate if before is not None else None,
            "full": len(week) == 7,
        })
    return weeks


def _assert_return_to_sport(plan) -> None:
    """Each week of the phase changes at most one thing against the week before (run days,
    a longer run, a new intensity, or rising minutes), and a week that adds something holds the
    minutes and has its own gate on the rest day before it; intensity only from
    `intensity_pct` of the usual volume; the week after Build rises at most 10% over it."""
    rules = plan.protocol.return_to_sport
    usual = plan.request.usual_minutes or rules.default_usual_minutes
    build = [d for d in plan.days if d.phase == "build"][-7:]
    previous = {"runs": 3, "minutes": sum(d.run_minutes for d in build), "long": False,
                "intensity": set()}
    best = previous["minutes"]
    for week in sport_weeks_of(plan):
        added = [week["runs"] > previous["runs"], week["long"] and not previous["long"],
                 bool(week["intensity"] - previous["intensity"])]
        rose = week["minutes"] > previous["minutes"]
        assert sum(added) + rose <= 1 or not week["full"], week
        assert week["minutes"] <= best * (100 + rules.max_increase_pct) / 100, week
        if any(added):
            assert week["gate"] is not None and week["gate"].label.startswith("Gate "), week
            assert week["minutes"] <= previous["minutes"], week
        else:
            assert week["gate"] is None, week
        if week["intensity"]:
            assert best * 100 >= usual * rules.intensity_pct, week
        assert week["runs"] >= previous["runs"] or not week["full"], week
        best = max(best, week["minutes"])
        previous = week


# --- what the file must say, stated independently of planner.ics -----------------------


def expected_rows(plan: Plan, options: CalendarOptions) -> list[tuple]:
    """(uid, summary, start, end, alarms) per day: UTC instants for timed, dates for all-day.

    RFC 5545's rule for local times: a skipped time uses the offset before the gap, a
    repeated one its first occurrence -- which is zoneinfo's fold=0.
    """
    rows = []
    for day in plan.days:
        training = day.kind != "rest"
        if options.timed and training:
            local = datetime.combine(day.date, options.time, tzinfo=ZoneInfo(options.tz))
            start = local.astimezone(timezone.utc)
            end = start + timedelta(minutes=day.total_minutes)
            trigger = None if options.reminder is None else -options.reminder
        else:
            start, end = day.date, day.date + timedelta(days=1)
            trigger = None if options.reminder is None else timedelta(hours=-4)
        alarms = [("DISPLAY", day.title, trigger)] if training and trigger is not None else []
        uid = f"rtr-{plan_uid(plan)}-{day.date:%Y%m%d}@rtr-planner.invalid"
        rows.append((uid, day.title, start, end, alarms))
    return rows


def absolute(value: date | datetime) -> date | datetime:
    """A date as it is; a datetime (which must be aware) as a UTC instant."""
    if type(value) is date:
        return value
    assert value.tzinfo is not None and value.utcoffset() is not None, value
    return value.astimezone(timezone.utc)


# --- the in-process parsers ------------------------------------------------------------------
# Each parser reads a given file once (the last few are kept): a test that checks one calendar
# several ways reuses the parse, and nothing here changes what a parser returns.


@functools.lru_cache(maxsize=4)
def read_icalendar(raw: bytes) -> Calendar:
    """Parse with icalendar."""
    return Calendar.from_ical(raw)


@functools.lru_cache(maxsize=4)
def read_ical(raw: bytes):
    """Parse with allenporter's `ical`."""
    return IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))


def icalendar_rows(raw: bytes) -> list[tuple]:
    """Rows via icalendar, which must record no parse errors."""
    cal = read_icalendar(raw)
    cal.validate()
    assert all(component.errors == [] for component in cal.walk())
    return [(str(ev["UID"]), str(ev["SUMMARY"]), absolute(ev.start), absolute(ev.end),
             [(str(a["ACTION"]), str(a["DESCRIPTION"]), a["TRIGGER"].dt)
              for a in ev.walk("VALARM")])
            for ev in cal.events]


def ical_rows(raw: bytes) -> list[tuple]:
    """Rows via allenporter's `ical` (strict about value types, TZIDs and alarms)."""
    cal = read_ical(raw)
    return [(e.uid, e.summary, absolute(e.dtstart), absolute(e.dtend),
             [(a.action, a.description, a.trigger) for a in e.alarm])
            for e in cal.events]


@functools.lru_cache(maxsize=4)
def read_vobject(raw: bytes) -> vobject.base.Component:
    """Parse with vobject, reading this file's own VTIMEZONEs.

    vobject keeps the first VTIMEZONE it meets for each TZID for the rest of the process
    (``registerTzinfo`` never replaces one), so without this a file would be read with the
    VTIMEZONE of an earlier file.
    """
    registry = vars(vobject.icalendar)["__tzidMap"]
    for tzid in [t for t in registry if t != "UTC"]:
        del registry[tzid]
    return vobject.readOne(raw.decode("utf-8"), validate=True)


def vobject_rows(raw: bytes) -> list[tuple]:
    """Rows via vobject with validation on; it reads times through our VTIMEZONE."""
    cal = read_vobject(raw)
    assert cal.validate(raiseException=True)
    return [(e.uid.value, e.summary.value, absolute(e.dtstart.value), absolute(e.dtend.value),
             [(a.action.value, a.description.value, a.trigger.value)
              for a in e.contents.get("valarm", [])])
            for e in cal.vevent_list]


def recurring_rows(raw: bytes) -> list[tuple]:
    """Rows via recurring-ical-events, the expansion layer calendar tools put on icalendar:
    the occurrences it finds over the whole calendar, in file order, with the instants it
    computes through the file's own VTIMEZONEs."""
    import recurring_ical_events

    cal = read_icalendar(raw)
    order = {str(e["UID"]): i for i, e in enumerate(cal.events)}
    found = recurring_ical_events.of(cal).between(date(1900, 1, 1), date(2200, 1, 1))
    events = sorted(found, key=lambda e: order[str(e["UID"])])
    return [(str(ev["UID"]), str(ev["SUMMARY"]), absolute(ev.start), absolute(ev.end),
             [(str(a["ACTION"]), str(a["DESCRIPTION"]), a["TRIGGER"].dt)
              for a in ev.walk("VALARM")])
            for ev in events]


def assert_parsers_agree(raw: bytes, expected: list[tuple]) -> None:
    """All four in-process readers (icalendar, `ical`, vobject, recurring-ical-events) read
    exactly `expected`, event by event."""
    for reader in (icalendar_rows, ical_rows, vobject_rows, recurring_rows):
        assert reader(raw) == expected, reader.__name__


# --- the VTIMEZONEs, read by each library's own VTIMEZONE reader -------------------------


def vtimezone_texts(raw: bytes) -> list[str]:
    """The text of each VTIMEZONE in a calendar file."""
    return re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", raw.decode("utf-8"), re.S)


def vtimezone_readers(text: str) -> dict[str, object]:
    """{reader name: tzinfo}, each built by a library from this VTIMEZONE text alone."""
    wrapped = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{text}END:VCALENDAR\r\n"
    return {
        "icalendar": Calendar.from_ical(wrapped).timezones[0].to_tz(lookup_tzid=False),
        "ical": IcsTimezoneInfo.from_timezone(
            IcsCalendarStream.calendar_from_ics(wrapped).timezones[0]),
        "dateutil/vobject": dateutil_tz.tzical(io.StringIO(text)).get(),
    }


def assert_vtimezone_matches_zoneinfo(raw: bytes, first: date, last: date,
                                      extra: tuple[time, ...] = ()) -> int:
    """Every VTIMEZONE reader gives zoneinfo's offset at every existing wall time sampled,
    on every day from `first` - 1 to `last` + 1; returns the number of comparisons."""
    return sum(_check_vtimezone(text, first, last, extra) for text in vtimezone_texts(raw))


@functools.cache
def _check_vtimezone(text: str, first: date, last: date, extra: tuple[time, ...]) -> int:
    """The check for one VTIMEZONE text (cached: the readers depend on the text alone)."""
    tzid = re.search(r"^TZID:(.*)\r$", text, re.M)[1]
    zone, readers, checked = ZoneInfo(tzid), vtimezone_readers(text), 0
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        for wall in WALL_TIMES + extra:
            local = datetime.combine(day, wall)
            aware = local.replace(tzinfo=zone)
            if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != local:
                continue  # skipped by a forward change: never written to a file
            for name, reader in readers.items():
                assert local.replace(tzinfo=reader).utcoffset() == aware.utcoffset(), (
                    tzid, name, local)
                checked += 1
        day += timedelta(days=1)
    return checked


# --- wire format ------------------------------------------------------------------------


def unfold(raw: bytes) -> list[str]:
    """Content lines with RFC 5545 folding undone."""
    return re.sub(r"\r\n[ \t]", "", raw.decode("utf-8")).split("\r\n")[:-1]


def assert_wire_format(raw: bytes) -> None:
    """CRLF everywhere (last line too), ≤75 octets a line, a VTIMEZONE per TZID, ≤1 alarm."""
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    lines = unfold(raw)
    used = {m[1] for ln in lines for m in [re.match(r"^[A-Z-]+;TZID=([^:;]+)", ln)] if m}
    defined = {ln[5:] for ln in lines if ln.startswith("TZID:")}
    assert used == defined
    assert not any("VALUE=DATE;" in ln or ("TZID=" in ln and "VALUE=DATE:" in ln) for ln in lines)
    assert "RDATE" not in " ".join(ln for ln in lines if ln.startswith("RRULE"))
    assert not any(ln.startswith("RRULE") and "UNTIL" in ln for ln in lines)
    events = "\r\n".join(lines).split("BEGIN:VEVENT")[1:]
    assert all(event.count("BEGIN:VALARM") <= 1 for event in events)
