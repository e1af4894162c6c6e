"""The `rtr` command as a user meets it: files, summary, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from importlib.metadata import version

import pytest

from planner import cli, engine
from planner.models import PlanRequest

TODAY = date.today()
START = TODAY + timedelta(days=3)
OUTPUTS = {"plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run `rtr ARGS` in-process; return (exit code, stdout, stderr)."""
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def plan_args(out, *extra: str, site="metatarsal", grade="2", start=START.isoformat()):
    return ("plan", "--site", site, "--grade", grade, "--start", start, "--out", str(out), *extra)


def test_plan_writes_four_files_and_a_summary(tmp_path, capsys):
    code, out, err = run(capsys, *plan_args(tmp_path / "p", "--name", "Ana"))
    assert (code, err) == (0, "")
    assert {p.name for p in (tmp_path / "p").iterdir()} == OUTPUTS
    for phase in ("Protect", "Reload", "Return to run", "Build", "First run:"):
        assert phase in out
    assert "plan.ics, guide.md, guide.html, plan.json, plan.csv" in out
    data = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    assert data["request"]["site"] == "metatarsal" and data["request"]["start"] == START.isoformat()


def test_default_folder_is_named_from_athlete_site_and_start(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "plan", "--site", "shin", "--grade", "1", "--start",
                       START.isoformat(), "--name", "../../Zoë O'Brien")
    folder = tmp_path / f"zoe-o-brien-tibia-posteromedial-{START.isoformat()}"
    assert code == 0 and folder.is_dir(), out
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_written_out_dates_are_accepted(tmp_path, capsys):
    written = f"{START.day} {START:%B %Y}"
    code, _, err = run(capsys, *plan_args(tmp_path / "p", start=written))
    assert code == 0, err
    data = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    assert data["request"]["start"] == START.isoformat()


BAD_USAGE = [
    (dict(site="navicualr"), "unknown site 'navicualr'. Did you mean navicular"),
    (dict(site=""), "unknown site ''"),
    (dict(grade="0"), "'0' is not an MRI grade; use 1, 2, 3 or 4"),
    (dict(grade="5"), "'5' is not an MRI grade"),
    (dict(grade="2.5"), "'2.5' is not an MRI grade"),
    (dict(grade="two"), "'two' is not an MRI grade"),
    (dict(start="03/04/2026"), "ambiguous (day/month or month/day?); use YYYY-MM-DD"),
    (dict(start="2026-02-30"), "'2026-02-30' is not a valid date"),
    (dict(start=""), "the date is empty"),
    (dict(start="March 3"), "not a full date with day, month and year"),
    (dict(start="someday"), "'someday' is not a valid date"),
    (dict(start=(TODAY - timedelta(days=800)).isoformat()), "more than a year from today"),
    (dict(start=(TODAY + timedelta(days=800)).isoformat()), "more than a year from today"),
]


@pytest.mark.parametrize("kwargs,message", BAD_USAGE)
def test_bad_values_are_usage_errors_on_one_line(tmp_path, capsys, kwargs, message):
    code, out, err = run(capsys, *plan_args(tmp_path / "p", **kwargs))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("Error: ") and message in err
    assert "Traceback" not in err and not (tmp_path / "p").exists()


@pytest.mark.parametrize("args,message", [
    (("plan", "--site", "fibula", "--grade", "1"), "Missing option '--start'"),
    (("plan", "--bogus"), "No such option '--bogus'"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--rest-day", "funday"),
     "'funday' is not a weekday"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--name", "  "),
     "the name is empty"),
    (("nosuch",), "No such command 'nosuch'"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--run-days", "mon,tue"),
     "cannot fit 3 run days with a day between each into mon,tue"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--run-days", "mon,xyz"),
     "'xyz' is not a weekday"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--rest-day", "sat,sun,mon,tue"),
     "at most 3 rest days a week"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--cross", "bike,hiking"),
     "unknown cross-training 'hiking'"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--week-start", "wed"),
     "'wed' is not one of 'mon', 'sun'"),
])
def test_option_errors_are_usage_errors(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args)
    assert code == 2 and err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_surgeon_led_case_is_referred_with_exit_1_and_nothing_written(tmp_path, capsys):
    code, out, err = run(capsys, *plan_args(tmp_path / "p", site="femoral-neck-tension", grade="1"))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "needs a surgeon's assessment" in err and "--cleared-by" in err
    assert not (tmp_path / "p").exists()


def test_cleared_by_appears_in_guide_and_calendar(tmp_path, capsys):
    who = "Dr Lee, orthopaedics, 2026-02-20"
    code, out, err = run(capsys, *plan_args(tmp_path / "p", "--cleared-by", who,
                                            site="navicular", grade="4"))
    assert code == 0, err
    assert who in out
    for name in ("guide.md", "guide.html", "plan.json"):
        assert who in (tmp_path / "p" / name).read_text(encoding="utf-8"), name
    ics = (tmp_path / "p" / "plan.ics").read_bytes().replace(b"\r\n ", b"").decode("utf-8")
    assert who.replace(",", "\\,") in ics


def test_existing_folder_needs_force_and_force_keeps_other_files(tmp_path, capsys):
    out_dir = tmp_path / "p"
    assert run(capsys, *plan_args(out_dir))[0] == 0
    (out_dir / "notes.txt").write_text("keep me", encoding="utf-8")
    before = (out_dir / "plan.ics").read_bytes()
    code, _, err = run(capsys, *plan_args(out_dir, grade="3"))
    assert code == 1 and "already exists" in err and "--force" in err
    assert (out_dir / "plan.ics").read_bytes() == before
    code, _, err = run(capsys, *plan_args(out_dir, "--force", grade="3"))
    assert code == 0, err
    assert (out_dir / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (out_dir / "plan.ics").read_bytes() != before
    assert {p.name for p in out_dir.iterdir()} == OUTPUTS | {"notes.txt"}


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, *plan_args(target))
    assert code == 1 and "is a file, not a folder" in err
    assert target.read_text(encoding="utf-8") == "x"


def test_same_inputs_give_the_same_bytes(tmp_path, capsys):
    for folder in ("a", "b"):
        assert run(capsys, *plan_args(tmp_path / folder, "--name", "Ana"))[0] == 0
    for name in OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_cli_passes_the_parsed_request_to_the_core(tmp_path, capsys, monkeypatch):
    seen = {}
    real = engine.build_plan

    def spy(request, protocol, today=None):
        seen.update(request=request, today=today)
        return real(request, protocol, today=today)

    monkeypatch.setattr(engine, "build_plan", spy)
    args = plan_args(tmp_path / "p", "--name", " Ana ", "--rest-day", "Wednesday",
                     site="Shin", start=f"{START:%d %B %Y}")
    assert run(capsys, *args)[0] == 0
    assert seen["request"] == PlanRequest(site="Shin", grade=2, start=START, athlete="Ana",
                                          rest_days=(2,), cleared_by=None)
    assert seen["today"] == date.today()


def test_sites_lists_every_site_with_risk(capsys, protocol):
    code, out, _ = run(capsys, "sites")
    assert code == 0
    for site in protocol.sites:
        assert site.id in out
    assert "shin" in out and "pelvis" in out and "femoral-neck-tension 1" in out


def test_version_comes_from_the_package_metadata(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"rtr, version {version('rtr-planner')}"


def test_python_dash_m_runs_the_same_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "planner", "plan", "--site", "fibula",
                             "--grade", "9", "--start", START.isoformat()],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: Invalid value for '--grade'")
