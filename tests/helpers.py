"""Helpers shared by the test modules: test profiles, real plans and the CLI run in-process.

Nothing here loads the protocol at import: conftest imports this module before its
`pytest_configure` points the cache at a private folder.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

from planner.core.engine import build_plan
from planner.core.models import Plan, PlanRequest

# Test profiles, one switch: RTR_TEST_PROFILE.
#   quick (the default; what a bare `pytest` runs, under a minute on two cores): the big sweeps
#     run a fixed, representative part of themselves (between them every site, grade, calendar
#     variant and worked example at least once, combinations rotating; a test per sweep proves
#     its coverage), property tests run fewer examples, and every edge-case test runs as it is.
#     Nothing is skipped: a sweep just has fewer cases.
#   full: every sweep whole and every property test at its full example count. CI runs it.
# RTR_FUZZ_SCALE multiplies property-test examples in either profile (CI runs full at 10x).
PROFILES = ("quick", "full")
PROFILE = os.environ.get("RTR_TEST_PROFILE", "").strip().lower() or "quick"
FULL_PROFILE = PROFILE == "full"
FUZZ_SCALE = max(1, int(os.environ.get("RTR_FUZZ_SCALE", "1") or 1))
CLEARED = "Dr A. Surgeon, orthopaedics, 2026-01-05"


def clearance(start: date) -> str:
    """A clearance a week before `start`: valid when the plan is checked with today = start."""
    return f"Dr Test, {start - timedelta(days=7):%Y-%m-%d}"
# Start dates that stress the calendar: a year end, a leap day, and every weekday.
EDGE_STARTS = [date(2026, 12, 28), date(2028, 2, 29), date(2026, 3, 2), date(2026, 3, 3),
               date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7),
               date(2026, 3, 8)]


def examples(full: int, quick: int) -> int:
    """A property test's max_examples: `full` in the full profile, `quick` in the quick one;
    times RTR_FUZZ_SCALE either way."""
    return (full if FULL_PROFILE else quick) * FUZZ_SCALE


def profiled(full: list, quick: list) -> list:
    """A sweep's cases: all of `full` in the full profile, else `quick`, which must be a part
    of `full` (so CI's full run covers everything the quick run does)."""
    strays = [case for case in quick if case not in full]
    assert not strays, f"quick cases missing from the full sweep: {strays}"
    return list(full) if FULL_PROFILE else list(quick)


def make_plan(protocol, site: str, grade: int, start: date, **kwargs) -> Plan:
    """Build a real plan; surgeon-led combinations are built as cleared by a clinician."""
    site_rec = next(s for s in protocol.sites if s.id == site)
    if site_rec.referral_for(grade) and "cleared_by" not in kwargs:
        kwargs["cleared_by"] = CLEARED
    return build_plan(PlanRequest(site=site, grade=grade, start=start, **kwargs), protocol)


def all_cases(protocol):
    """Every (site id, grade) pair the protocol can plan: all of them but the cases it refuses
    even with a clearance (a referral with ``always``), which tests of refusals cover."""
    return [(s.id, g) for s in protocol.sites for g in (1, 2, 3, 4)
            if not (s.referral_for(g) and s.referral_for(g).always)]


def run_rtr(capsys, *args: str) -> tuple[int, str, str]:
    """Run `rtr ARGS` in-process; return (exit code, stdout, stderr)."""
    from planner import cli

    try:
        cli.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
