"""The six files are one unit: after any run, interrupted, failing, killed or racing another,
the folder holds the whole earlier set or the whole new one, the run says which, and no
temporary, backup, journal or lock file is left. Every run here is a real `python -m planner`
process; the signals are real and land at moments drawn from a seeded generator."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.files.folder import OUTPUT_NAMES

from .helpers import FULL_PROFILE, profiled

START = (date.today() + timedelta(days=3)).isoformat()
INTERRUPTED = "Error: interrupted; nothing was written, any earlier plan files are unchanged."
BUSY = "another rtr run is writing to"
STARTING = "Error: interrupted while starting; nothing was written."
# (athlete, grade) of the earlier plan and of the two kinds of new one: the same athlete's plan
# updated (its calendar revised, LAST-MODIFIED from the clock), and another athlete's over it.
EARLIER, UPDATE, OTHER = ("Ana", "2"), ("Ana", "3"), ("Ben", "4")


def plan_argv(out: Path, who: tuple[str, str], *extra: str) -> list[str]:
    """`python -m planner plan` for athlete `who` into `out`."""
    name, grade = who
    return [sys.executable, "-m", "planner", "plan", "--site", "metatarsal", "--grade", grade,
            "--start", START, "--name", name, "--out", str(out), *extra]


def rtr(out: Path, who: tuple[str, str], *extra: str) -> subprocess.CompletedProcess:
    """One whole run."""
    return subprocess.run(plan_argv(out, who, *extra), capture_output=True, text=True)


_CLOCK = re.compile(rb'LAST-MODIFIED:\d{8}T\d{6}Z|"last_modified": "[0-9T:Z-]+"')


def file_set(folder: Path) -> dict[str, bytes]:
    """Every entry in `folder` with its bytes, the clock's LAST-MODIFIED stamps blanked (a
    regeneration stamps changed events with the time it ran); folders and others marked."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink():
            found[path.name] = _CLOCK.sub(b"<clock>", path.read_bytes())
        else:
            found[path.name] = b"<not a file>"
    return found


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, object]:
    """The earlier folder and the bytes of a clean run of each new plan over a copy of it."""
    root = tmp_path_factory.mktemp("sets")
    earlier = root / "earlier"
    assert rtr(earlier, EARLIER).returncode == 0
    found: dict[str, object] = {"earlier_dir": earlier, "earlier": file_set(earlier)}
    for key, who in (("update", UPDATE), ("other", OTHER)):
        shutil.copytree(earlier, root / key)
        assert rtr(root / key, who, "--force").returncode == 0
        found[key] = file_set(root / key)
    assert found["earlier"] != found["update"] != found["other"]
    assert sorted(found["earlier"]) == sorted(OUTPUT_NAMES)
    return found


# --- signals at random moments ---------------------------------------------------------------

SWEEP_SEED = 20261204
SWEEP = list(range(260))  # 208 SIGINT/SIGTERM runs (104 each) and 52 SIGHUP in the full profile
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# When to signal: a moment anywhere in the run, or a moment just after the run was seen to take
# the folder's lock (it is rendering), or just after its first staged file appeared (writing).
TRIGGERS = ("moment", "moment", "locked", "staging")


