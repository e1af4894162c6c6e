"""Shared fixtures: the real packaged protocol, plan builders and machine isolation."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from datetime import date

import pytest

from planner.core.engine import build_plan
from planner.core.models import Plan, PlanRequest
from planner.core.protocol import load_protocol

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
# Start dates that stress the calendar: a year end, a leap day, and every weekday.
EDGE_STARTS = [date(2026, 12, 28), date(2028, 2, 29), date(2026, 3, 2), date(2026, 3, 3),
               date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7),
               date(2026, 3, 8)]


def pytest_configure(config):
    """One private, empty cache folder (protocol, compiled templates) for the whole run,
    subprocesses included; set before collection, since some modules load the protocol on
    import. Tests never touch the developer's own cache."""
    if PROFILE not in PROFILES:
        raise pytest.UsageError(f"RTR_TEST_PROFILE={PROFILE!r}: use one of {', '.join(PROFILES)}")
    config._rtr_cache = tempfile.mkdtemp(prefix="rtr-test-cache-")
    os.environ["XDG_CACHE_HOME"] = config._rtr_cache
    os.environ.pop("RTR_NO_CACHE", None)


def pytest_unconfigure(config):
    """Remove the run's cache folder."""
    shutil.rmtree(getattr(config, "_rtr_cache", ""), ignore_errors=True)


def pytest_report_header(config):
    """Say which profile runs, so a quick run is never mistaken for the full one."""
    more = "" if FULL_PROFILE else "; RTR_TEST_PROFILE=full runs every sweep whole"
    return f"rtr test profile: {PROFILE} (RTR_FUZZ_SCALE={FUZZ_SCALE}{more})"


def pytest_terminal_summary(terminalreporter):
    """The same at the end of the run, where a `-q` run shows it too."""
    if not FULL_PROFILE:
        terminalreporter.write_line(
            "quick profile: the sweeps ran their representative part; "
            "RTR_TEST_PROFILE=full runs them whole (CI does)")


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


@pytest.fixture(scope="session")
def _homes(tmp_path_factory):
    """One folder under which every test gets its own home."""
    return tmp_path_factory.mktemp("homes")


_HOME_NUMBERS = itertools.count()


@pytest.fixture(autouse=True)
def _isolate_home(_homes, monkeypatch):
    """Never read the developer's real home or config: each test gets a home of its own, which
    does not exist until something writes to it (cheaper than a tmp_path for every test)."""
    monkeypatch.setenv("HOME", str(_homes / f"home-{next(_HOME_NUMBERS)}"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture(scope="session")
def protocol():
    """The protocol shipped in the package."""
    return load_protocol()


def make_plan(protocol, site: str, grade: int, start: date, **kwargs) -> Plan:
    """Build a real plan; surgeon-led combinations are built as cleared by a clinician."""
    site_rec = next(s for s in protocol.sites if s.id == site)
    if site_rec.referral_for(grade) and "cleared_by" not in kwargs:
        kwargs["cleared_by"] = CLEARED
    return build_plan(PlanRequest(site=site, grade=grade, start=start, **kwargs), protocol)


def all_cases(protocol):
    """Every (site id, grade) pair of the protocol."""
    return [(s.id, g) for s in protocol.sites for g in (1, 2, 3, 4)]


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
