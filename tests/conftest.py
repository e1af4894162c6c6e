"""Pytest hooks and fixtures: the test profile, a private cache, isolated homes and the real
packaged protocol. Shared helpers live in `helpers.py` and shared checks in `checks.py`."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile

import pytest

from planner.core.protocol import load_protocol

from .helpers import FULL_PROFILE, FUZZ_SCALE, PROFILE, PROFILES


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