def sweep_case(index: int) -> tuple[int, str, str, float]:
    """The signal, new plan, trigger and delay (as a share of a run) of one sweep run."""
    rng = random.Random(SWEEP_SEED + index)
    trigger = TRIGGERS[index % len(TRIGGERS)]
    share = rng.uniform(0, 1.1) if trigger == "moment" else rng.uniform(0, 0.02)
    return SIGNALS[index % len(SIGNALS)], ("update", "other")[index // 5 % 2], trigger, share


def test_the_sweep_sends_over_200_sigint_and_sigterm_and_the_quick_part_every_kind():
    full = [sweep_case(i) for i in SWEEP]
    assert sum(case[0] in (signal.SIGINT, signal.SIGTERM) for case in full) >= 200
    quick = [sweep_case(i) for i in profiled(SWEEP, SWEEP[:26])]
    assert len(quick) == (len(SWEEP) if FULL_PROFILE else 26)
    for part in (full, quick):
        assert {c[0] for c in part} == set(SIGNALS) and {c[2] for c in part} == set(TRIGGERS)
        assert {c[1] for c in part} == {"update", "other"}


def _seen(folder: Path, trigger: str) -> bool:
    """Whether the run has reached the point `trigger` waits for."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return False
    if trigger == "locked":
        return ".rtr-lock" in names
    return any(name.endswith(".tmp") for name in names)


def _signalled_run(folder: Path, who: tuple[str, str], signum: int, trigger: str,
                   delay: float) -> tuple[subprocess.Popen, str, str, bool]:
    """Start a --force run over `folder`, signal it when `trigger` says, and wait for it;
    the process, its output and whether the signal was sent before it ended."""
    process = subprocess.Popen(plan_argv(folder, who, "--force"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    if trigger != "moment":
        while process.poll() is None and not _seen(folder, trigger):
            time.sleep(0.0002)
    time.sleep(delay)
    sent = process.poll() is None
    if sent:
        process.send_signal(signum)
    out, err = process.communicate()
    return process, out, err, sent


def _check_outcome(got: dict, sets: dict, new: str, process, out: str, err: str,
                   folder: Path, signum: int) -> str:
    """Assert the folder is one whole set and the run said which; return which."""
    assert sorted(got) == sorted(OUTPUT_NAMES), f"left behind: {sorted(got)}"
    died = process.returncode == -signum
    if got == sets[new]:
        # Finished: the summary, and exit 0 (or the signal itself, had it come only as the
        # interpreter was shutting down, after the summary).
        assert f"Wrote {folder}/: " in out and err == "", (process.returncode, out, err)
        assert process.returncode == 0 or died
        return "new"
    assert got == sets["earlier"], "the folder holds neither the earlier nor the new set"
    assert out == "", out
    if err.strip() == STARTING:  # caught while the command was still loading (exit 130)
        assert process.returncode == 130, (process.returncode, err)
        return "earlier, said so while starting"
    if any(line.startswith("Error:") for line in err.splitlines()):
        assert process.returncode == 1 and err.strip() == INTERRUPTED, err
        return "earlier, said so"
    # The signal came before `main` had set its handlers, while Python was still starting
    # (the section 5 is about what it prints then): nothing had been touched, and the
    # process ended by the signal, or with exit 1 and Python's own KeyboardInterrupt report if
    # it was still importing `site` or `runpy`.
    cut_short = process.returncode == 1 and err.rstrip().endswith("KeyboardInterrupt")
    assert died or cut_short, (process.returncode, err)
    return "earlier, died starting"


def test_signals_at_random_moments_leave_one_whole_set_and_say_which(sets, tmp_path):
    cases = [(i, *sweep_case(i)) for i in profiled(SWEEP, SWEEP[:26])]
    clean = time.monotonic()
    rtr(tmp_path / "timing", EARLIER)  # how long a run takes here, to spread the moments
    run_time = time.monotonic() - clean
    tally: dict[str, int] = {}
    lock = threading.Lock()

    def one(case):
        index, signum, new, trigger, share = case
        folder = tmp_path / f"run-{index}"
        shutil.copytree(sets["earlier_dir"], folder)
        who = UPDATE if new == "update" else OTHER
        process, out, err, sent = _signalled_run(folder, who, signum, trigger, share * run_time)
        outcome = _check_outcome(file_set(folder), sets, new, process, out, err, folder, signum)
        if trigger == "staging" and sent and process.returncode is not None:
            # Once the first file is staged, the signals are held until the set is in place.
            assert outcome == "new", (index, outcome)
        with lock:
            key = f"{trigger}: {outcome}" + ("" if sent else " (ended before the signal)")
            tally[key] = tally.get(key, 0) + 1
        shutil.rmtree(folder)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, cases))
    print(f"\n{len(cases)} signalled runs: {dict(sorted(tally.items()))}")
    assert sum(tally.values()) == len(cases)


# --- something in the way of one of the six names ------------------------------------------

def _in_the_way(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "folder":
        path.mkdir()
        (path / "keep.txt").write_text("mine", encoding="utf-8")
    elif kind == "link":
        path.symlink_to(path.parent / "elsewhere.txt")
    else:
        os.mkfifo(path)


WAY = [(name, "folder") for name in OUTPUT_NAMES] + [("plan.ics", "link"), ("plan.csv", "fifo")]


@pytest.mark.parametrize("name,kind", WAY, ids=[f"{k}-{n}" for n, k in WAY])
def test_a_folder_link_or_fifo_in_the_way_of_any_file_changes_nothing_and_is_named(
        sets, tmp_path, name, kind):
    folder = tmp_path / "plan"
    shutil.copytree(sets["earlier_dir"], folder)
    (tmp_path / "elsewhere.txt").write_text("not a plan", encoding="utf-8")
    _in_the_way(folder / name, kind)
    before = {**file_set(folder), "keep": sorted(os.listdir(folder))}
    result = rtr(folder, UPDATE, "--force")
    what = {"folder": "a folder", "link": "a symbolic link", "fifo": "a special file"}[kind]
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"Error: cannot write {folder / name}: it is {what}, not a plan "
                             "file; move it away and run again (nothing was written).\n")
    assert {**file_set(folder), "keep": sorted(os.listdir(folder))} == before
    if kind == "folder":
        assert (folder / name / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "elsewhere.txt").read_text(encoding="utf-8") == "not a plan"


# --- concurrent runs ----------------------------------------------------------------------

RACES = list(range(24))


def _race(folder: Path, force: bool) -> list[tuple[tuple[str, str], subprocess.CompletedProcess]]:
    """Start an Ana and a Ben run on `folder` at the same moment; both results."""
    extra = ("--force",) if force else ()
    runs = [(who, subprocess.Popen(plan_argv(folder, who, *extra), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True))
            for who in (UPDATE, OTHER)]
    done = []
    for who, process in runs:
        out, err = process.communicate()
        done.append((who, subprocess.CompletedProcess([], process.returncode, out, err)))
    return done


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_two_runs_at_once_on_one_folder_end_with_one_whole_set(sets, tmp_path, force):
    tally: dict[str, int] = {}
    replays: dict[tuple, dict[str, bytes]] = {}
    for index in profiled(RACES, RACES[:3]):
        folder = tmp_path / f"race-{index}"
        if force:
            shutil.copytree(sets["earlier_dir"], folder)
        results = _race(folder, force)
        won = [who for who, result in results if result.returncode == 0]
        for who, result in results:
            if result.returncode != 0:
                assert result.returncode == 1 and result.stdout == ""
                refused = (BUSY, "already exists and is not empty; use --force")
                assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
                assert any(words in result.stderr for words in refused[:1 if force else 2])
        assert won, [r.stderr for _, r in results]
        if not force:  # only the first may write a new folder; the second is refused either way
            assert len(won) == 1
        # The folder is what the runs that wrote make one after the other, in some order.
        got = file_set(folder)
        orders = [tuple(won)] if len(won) == 1 else [tuple(won), tuple(won[::-1])]
        if not force:
            # A new folder's calendar identity comes from its path: replay in the same one.
            folder.rename(tmp_path / f"race-{index}-got")
            assert got == _replayed(sets, folder, won, force)
        else:
            for order in orders:
                if order not in replays:
                    replays[order] = _replayed(sets, tmp_path / f"replay-{len(replays)}", order,
                                               force)
            assert got in [replays[order] for order in orders]
        tally[f"{len(won)} wrote"] = tally.get(f"{len(won)} wrote", 0) + 1
    print(f"\nraces ({'--force' if force else 'plain'}): {tally}")


def _replayed(sets: dict, folder: Path, won: list, force: bool) -> dict[str, bytes]:
    """The set the runs in `won` make when run one after another in that order."""
    if force:
        shutil.copytree(sets["earlier_dir"], folder)
    for who in won:
        assert rtr(folder, who, "--force").returncode == 0
    return file_set(folder)


def test_a_run_on_a_folder_another_run_holds_is_refused_and_changes_nothing(sets, tmp_path):
    from planner.files.lock import folder_lock

    used, new = tmp_path / "used", tmp_path / "new"
    shutil.copytree(sets["earlier_dir"], used)
    with folder_lock(used), folder_lock(new):
        assert (used / ".rtr-lock").is_file() and os.listdir(new) == [".rtr-lock"]
        results = [(used, rtr(used, UPDATE, "--force")), (new, rtr(new, OTHER))]
    for folder, result in results:
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (f"Error: {BUSY} {folder}; wait for it to finish, then run "
                                 "again.\n")
    # The lock file went with the lock, and the folder the lock had made with it.
    assert file_set(used) == sets["earlier"] and not new.exists()


def test_the_lock_file_is_never_left_and_a_stale_one_does_not_count(sets, tmp_path):
    # Each folder is compared with a clean run made at the same path (a new folder's calendar
    # identity comes from its path).
    fresh = tmp_path / "fresh"
    assert rtr(fresh, OTHER).returncode == 0
    made = file_set(fresh)
    assert sorted(made) == sorted(OUTPUT_NAMES)
    stale = tmp_path / "stale"
    assert rtr(stale, OTHER).returncode == 0
    clean = file_set(stale)
    shutil.rmtree(stale)
    stale.mkdir()
    (stale / ".rtr-lock").write_bytes(b"")  # a run killed on a system without flock's cleanup
    result = rtr(stale, OTHER)
    assert result.returncode == 0, result.stderr
    assert file_set(stale) == clean


# --- a run killed mid-write, and the next run --------------------------------------------

KILLER = '''
import os, signal, sys
from planner.files import commit
point, count = sys.argv[1], int(sys.argv[2])
calls = {"n": 0}

def die_after(real, counts):
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if counts(*args):
            calls["n"] += 1
            if calls["n"] == count:
                os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper

plan_name = lambda path: os.path.basename(str(path)) in commit.__dict__["_FILES_SET"]
if point == "stage":
    commit._stage = die_after(commit._stage, lambda *a: True)
elif point == "link":
    os.link = die_after(os.link, lambda *a: True)
elif point == "journal":
    commit._write_journal = die_after(commit._write_journal, lambda *a: True)
elif point == "rename":
    os.replace = die_after(os.replace, lambda src, dst: plan_name(dst))
elif point == "forget":
    commit.fsync_dir = die_after(commit.fsync_dir, lambda *a: not (a[0] / ".rtr-commit").exists())
from planner.cli import main
sys.argv = ["rtr", *sys.argv[3:]]
main()
'''
KILLS = [("stage", 1), ("stage", 4), ("link", 2), ("journal", 1), ("rename", 1), ("rename", 3),
         ("rename", 5), ("rename", 6), ("forget", 1)]


@pytest.mark.parametrize("point,count", profiled(KILLS, [("stage", 4), ("rename", 3),
                                                          ("forget", 1)]))
def test_a_run_killed_mid_write_is_put_right_by_the_next_run(sets, tmp_path, point, count):
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER.replace('commit.__dict__["_FILES_SET"]', repr(OUTPUT_NAMES)),
                      encoding="utf-8")
    folder = tmp_path / "plan"
    shutil.copytree(sets["earlier_dir"], folder)
    argv = plan_argv(folder, OTHER, "--force")
    killed = subprocess.run([sys.executable, str(killer), point, str(count), *argv[3:]],
                            capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert any(name.startswith(".") for name in os.listdir(folder))  # it did die mid-write
    # The next run, even one that is refused (no --force), first puts the folder right.
    after = rtr(folder, UPDATE)
    assert after.returncode == 1 and "already exists and is not empty" in after.stderr
    expected = "other" if point == "forget" else "earlier"  # past the commit point: the new set
    assert file_set(folder) == sets[expected]
    # And a --force run from there writes its new set whole.
    assert rtr(folder, OTHER, "--force").returncode == 0
    assert sorted(file_set(folder)) == sorted(OUTPUT_NAMES)


# --- a write that fails part-way -----------------------------------------------------------

@pytest.mark.parametrize("failing", [1, 4, 6])
def test_a_rename_that_fails_part_way_puts_the_earlier_set_back_and_names_the_file(
        sets, tmp_path, capsys, monkeypatch, failing):
    """The disk fails on the n-th rename into place (simulated: a real failure there cannot be
    provoked once the targets are checked): the files already renamed are put back."""
    from .helpers import run_rtr

    folder = tmp_path / "plan"
    shutil.copytree(sets["earlier_dir"], folder)
    real, renamed = os.replace, []

    def replace(src, dst):
        if Path(dst).name in OUTPUT_NAMES and Path(dst).parent == folder:
            renamed.append(Path(dst).name)
            if len(renamed) == failing:
                raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    argv = plan_argv(folder, OTHER, "--force")[3:]
    code, out, err = run_rtr(capsys, *argv)
    name = OUTPUT_NAMES[failing - 1]
    assert (code, out) == (1, "")
    assert err == (f"Error: cannot write {folder / name}: No space left on device; the earlier "
                   "plan files are unchanged.\n")
    assert file_set(folder) == sets["earlier"]


class _Trips:
    """A descriptor whose `__set_name__` is interrupted, as a signal during an import can be."""

    def __set_name__(self, owner, name):
        from planner.interrupts import Interrupted

        raise Interrupted


@pytest.mark.parametrize("where", ["class body", "library error"])
def test_an_interrupt_that_python_or_a_library_wraps_is_still_reported_as_one(
        tmp_path, capsys, monkeypatch, where):
    """Python 3.11 wraps an interrupt raised while a class is created in a RuntimeError (seen
    in the sweep: a signal while planner.calendar.history was being imported printed a
    traceback); a library may catch it and raise its own error. Both are the interrupt."""
    from planner import app
    from planner.errors import TemplateProblem

    from .helpers import run_rtr

    def interrupted(*args, **kwargs):
        try:
            type("Owner", (), {"attr": _Trips()})
        except Exception as exc:  # RuntimeError on 3.11
            if where == "library error":
                raise TemplateProblem("guide.md.j2", "cannot render") from exc
            raise
        except KeyboardInterrupt:  # Python 3.12 and later no longer wrap it
            if where == "library error":
                raise TemplateProblem("guide.md.j2", "cannot render") from None
            raise

    monkeypatch.setattr(app, "plan_folder", interrupted)
    code, out, err = run_rtr(capsys, *plan_argv(tmp_path / "plan", OTHER)[3:])
    assert (code, out, err.strip()) == (1, "", INTERRUPTED)
    assert not (tmp_path / "plan").exists()


def test_an_interrupt_inside_a_callback_python_cannot_raise_from_still_stops_the_run(
        sets, tmp_path, capsys, monkeypatch):
    """A signal whose handler runs inside a weakref callback (the import machinery has them)
    raises where Python can only print the error and go on; the sweep once saw a run finish
    with an 'Exception ignored' report. The run is stopped instead, with the usual line."""
    import weakref

    from planner import app

    from .helpers import run_rtr

    real, reached = app.render_outputs, []

    class Thing:
        pass

    def render_after_a_callback(*args, **kwargs):
        def callback(_ref):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs here, inside the callback
                pass

        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing  # the callback runs now
        reached.append(ref)
        time.sleep(5)  # the signal sent again ends this at once, outside the callback
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "render_outputs", render_after_a_callback)
    folder = tmp_path / "plan"
    shutil.copytree(sets["earlier_dir"], folder)
    code, out, err = run_rtr(capsys, *plan_argv(folder, OTHER, "--force")[3:])
    assert reached and (code, out, err.strip()) == (1, "", INTERRUPTED)
    assert file_set(folder) == sets["earlier"]
