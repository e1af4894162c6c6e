"""Two more calendar clients' parsers, run as real programs: ical.js (Mozilla's, the one in
Thunderbird) under node, and libical (Evolution's and GNOME Calendar's) through its GObject
bindings under the system Python. Together with icalendar, `ical`, vobject
and recurring-ical-events (tests/checks.py) that is six readings of every calendar.

Both read a whole batch of files in one process (starting node or GObject costs more than
reading a calendar) and give, per file, the errors the parser reported and one row per event:
``[uid, summary, start, end, status, categories, alarms]``, a date as ``YYYY-MM-DD`` and a time
as Unix seconds (the instant the client shows), an alarm as ``[action, description, seconds]``.

The README's test command installs both (scripts/install-test-tools); a missing one fails the
tests that need it, with the command that installs it, instead of skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest

from .checks import read_icalendar

HERE = Path(__file__).resolve().parent
ICALJS = Path(os.environ.get("RTR_ICALJS") or HERE / ".tools" / "node_modules" / "ical.js")
LIBICAL_PYTHON = os.environ.get("RTR_LIBICAL_PYTHON") or "/usr/bin/python3"
INSTALL = "run scripts/install-test-tools (the README's test command does) to install it"


def _icaljs_command() -> list[str]:
    node = shutil.which("node")
    if node is None or not (ICALJS / "dist" / "ical.js").is_file():
        pytest.fail(f"ical.js under node is needed at {ICALJS}; {INSTALL}", pytrace=False)
    return [node, str(HERE / "parsers" / "icaljs_rows.mjs")]


def _libical_command() -> list[str]:
    probe = subprocess.run([LIBICAL_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', "
                            "'3.0'); from gi.repository import ICalGLib"],
                           capture_output=True, check=False) if Path(LIBICAL_PYTHON).exists() else None
    if probe is None or probe.returncode != 0:
        pytest.fail(f"libical's GObject bindings are needed for {LIBICAL_PYTHON}; {INSTALL}",
                    pytrace=False)
    return [LIBICAL_PYTHON, str(HERE / "parsers" / "libical_rows.py")]


CLIENTS = {"ical.js": _icaljs_command, "libical": _libical_command}


def client_readings(raws: list[bytes]) -> dict[str, list[dict]]:
    """What each client makes of each calendar in `raws`: {client: [{errors, events}, ...]}."""
    with tempfile.TemporaryDirectory(prefix="rtr-clients-") as folder:
        paths = []
        for i, raw in enumerate(raws):
            path = Path(folder) / f"{i:04d}.ics"
            path.write_bytes(raw)
            paths.append(str(path))
        env = {**os.environ, "RTR_ICALJS": str(ICALJS)}
        readings = {}
        for name, command in CLIENTS.items():
            done = subprocess.run(command() + paths, capture_output=True, env=env, check=False)
            assert done.returncode == 0, (name, done.stderr.decode(errors="replace")[-2000:])
            readings[name] = json.loads(done.stdout)
            assert len(readings[name]) == len(raws), name
    return readings


def _portable(value: date | datetime) -> str | int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value.isoformat()


def reference_rows(raw: bytes) -> list[list]:
    """The rows icalendar reads from `raw`, in the clients' shape (the reading the Python
    parsers agree on, checked by `checks.assert_parsers_agree`)."""
    rows = []
    for event in read_icalendar(raw).events:
        status = event.get("STATUS")
        categories = [str(c) for prop in _as_list(event.get("CATEGORIES")) for c in prop.cats]
        alarms = [[str(a["ACTION"]), str(a["DESCRIPTION"]), int(a["TRIGGER"].dt.total_seconds())]
                  for a in event.walk("VALARM")]
        rows.append([str(event["UID"]), str(event["SUMMARY"]), _portable(event.start),
                     _portable(event.end), None if status is None else str(status), categories,
                     alarms])
    return rows


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def assert_clients_agree(raws: list[bytes]) -> None:
    """ical.js and libical read every calendar in `raws` without an error, event by event
    exactly as icalendar does (same instants, texts, status, categories and alarms)."""
    readings = client_readings(raws)
    for i, raw in enumerate(raws):
        expected = reference_rows(raw)
        for name, per_file in readings.items():
            reading = per_file[i]
            assert reading["errors"] == [], (name, i, reading["errors"][:5])
            for got, want in zip(reading["events"], expected):
                assert got == want, (name, i, got, want)
            assert len(reading["events"]) == len(expected), (name, i)
