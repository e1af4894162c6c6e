"""The `rtr` command as a user meets it: files, summary, exit codes and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from importlib.metadata import version

import pytest

from planner.core import engine
from planner.core.models import PlanRequest

from .helpers import run_rtr

TODAY = date.today()
START = TODAY + timedelta(days=3)
OUTPUTS = {"plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv", "diary.csv"}


run = run_rtr


def plan_args(out, *extra: str, site="metatarsal", grade="2", start=START.isoformat()):
    return ("plan", "--site", site, "--grade", grade, "--start", start, "--out", str(out), *extra)


def test_plan_writes_four_files_and_a_summary(tmp_path, capsys):
    code, out, err = run(capsys, *plan_args(tmp_path / "p", "--name", "Ana"))
    assert (code, err) == (0, "")
    assert {p.name for p in (tmp_path / "p").iterdir()} == OUTPUTS
    for phase in ("Protect", "Reload", "Return to run", "Build", "First run:"):
        assert phase in out
    assert "plan.ics, guide.md, guide.html, plan.json, plan.csv, diary.csv" in out
    data = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    assert data["request"]["site"] == "metatarsal" and data["request"]["start"] == START.isoformat()


def test_default_folder_is_named_from_athlete_site_and_start(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "plan", "--site", "medial-tibia", "--grade", "1", "--start",
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
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--time", "07:00",
      "--tz", "Europe/Berlinn"),
     "Error: Invalid value for '--tz': unknown time zone 'Europe/Berlinn'. Did you mean "
     "Europe/Berlin? Use an IANA name such as Europe/London.\n"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--time", "07:00",
      "--tz", "Nowhere/Special"),
     "unknown time zone 'Nowhere/Special'. Use an IANA name such as Europe/London."),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--time", "24:00",
      "--tz", "UTC"),
     "Invalid value for '--time': '24:00' is not a time of day; use HH:MM from 00:00 to 23:59"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--time", "7am",
      "--tz", "UTC"), "'7am' is not a time of day"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--time", "07:00"),
     "--time 07:00 needs a time zone: add --tz with an IANA name, e.g. --tz Europe/London."),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--tz", "Europe/Berlin"),
     "--tz Europe/Berlin needs a start time: add --time HH:MM, e.g. --time 07:00"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--reminder", "30"),
     "Invalid value for '--reminder': '30' is not a reminder; use minutes or hours before the "
     "session, e.g. 30m, 90m, 1h, 2h (at most 24h), or none."),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--reminder", "2d"),
     "'2d' is not a reminder"),
    (("plan", "--site", "fibula", "--grade", "1", "--start", START.isoformat(), "--calendar-name", " "),
     "Invalid value for '--calendar-name': the calendar name is empty"),
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


def test_same_inputs_and_folder_history_give_the_same_bytes(tmp_path, capsys):
    first = {}
    for attempt in ("first", "second"):
        assert run(capsys, *plan_args(tmp_path / "p", "--name", "Ana"))[0] == 0
        files = {name: (tmp_path / "p" / name).read_bytes() for name in OUTPUTS}
        first = first or files
        assert files == first, attempt
        (tmp_path / "p").rename(tmp_path / attempt)  # the same empty history next time


def test_separately_created_plans_never_share_a_uid(tmp_path, capsys):
    # Two runners left at the default name, same site and start, in two folders.
    for folder in ("a", "b"):
        assert run(capsys, *plan_args(tmp_path / folder))[0] == 0
    uids = [set(re.findall(rb"^UID:(.*)\r$", (tmp_path / f / "plan.ics").read_bytes(), re.M))
            for f in ("a", "b")]
    assert uids[0] and len(uids[0]) == len(uids[1]) and not uids[0] & uids[1]
    ids = [_plan_id(tmp_path / f) for f in ("a", "b")]
    assert ids[0] != ids[1] and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)


def test_cli_passes_the_parsed_request_to_the_core(tmp_path, capsys, monkeypatch):
    seen = {}
    real = engine.build_plan

    def spy(request, protocol, today=None):
        seen.update(request=request, today=today)
        return real(request, protocol, today=today)

    monkeypatch.setattr(engine, "build_plan", spy)
    args = plan_args(tmp_path / "p", "--name", " Ana ", "--rest-day", "Wednesday",
                     site="Medial Tibia", start=f"{START:%d %B %Y}")
    assert run(capsys, *args)[0] == 0
    assert seen["request"] == PlanRequest(site="Medial Tibia", grade=2, start=START, athlete="Ana",
                                          rest_days=(2,), cleared_by=None)
    assert seen["today"] == date.today()


def test_sites_lists_every_site_with_risk(capsys, protocol):
    code, out, _ = run(capsys, "sites")
    assert code == 0
    for site in protocol.sites:
        assert site.id in out
    assert "medial-tibia" in out and "pelvis" in out and "femoral-neck-tension 1" in out
    assert "  shin: tibia-posteromedial, tibia-anterior" in out


def test_version_comes_from_the_package_metadata(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"rtr, version {version('rtr-planner')}"


def test_python_dash_m_runs_the_same_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "planner", "plan", "--site", "fibula",
                             "--grade", "9", "--start", START.isoformat()],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: Invalid value for '--grade'")


def test_timed_sessions_with_reminders_and_a_calendar_name(tmp_path, capsys):
    args = plan_args(tmp_path / "p", "--time", "07:00", "--tz", "europe/berlin", "--reminder",
                     "90m", "--calendar-name", "Ana; rehab, 2026 \\ 🏃")
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "") and "Calendar:" not in out
    ics = (tmp_path / "p" / "plan.ics").read_bytes().replace(b"\r\n ", b"").decode("utf-8")
    assert "DTSTART;TZID=Europe/Berlin:" in ics and "TZID:Europe/Berlin" in ics
    assert "TRIGGER:-PT1H30M" in ics and "RRULE:FREQ=YEARLY" in ics
    assert "X-WR-CALNAME:Ana\\; rehab\\, 2026 \\\\ 🏃" in ics
    data = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    assert data["calendar"]["options"] == {"time": "07:00", "tz": "Europe/Berlin",
                                           "reminder": "90m",
                                           "calendar_name": "Ana; rehab, 2026 \\ 🏃"}


def _calendar_records(folder) -> dict[str, dict]:
    data = json.loads((folder / "plan.json").read_text(encoding="utf-8"))["calendar"]
    return {r["uid"]: r for r in data["events"] + data["cancelled"]}


def test_regenerating_reports_what_changed_in_the_calendar(tmp_path, capsys):
    out_dir = tmp_path / "p"
    assert run(capsys, *plan_args(out_dir, "--name", "Ana", grade="3"))[0] == 0
    first = _calendar_records(out_dir)
    code, out, err = run(capsys, *plan_args(out_dir, "--name", "Ana", "--force", grade="2"))
    assert code == 0, err
    second = _calendar_records(out_dir)
    assert set(second) == set(first)  # every UID once, live or cancelled
    data = json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))["calendar"]
    cancelled = [r["uid"] for r in data["cancelled"]]
    unchanged = [u for u in first if second[u] == first[u]]
    raised = [u for u in first if second[u]["sequence"] == 1 and second[u]["last_modified"]]
    assert cancelled and unchanged and len(unchanged) + len(raised) == len(first)
    ics = (out_dir / "plan.ics").read_bytes().decode("utf-8")
    assert ics.count("SEQUENCE:1\r\n") == len(raised) == ics.count("LAST-MODIFIED:")
    assert ics.count("STATUS:CANCELLED\r\n") == len(cancelled)
    assert (f"Calendar: {len(raised) - len(cancelled)} events changed, {len(cancelled)} "
            f"cancelled, {len(unchanged)} unchanged (regenerated over an earlier plan)") in out
    before = {n: (out_dir / n).read_bytes() for n in OUTPUTS}
    code, out, _ = run(capsys, *plan_args(out_dir, "--name", "Ana", "--force", grade="2"))
    assert code == 0 and f"0 events changed, 0 cancelled, {len(first)} unchanged" in out
    assert {n: (out_dir / n).read_bytes() for n in OUTPUTS} == before


def _plan_id(folder):
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))["calendar"]["plan_id"]


@pytest.mark.parametrize("change", [("--name", "Ben"), ("--start", (START + timedelta(days=7)).isoformat()),
                                    ("--site", "fibula")])
def test_a_folder_keeps_its_calendar_when_name_start_or_site_change(tmp_path, capsys, change):
    out_dir = tmp_path / "p"
    assert run(capsys, *plan_args(out_dir, "--name", "Ana"))[0] == 0
    plan_id, before = _plan_id(out_dir), _calendar_records(out_dir)
    option, value = change
    args = plan_args(out_dir, "--name", "Ana", "--force", **{option[2:]: value}) \
        if option != "--name" else plan_args(out_dir, "--name", value, "--force")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "Calendar:" in out
    assert _plan_id(out_dir) == plan_id
    after = _calendar_records(out_dir)
    raw = (out_dir / "plan.ics").read_bytes()
    # Every earlier event is still there, updated or cancelled, and none is written twice.
    assert set(before) <= set(after)
    assert raw.count(b"BEGIN:VEVENT") == len(after) == len(set(after))
    changed = [uid for uid in before if after[uid]["sequence"] > before[uid]["sequence"]]
    # A new name changes no event (their texts do not carry it); a new start or site does.
    assert bool(changed) == (option != "--name")


def test_new_calendar_starts_a_fresh_identity(tmp_path, capsys):
    out_dir = tmp_path / "p"
    assert run(capsys, *plan_args(out_dir, "--name", "Ana"))[0] == 0
    old_id = _plan_id(out_dir)
    code, out, _ = run(capsys, *plan_args(out_dir, "--name", "Ana", "--force", "--new-calendar"))
    assert code == 0 and "Calendar:" not in out
    assert _plan_id(out_dir) != old_id
    assert all(r["sequence"] == 0 and r["last_modified"] is None
               for r in _calendar_records(out_dir).values())
    assert b"CANCELLED" not in (out_dir / "plan.ics").read_bytes()


@pytest.mark.parametrize("content", [b'{"schema": "rtr-planner/pl', b"\xff\xfe", b"[]", b"",
                                     b'{"schema": "rtr-planner/plan/1", "calendar": {"plan_id": 7}}'])
def test_broken_earlier_plan_json_is_refused_and_nothing_changes(tmp_path, capsys, content):
    out_dir = tmp_path / "p"
    assert run(capsys, *plan_args(out_dir))[0] == 0
    (out_dir / "plan.json").write_bytes(content)
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    code, out, err = run(capsys, *plan_args(out_dir, "--force", grade="3"))
    assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: {out_dir / 'plan.json'} cannot be read as an rtr-planner "
                          "plan.json (")
    assert err.rstrip().endswith("move it away or delete it, then run again.")
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before


def test_plan_command_makes_one_call_into_the_seam(tmp_path, capsys, monkeypatch):
    """The CLI only parses options and calls `planner.app.plan_folder` once with what it
    parsed; the call goes through to the real seam, whose files are on disk afterwards."""
    from datetime import time

    from planner import app
    from planner.calendar.options import CalendarOptions

    calls = []
    real = app.plan_folder

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "plan_folder", recording)
    out = tmp_path / "p"
    code, printed, err = run(capsys, *plan_args(
        out, "--name", "  Ana  ", "--rest-day", "sat,sun", "--run-days", "mon,wed,fri",
        "--week-start", "sun", "--cross", "swim,bike", "--bodyweight-support", "--time", "07:15",
        "--tz", "Europe/Berlin", "--reminder", "1h", "--calendar-name", "Ana rehab"))
    assert (code, err) == (0, "")
    ((args, kwargs),) = calls
    assert args == (
        PlanRequest(site="metatarsal", grade=2, start=START, athlete="Ana", rest_days=(5, 6),
                    run_days=(0, 2, 4), week_start=6, cross=("swim", "bike"),
                    bodyweight_support=True),
        out,
        CalendarOptions(time=time(7, 15), tz="Europe/Berlin", reminder=timedelta(hours=1),
                        calendar_name="Ana rehab"),
    )
    on_commit = kwargs.pop("on_commit")  # the CLI's signal handling, see test_interrupts.py
    from planner import cli

    assert on_commit.__self__ is cli._INTERRUPTS and on_commit.__name__ == "written"
    assert kwargs == {"force": False, "fresh": False, "templates": [], "clinic": None,
                      "today": TODAY}
    assert {p.name for p in out.iterdir()} == OUTPUTS and f"Wrote {out}/" in printed


def test_rest_days_that_leave_no_safe_week_name_the_rest_day_option(tmp_path, capsys):
    code, out, err = run(capsys, *plan_args(tmp_path / "p", "--rest-day", "mon,tue,wed"))
    assert (code, out) == (2, "")
    assert err == ("Error: Invalid value for '--rest-day': cannot fit 3 run days with a day "
                   "between each into the days left by rest on mon,tue,wed (thu,fri,sat,sun): "
                   "bone needs a day off between loading days. Rest on days that leave 3 "
                   "weekdays with gaps, e.g. sun or sat,sun.\n")
    assert not (tmp_path / "p").exists()
    # With --run-days given, the same week names --run-days.
    code, _, err = run(capsys, *plan_args(tmp_path / "p", "--rest-day", "mon,tue,wed",
                                          "--run-days", "thu,fri,sat,sun"))
    assert code == 2 and "Invalid value for '--run-days'" in err


@pytest.mark.parametrize("days", [1, 30, 366])
def test_a_start_in_the_past_is_written_with_a_warning(tmp_path, capsys, days):
    start = TODAY - timedelta(days=days)
    code, out, err = run(capsys, *plan_args(tmp_path / "p", start=start.isoformat()))
    assert code == 0 and "Wrote" in out
    assert err == (f"Warning: the plan starts {start:%a %d %b %Y}, {days} day"
                   f"{'' if days == 1 else 's'} ago; the calendar's first days are already over. "
                   "Give today's date with --start for a plan that starts now.\n")
    assert {p.name for p in (tmp_path / "p").iterdir()} == OUTPUTS


def test_a_start_today_has_no_warning(tmp_path, capsys):
    code, _, err = run(capsys, *plan_args(tmp_path / "p", start=TODAY.isoformat()))
    assert (code, err) == (0, "")
