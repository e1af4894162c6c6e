"""Start-up imports only what a command needs (issue 12): `--help` and `rtr sites` load
neither jinja2 nor icalendar, reading an earlier plan.json needs no icalendar, and an ISO
start date needs no dateutil. Checked in a fresh interpreter, on sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("jinja2", "icalendar", "dateutil")


def loaded_after(code: str) -> list[str]:
    """Which of `HEAVY` a fresh interpreter has imported after running `code`."""
    probe = (f"import sys\n{code}\n"
             f"print(__import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> str:
    """Code that runs the CLI with `args` and swallows its exit."""
    return ("from planner.cli import main\nsys.argv = ['rtr', *%r]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass" % (list(args),))


@pytest.mark.parametrize("args", [("--help",), ("sites",), ("plan", "--help")])
def test_help_and_sites_load_neither_jinja2_nor_icalendar(args) -> None:
    assert loaded_after(run_cli(*args)) == []


def test_reading_an_earlier_plan_json_needs_no_icalendar(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    subprocess.run([sys.executable, "-m", "planner", "plan", "--site", "fibula", "--grade", "2",
                    "--start", "2026-12-07", "--out", str(folder)], check=True,
                   capture_output=True)
    code = (f"from pathlib import Path\nfrom planner.app import read_previous_calendar\n"
            f"assert read_previous_calendar(Path({str(folder)!r})) is not None")
    assert loaded_after(code) == []


def test_iso_dates_need_no_dateutil_and_others_still_parse() -> None:
    code = ("from planner.core.request import parse_date\n"
            "assert str(parse_date(' 2026-03-02 ')) == '2026-03-02'")
    assert "dateutil" not in loaded_after(code)
    code = ("from planner.core.request import parse_date\n"
            "assert str(parse_date('2 March 2026')) == '2026-03-02'")
    assert "dateutil" in loaded_after(code)


@pytest.mark.parametrize("text", ["2026-02-30", "0000-01-01", "2026-13-01"])
def test_impossible_iso_dates_give_the_dateutil_message(text) -> None:
    from planner.core.request import parse_date
    from planner.errors import RequestError

    with pytest.raises(RequestError, match="is not a valid date"):
        parse_date(text)
