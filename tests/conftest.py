"""Shared fixtures: the real packaged protocol, plan builders and machine isolation."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date

import pytest

from planner.engine import build_plan
from planner.models import Plan, PlanRequest
from planner.protocol import load_protocol

# Property tests run FUZZ_SCALE times more examples when RTR_FUZZ_SCALE is set (CI's long run).
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
    config._rtr_cache = tempfile.mkdtemp(prefix="rtr-test-cache-")
    os.environ["XDG_CACHE_HOME"] = config._rtr_cache
    os.environ.pop("RTR_NO_CACHE", None)


def pytest_unconfigure(config):
    """Remove the run's cache folder."""
    shutil.rmtree(getattr(config, "_rtr_cache", ""), ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolate_home(tmp_path, monkeypatch):
    """Never read the developer's real home or config."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
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
