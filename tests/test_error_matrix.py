"""Every way a user can get an option wrong: one clear line, the documented exit code, no
traceback, and nothing created or changed on disk."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest


from .helpers import run_rtr

TODAY = date.today()
GOOD = (TODAY + timedelta(days=2)).isoformat()
BASE = ["plan", "--site", "metatarsal", "--grade", "2", "--start", GOOD]


def replace(args: list[str], option: str, value: str) -> list[str]:
    """BASE with one option's value swapped."""
    out = list(args)
    out[out.index(option) + 1] = value
    return out


# (id, argv, exit code, words the one-line message must contain)
MATRIX = [
    ("site-unknown", replace(BASE, "--site", "knee"), 2, "unknown site 'knee'"),
    ("site-misspelt", replace(BASE, "--site", "metatarsl"), 2, "Did you mean metatarsal"),
    ("site-empty", replace(BASE, "--site", ""), 2, "unknown site ''"),
    ("site-spaces", replace(BASE, "--site", "   "), 2, "unknown site"),
    ("site-path", replace(BASE, "--site", "../etc/passwd"), 2, "unknown site"),
    ("grade-0", replace(BASE, "--grade", "0"), 2, "use 1, 2, 3 or 4"),
    ("grade-5", replace(BASE, "--grade", "5"), 2, "use 1, 2, 3 or 4"),
    ("grade-2.5", replace(BASE, "--grade", "2.5"), 2, "'2.5' is not an MRI grade"),
    ("grade-two", replace(BASE, "--grade", "two"), 2, "'two' is not an MRI grade"),
    ("grade-negative", replace(BASE, "--grade", "-1"), 2, "'-1' is not an MRI grade"),
    ("grade-empty", replace(BASE, "--grade", ""), 2, "is not an MRI grade"),
    ("date-empty", replace(BASE, "--start", ""), 2, "the date is empty"),
    ("date-ambiguous", replace(BASE, "--start", "03/04/2026"), 2, "ambiguous"),
    ("date-ambiguous-dots", replace(BASE, "--start", "04.05.2026"), 2, "ambiguous"),
    ("date-feb-30", replace(BASE, "--start", "2026-02-30"), 2, "not a valid date"),
    ("date-month-13", replace(BASE, "--start", "2026-13-01"), 2, "not a valid date"),
    ("date-words", replace(BASE, "--start", "next tuesday-ish"), 2, "not a valid date"),
    ("date-no-year", replace(BASE, "--start", "4 March"), 2, "not a full date"),
    ("date-far-past", replace(BASE, "--start", "1999-01-01"), 2, "more than a year from today"),
    ("date-far-future", replace(BASE, "--start", "2199-01-01"), 2, "more than a year from today"),
    ("date-year-0", replace(BASE, "--start", "0000-01-01"), 2, "not a valid date"),
    ("rest-day-bad", [*BASE, "--rest-day", "funday"], 2, "'funday' is not a weekday"),
    ("rest-day-empty", [*BASE, "--rest-day", ""], 2, "is not a weekday"),
    ("rest-day-too-many", [*BASE, "--rest-day", "sat,sun,mon,tue"], 2, "at most 3 rest days"),
    ("run-days-adjacent", [*BASE, "--run-days", "mon,tue"], 2, "cannot fit 3 run days"),
    ("run-days-wrap", [*BASE, "--run-days", "sun,mon,wed"], 2, "cannot fit 3 run days"),
    ("run-days-all-rest", [*BASE, "--run-days", "sun", "--rest-day", "sun"], 2, "cannot fit 3 run days"),
    ("run-days-bad", [*BASE, "--run-days", "mon,wed,fry"], 2, "'fry' is not a weekday"),
    ("cross-unknown", [*BASE, "--cross", "hiking"], 2, "unknown cross-training 'hiking'"),
    ("week-start-bad", [*BASE, "--week-start", "wed"], 2, "'wed' is not one of"),
    ("name-empty", [*BASE, "--name", ""], 2, "the name is empty"),
    ("name-blank", [*BASE, "--name", " \t "], 2, "the name is empty"),
    ("missing-site", ["plan", "--grade", "2", "--start", GOOD], 2, "Missing option '--site'"),
    ("missing-grade", ["plan", "--site", "fibula", "--start", GOOD], 2, "Missing option '--grade'"),
    ("missing-start", ["plan", "--site", "fibula", "--grade", "2"], 2, "Missing option '--start'"),
    ("option-unknown", [*BASE, "--colour", "red"], 2, "No such option '--colour'"),
    ("option-no-value", [*BASE, "--name"], 2, "'--name' requires an argument"),
    ("extra-argument", [*BASE, "surplus"], 2, "unexpected extra argument (surplus)"),
    ("command-unknown", ["plna"], 2, "No such command 'plna'"),
    ("sites-extra", ["sites", "tibia"], 2, "unexpected extra argument (tibia)"),
    ("time-words", [*BASE, "--time", "7am", "--tz", "UTC"], 2, "'7am' is not a time of day"),
    ("time-25h", [*BASE, "--time", "25:00", "--tz", "UTC"], 2, "'25:00' is not a time of day"),
    ("time-without-tz", [*BASE, "--time", "07:00"], 2, "needs a time zone: add --tz"),
    ("tz-without-time", [*BASE, "--tz", "Europe/Berlin"], 2, "needs a start time: add --time"),
    ("tz-unknown", [*BASE, "--time", "07:00", "--tz", "Mars/Olympus"], 2, "unknown time zone 'Mars/Olympus'"),
    ("tz-misspelt", [*BASE, "--time", "07:00", "--tz", "Europe/Berlinn"], 2, "Did you mean Europe/Berlin"),
    ("reminder-words", [*BASE, "--reminder", "soon"], 2, "'soon' is not a reminder"),
    ("reminder-zero", [*BASE, "--reminder", "0m"], 2, "is not a reminder"),
    ("calendar-name-blank", [*BASE, "--calendar-name", "  "], 2, "the calendar name is empty"),
    ("name-control-char", [*BASE, "--name", "Bell\x07"], 2, "control character U+0007"),
    ("cleared-by-control-char", [*BASE, "--cleared-by", "Dr\x1bX"], 2, "control character U+001B"),
    ("calendar-name-control-char", [*BASE, "--calendar-name", "Plan\x00"], 2, "control character U+0000"),
    ("referral-fn-tension", replace(BASE, "--site", "femoral-neck-tension"), 1, "surgeon"),
    ("referral-navicular-4", replace(replace(BASE, "--site", "navicular"), "--grade", "4"), 1, "--cleared-by"),
    ("referral-jones-4", replace(replace(BASE, "--site", "jones"), "--grade", "4"), 1, "surgeon"),
]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes, and every folder."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        found[rel] = path.read_bytes() if path.is_file() else b"<dir>"
    return found


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    """Run `rtr` with `argv` in-process."""
    return run_rtr(capsys, *argv)


def assert_one_clean_line(code: int, err: str, expected_code: int, words: str) -> None:
    assert code == expected_code, err
    assert err.startswith("Error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert words in err, err
    assert "Traceback" not in err


def test_the_matrix_is_big_enough():
    assert len(MATRIX) >= 40
    assert len({case[0] for case in MATRIX}) == len(MATRIX)


@pytest.mark.parametrize("case_id,argv,code,words", MATRIX, ids=[c[0] for c in MATRIX])
def test_bad_input_gives_one_line_and_changes_nothing(tmp_path, capsys, monkeypatch,
                                                       case_id, argv, code, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.txt").write_text("keep", encoding="utf-8")
    before = snapshot(tmp_path)
    got, out, err = run(capsys, argv)
    assert_one_clean_line(got, err, code, words)
    assert out == ""
    assert snapshot(tmp_path) == before


@pytest.fixture
def earlier_plan(tmp_path, capsys):
    """A folder holding a plan written by a successful run."""
    out_dir = tmp_path / "plan"
    assert run(capsys, [*BASE, "--out", str(out_dir)])[0] == 0
    return out_dir


def test_existing_folder_without_force_is_refused(tmp_path, capsys, earlier_plan):
    before = snapshot(tmp_path)
    code, _, err = run(capsys, [*replace(BASE, "--grade", "3"), "--out", str(earlier_plan)])
    assert_one_clean_line(code, err, 1, "already exists and is not empty; use --force")
    assert snapshot(tmp_path) == before


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run(capsys, [*BASE, "--out", str(target)])
    assert_one_clean_line(code, err, 1, "is a file, not a folder")
    assert snapshot(tmp_path) == before


def test_output_path_under_a_file_is_an_io_error(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run(capsys, [*BASE, "--out", str(tmp_path / "a-file" / "sub")])
    assert_one_clean_line(code, err, 1, "cannot write to")
    assert snapshot(tmp_path) == before


def test_a_crash_while_writing_leaves_no_partial_files(tmp_path, capsys, monkeypatch):
    """Simulate the disk failing on the third file: nothing of the new plan is left behind."""
    from planner.files import commit as outputs

    real = outputs._stage
    calls = []

    def failing(out_dir, name, data):
        calls.append(name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(out_dir, name, data)

    monkeypatch.setattr(outputs, "_stage", failing)
    code, _, err = run(capsys, [*BASE, "--out", str(tmp_path / "plan")])
    assert_one_clean_line(code, err, 1, "No space left on device")
    assert f"cannot write {tmp_path / 'plan' / 'guide.html'}: No space" in err
    assert list(tmp_path.iterdir()) == []


def test_interrupt_while_writing_keeps_the_previous_plan_whole(tmp_path, capsys, monkeypatch,
                                                               earlier_plan):
    from planner.files import commit as outputs

    before = snapshot(tmp_path)
    real = outputs._stage

    def interrupted(out_dir, name, data):
        if name == "guide.html":
            raise KeyboardInterrupt
        return real(out_dir, name, data)

    monkeypatch.setattr(outputs, "_stage", interrupted)
    code, _, err = run(capsys, [*replace(BASE, "--grade", "3"), "--out", str(earlier_plan), "--force"])
    assert code == 1 and err.strip() == ("Error: interrupted; nothing was written, any earlier "
                                         "plan files are unchanged.")
    assert snapshot(tmp_path) == before


def test_no_traceback_from_the_installed_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "planner", *replace(BASE, "--grade", "x")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("name,folder", [
    ("../../etc/passwd", "etc-passwd"),
    (".hidden", "hidden"),
    ("CON", "con"),
    ("🏃🏃", "runner"),
    ("سارة", "runner"),
    ("Zoë O'Brien-Smith", "zoe-o-brien-smith"),
    ("x" * 1000, "x" * 40),
    ("<script>alert(1)</script>", "script-alert-1-script"),
])
def test_default_folder_names_are_safe_and_readable(tmp_path, capsys, monkeypatch, name, folder):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, [*BASE, "--name", name])[0] == 0
    expected = f"{folder}-metatarsal-{GOOD}"
    assert [p.name for p in tmp_path.iterdir()] == [expected]
    assert not expected.startswith(".") and "/" not in expected
