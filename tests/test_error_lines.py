"""One clean line for every failure (issue 11, section 5), each case a real `python -m planner`
subprocess: the bytes of the command line, the environment, pipes, devices and permissions are
the operating system's own, not a simulation.

Every case in `MATRIX` must end with exactly one ``Error:`` line on stderr, the documented exit
code (2 usage, 1 refusal or I/O), nothing on stdout, no traceback, and the folder it ran in
exactly as it was (a plan folder regenerated with --force keeps its earlier files byte for
byte). The tests after the matrix pin the documented exceptions: printing under an encoding
that lacks "–" succeeds, a full stdout is exit 1 after the files were written, Ctrl-C while
starting is exit 130.

Permission cases need mode bits to apply: root ignores them (it reads a 0000 file and writes
into a 0555 folder) through two capabilities, so as root those cases run with
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from the bounding set (Linux prctl), which
makes root an ordinary owner for permission checks; otherwise they run as the current user.

The subprocess timeout only stops a test that would hang (a FIFO read today waits forever); no
test depends on how long anything takes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pytest

from .helpers import profiled

START = (date.today() + timedelta(days=2)).isoformat()
BASE = ["plan", "--site", "metatarsal", "--grade", "2", "--start", START]
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
HANG_GUARD = 120  # seconds; only ends a run that would otherwise never end


def rtr(args: list, cwd: Path, env: dict[str, str] | None = None, user: bool = False,
        code: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m planner ARGS`` (or `code` with ``python -c``) in `cwd`; str or bytes
    arguments (bytes reach the program exactly as a shell would pass them)."""
    environ = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    environ.update(RTR_NO_CACHE="1", **(env or {}))
    extra = {"preexec_fn": _obey_mode_bits} if user and AS_ROOT else {}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "planner"]
    return subprocess.run([*command, *args], cwd=cwd, env=environ, capture_output=True,
                          timeout=HANG_GUARD, stdin=subprocess.DEVNULL, **extra)


def _obey_mode_bits() -> None:
    """In the child before exec: drop root's two permission-bypassing capabilities."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def snapshot(root: Path) -> dict[str, object]:
    """Every path under `root`: a file's bytes, a link's target, else its kind and mode
    (never reads a FIFO or device)."""
    found: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode) and st.st_mode & 0o400:
                found[rel] = ("file", st.st_mode & 0o777, path.read_bytes())
            else:
                found[rel] = ("other", stat.S_IFMT(st.st_mode), st.st_mode & 0o777)
    return found


def assert_one_error_line(result: subprocess.CompletedProcess, code: int, words: str) -> str:
    """Exactly one ``Error:`` line naming `words`, exit `code`, empty stdout, no traceback."""
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, err
    assert err.startswith("Error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert words in err, err
    assert "Traceback" not in err and result.stdout == b"", (err, result.stdout)
    return err


# ---------------------------------------------------------------------------------------------
# Set-ups: each makes what its case needs inside the folder the case runs in.

def fifo(name: str) -> Callable[[Path], None]:
    """A named pipe at `name` (its folders made first)."""
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)
    return make


def link(name: str, target: str) -> Callable[[Path], None]:
    """A symbolic link `name` -> `target`."""
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)
    return make


def file(name: str, data: bytes | str, mode: int | None = None) -> Callable[[Path], None]:
    """A file `name` holding `data`, with `mode` if given."""
    def make(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        if mode is not None:
            path.chmod(mode)
    return make


def folder(name: str, mode: int) -> Callable[[Path], None]:
    """A folder `name` with `mode` (applied last, so it can hold files first)."""
    def make(root: Path) -> None:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name).chmod(mode)
    return make


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    """Run set-ups in order."""
    def make(root: Path) -> None:
        for step in steps:
            step(root)
    return make


_EARLIER: list[Path] = []


def earlier_plan(edit: Callable[[dict], None] | None = None) -> Callable[[Path], None]:
    """A folder ``prev`` holding a plan written by a real run, its plan.json then edited."""
    def make(root: Path) -> None:
        shutil.copytree(_EARLIER[0], root / "prev")
        if edit is not None:
            path = root / "prev" / "plan.json"
            document = json.loads(path.read_text(encoding="utf-8"))
            edit(document["calendar"])
            path.write_text(json.dumps(document), encoding="utf-8")
    return make


def max_sequence(calendar: dict) -> None:
    """Every event at SEQUENCE 2147483647, the largest 32-bit value, so raising one overflows."""
    for event in calendar["events"]:
        event["sequence"] = 2**31 - 1


def cancelled_at_the_end_of_time(calendar: dict) -> None:
    """A cancelled event dated 9999-12-31 with the UID this plan would give that day."""
    from planner.calendar.uids import day_uid

    record = dict(calendar["events"][0], date="9999-12-31",
                  uid=day_uid(calendar["plan_id"], date(9999, 12, 31)))
    calendar["cancelled"].append(record)


def replace_plan_json(make: Callable[[Path], None]) -> Callable[[Path], None]:
    """The earlier plan with its plan.json swapped for whatever `make` puts there."""
    def setup(root: Path) -> None:
        earlier_plan()(root)
        (root / "prev" / "plan.json").unlink()
        make(root)
    return setup


def nested_toml(depth: int) -> bytes:
    """A clinic file whose one value is `depth` nested arrays."""
    return b'name = "X"\ncontact = ' + b"[" * depth + b"]" * depth + b"\n"


# ---------------------------------------------------------------------------------------------

@dataclass
class Case:
    """One failure: set-up, arguments and environment, and the line and exit code it must give."""

    id: str
    args: list
    code: int
    words: str
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    user: bool = False  # needs mode bits to apply (see the module docstring)


FORCE_PREV = [*BASE, "--grade", "3", "--out", "prev", "--force"]
TEMPLATES = [*BASE, "--templates", "tpl", "--out", "out"]
CLINIC = [*BASE, "--clinic", "clinic.toml", "--out", "out"]
NOT_UTF8 = "is not valid UTF-8 text"

MATRIX = [
    # Invalid UTF-8 in any text option (a shell passes these bytes as they are).
    Case("name-not-utf8", [*BASE, "--name", b"\xff"], 2, f"the value of --name ('\ufffd') {NOT_UTF8}"),
    Case("name-half-utf8", [*BASE, "--name", b"Zo\xc3"], 2, f"the value of --name ('Zo\ufffd') {NOT_UTF8}"),
    Case("name-equals-not-utf8", [*BASE, b"--name=\xff"], 2, f"the value of --name ('--name=\ufffd') {NOT_UTF8}"),
    Case("cleared-by-not-utf8", [*BASE, "--cleared-by", b"Dr \xe9"], 2, f"the value of --cleared-by ('Dr \ufffd') {NOT_UTF8}"),
    Case("calendar-name-not-utf8", [*BASE, "--calendar-name", b"\xff"], 2, f"the value of --calendar-name ('\ufffd') {NOT_UTF8}"),
    Case("out-not-utf8", [*BASE, "--out", b"plan-\xff"], 2, f"the value of --out ('plan-\ufffd') {NOT_UTF8}"),
    Case("site-not-utf8", ["plan", "--site", b"\xfe", "--grade", "2", "--start", START], 2, f"the value of --site ('\ufffd') {NOT_UTF8}"),
    Case("templates-dir-not-utf8", [*BASE, "--templates", b"t\xff"], 2, f"the value of --templates ('t\ufffd') {NOT_UTF8}"),
    Case("copy-dir-not-utf8", ["templates", "copy", b"t\xff"], 2, f"argument 3 ('t\ufffd') {NOT_UTF8}"),
    # SOURCE_DATE_EPOCH that int() or datetime refuses, or that is no number at all.
    Case("epoch-year-10000", BASE, 2, "SOURCE_DATE_EPOCH: '253402300800' is not a whole number",
         env={"SOURCE_DATE_EPOCH": "253402300800"}),
    Case("epoch-superscript-two", BASE, 2, "SOURCE_DATE_EPOCH: '²' is not a whole number",
         env={"SOURCE_DATE_EPOCH": "²"}),
    Case("epoch-arabic-indic-digits", BASE, 2, "SOURCE_DATE_EPOCH: '١٧٠٠' is not",
         env={"SOURCE_DATE_EPOCH": "١٧٠٠"}),
    Case("epoch-words", BASE, 2, "SOURCE_DATE_EPOCH: 'yesterday' is not", env={"SOURCE_DATE_EPOCH": "yesterday"}),
    Case("epoch-negative", BASE, 2, "SOURCE_DATE_EPOCH: '-1' is not", env={"SOURCE_DATE_EPOCH": "-1"}),
    # --out that cannot be used.
    Case("out-empty", [*BASE, "--out", ""], 2, "Invalid value for '--out': the path is empty"),
    Case("out-blank", [*BASE, "--out", "  "], 2, "Invalid value for '--out': the path is empty"),
    Case("out-name-over-255-bytes", [*BASE, "--out", "x" * 256], 1, "as the output folder: File name too long."),
    Case("out-name-over-255-bytes-utf8", [*BASE, "--out", "ë" * 128], 1, "File name too long."),
    Case("out-in-folder-without-access", [*BASE, "--out", "locked/plan"], 1,
         "cannot use locked/plan as the output folder: Permission denied.",
         setup=folder("locked", 0o000), user=True),
    Case("out-in-read-only-folder", [*BASE, "--out", "ro/plan"], 1,
         "cannot write to ro/plan: Permission denied.", setup=folder("ro", 0o555), user=True),
    Case("out-folder-not-listable", [*BASE, "--out", "hidden", "--force"], 2,
         "Invalid value for '--out': Path 'hidden' is not readable.",
         setup=both(file("hidden/notes.txt", "mine"), folder("hidden", 0o333)), user=True),
    # Template overrides that are broken code or not readable text.
    Case("template-divides-by-zero", TEMPLATES, 1,
         "template tpl/guide.md.j2, line 1: ZeroDivisionError: division by zero",
         setup=file("tpl/guide.md.j2", "{{ 1/0 }}\n")),
    Case("template-includes-itself", TEMPLATES, 1,
         "template tpl/guide.md.j2, line 1: includes, extends or calls itself without end",
         setup=file("tpl/guide.md.j2", '{% include "guide.md.j2" %}\n')),
    Case("template-extends-itself", TEMPLATES, 1, "itself without end",
         setup=file("tpl/guide.html.j2", '{% extends "guide.html.j2" %}\n')),
    Case("template-macro-recursion", TEMPLATES, 1, "itself without end",
         setup=file("tpl/guide.md.j2", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n")),
    Case("template-raises-in-partial", TEMPLATES, 1,
         "template tpl/partials/diary.md.j2, line 2: TypeError:",
         setup=file("tpl/partials/diary.md.j2", "ok\n{{ 1 + 'x' }}\n")),
    Case("template-not-utf8", TEMPLATES, 1,
         "template tpl/guide.md.j2: is not UTF-8 text (byte 3 is 0xff)",
         setup=file("tpl/guide.md.j2", b"ok\xff{{ plan }}")),
    Case("template-unreadable", TEMPLATES, 1,
         "template tpl/guide.md.j2: cannot be read (Permission denied)",
         setup=file("tpl/guide.md.j2", "x", mode=0o000), user=True),
    Case("template-fifo", TEMPLATES, 1,
         "template tpl/guide.md.j2: cannot be read (it is a named pipe, not an ordinary file)",
         setup=fifo("tpl/guide.md.j2")),
    Case("template-dev-zero", TEMPLATES, 1,
         "template tpl/guide.html.j2: cannot be read (it is a device, not an ordinary file)",
         setup=link("tpl/guide.html.j2", "/dev/zero")),
    Case("template-dev-urandom-partial", TEMPLATES, 1, "it is a device, not an ordinary file",
         setup=link("tpl/partials/style.css.j2", "/dev/urandom")),
    Case("template-is-a-folder", TEMPLATES, 1,
         "template tpl/guide.md.j2: cannot be read (it is a folder, not an ordinary file)",
         setup=folder("tpl/guide.md.j2", 0o755)),
    Case("template-dangling-link", TEMPLATES, 1, "cannot be read (No such file or directory)",
         setup=link("tpl/guide.md.j2", "gone.j2")),
    Case("template-over-1-mb", TEMPLATES, 1, "cannot be read (it is larger than 1 MB)",
         setup=file("tpl/guide.md.j2", b"x" * (1024 * 1024 + 1))),
    # Clinic files: deep nesting, pipes and devices as the file or as its logo.
    Case("clinic-nested-100000-deep", CLINIC, 2,
         "clinic.toml: cannot be read (it is larger than 64 KB).",
         setup=file("clinic.toml", nested_toml(100_000))),
    Case("clinic-nested-10000-deep", CLINIC, 2,
         "clinic.toml: is not valid TOML (nested too deeply).",
         setup=file("clinic.toml", nested_toml(10_000))),
    Case("clinic-fifo", CLINIC, 2,
         "clinic.toml: cannot be read (it is a named pipe, not an ordinary file).",
         setup=fifo("clinic.toml")),
    Case("clinic-dev-zero", [*BASE, "--clinic", "/dev/zero", "--out", "out"], 2,
         "/dev/zero: cannot be read (it is a device, not an ordinary file)."),
    Case("clinic-dev-urandom-link", CLINIC, 2, "it is a device, not an ordinary file",
         setup=link("clinic.toml", "/dev/urandom")),
    Case("clinic-unreadable", CLINIC, 2, "Invalid value for '--clinic': File 'clinic.toml' is not readable.",
         setup=file("clinic.toml", 'name = "X"\n', mode=0o000), user=True),
    Case("logo-dev-zero", CLINIC, 2,
         "key 'logo': cannot use /dev/zero (it is a device, not an ordinary file).",
         setup=file("clinic.toml", 'name = "X"\nlogo = "/dev/zero"\n')),
    Case("logo-fifo", CLINIC, 2, "key 'logo': cannot use logo.png (it is a named pipe, not an ordinary file).",
         setup=both(file("clinic.toml", 'name = "X"\nlogo = "logo.png"\n'), fifo("logo.png"))),
    Case("logo-dev-urandom-link", CLINIC, 2, "key 'logo': cannot use logo.svg (it is a device",
         setup=both(file("clinic.toml", 'name = "X"\nlogo = "logo.svg"\n'),
                    link("logo.svg", "/dev/urandom"))),
    # plan.json in a folder regenerated with --force.
    Case("plan-json-sequence-2147483647", FORCE_PREV, 1,
         "prev/plan.json cannot be read as an rtr-planner plan.json (its calendar events list "
         "holds a malformed record (sequence 2147483647 is outside 0-2147483646))",
         setup=earlier_plan(max_sequence)),
    Case("plan-json-cancelled-9999-12-31", FORCE_PREV, 1,
         "its calendar cancelled list holds a malformed record (date 9999-12-31 is outside 1900-9998)",
         setup=earlier_plan(cancelled_at_the_end_of_time)),
    # The writer checks all six names before plan.json is read, so these never reach the
    # reader: each is refused as something in the way of a plan file, unread.
    Case("plan-json-fifo", FORCE_PREV, 1,
         "cannot write prev/plan.json: it is a special file, not a plan file; move it away",
         setup=replace_plan_json(fifo("prev/plan.json"))),
    Case("plan-json-dev-zero", FORCE_PREV, 1,
         "cannot write prev/plan.json: it is a symbolic link, not a plan file",
         setup=replace_plan_json(link("prev/plan.json", "/dev/zero"))),
    Case("plan-json-dev-urandom", FORCE_PREV, 1,
         "cannot write prev/plan.json: it is a symbolic link, not a plan file",
         setup=replace_plan_json(link("prev/plan.json", "/dev/urandom"))),
    Case("plan-json-folder", FORCE_PREV, 1,
         "cannot write prev/plan.json: it is a folder, not a plan file",
         setup=replace_plan_json(folder("prev/plan.json", 0o755))),
    # rtr templates copy: never through a link, never a partial copy.
    Case("copy-through-linked-template", ["templates", "copy", "tpl", "--force"], 1,
         "tpl/guide.md.j2 is a symbolic link; rtr templates copy never writes through links",
         setup=both(file("victim.txt", "keep me"), link("tpl/guide.md.j2", "../victim.txt"))),
    Case("copy-through-linked-partials", ["templates", "copy", "tpl", "--force"], 1,
         "tpl/partials is a symbolic link",
         setup=both(folder("elsewhere", 0o755), link("tpl/partials", "../elsewhere"))),
    Case("copy-folder-in-the-way", ["templates", "copy", "tpl"], 1,
         "tpl/partials is in the way (not a folder)", setup=file("tpl/partials", "a file")),
    Case("copy-template-is-a-folder", ["templates", "copy", "tpl", "--force"], 1,
         "tpl/guide.md.j2 is not an ordinary file", setup=folder("tpl/guide.md.j2", 0o755)),
    Case("copy-fails-part-way", ["templates", "copy", "tpl", "--force"], 1,
         "cannot write to tpl: Permission denied; nothing was copied.",
         setup=both(file("tpl/guide.md.j2", "my own guide"), folder("tpl/partials", 0o555),
                    folder("tpl", 0o755)), user=True),
    Case("copy-empty-dir", ["templates", "copy", ""], 2, "Invalid value for 'DIR': the path is empty"),
]


# The cases issue 11 lists, one each: the quick profile runs these, the full one every case.
QUICK = {
    "name-not-utf8", "cleared-by-not-utf8", "calendar-name-not-utf8", "out-not-utf8",
    "epoch-year-10000", "epoch-superscript-two", "out-empty", "out-name-over-255-bytes",
    "out-in-folder-without-access", "template-divides-by-zero", "template-includes-itself",
    "template-not-utf8", "template-unreadable", "template-fifo", "clinic-nested-100000-deep",
    "clinic-fifo", "clinic-dev-zero", "logo-dev-zero", "plan-json-sequence-2147483647",
    "plan-json-cancelled-9999-12-31", "plan-json-fifo", "plan-json-dev-zero",
    "copy-through-linked-template", "copy-fails-part-way",
}
CASES = profiled(MATRIX, [case for case in MATRIX if case.id in QUICK])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The folder the cases run in, and one earlier plan, written once, that the plan.json
    cases copy."""
    root = tmp_path_factory.mktemp("errors")
    earlier = tmp_path_factory.mktemp("earlier") / "plan"
    result = rtr([*BASE, "--out", str(earlier)], cwd=root)
    assert result.returncode == 0, result.stderr
    _EARLIER[:] = [earlier]
    yield root
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)  # folders the cases locked, so they can be removed


@pytest.fixture(scope="module")
def outcomes(world):
    """Every case set up, then run, several at once (they are independent processes in
    folders of their own): case id -> (snapshot before, the run, snapshot after)."""
    def one(case: Case) -> tuple[dict, subprocess.CompletedProcess, dict]:
        here = world / case.id
        here.mkdir()
        if case.setup is not None:
            case.setup(here)
        before = snapshot(here)
        result = rtr(case.args, cwd=here, env=case.env, user=case.user)
        return before, result, snapshot(here)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip([c.id for c in CASES], pool.map(one, CASES)))


def test_the_matrix_covers_every_listed_case():
    ids = [c.id for c in MATRIX]
    assert len(ids) >= 50 and len(set(ids)) == len(ids) and QUICK <= set(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_failure_is_one_line_and_writes_nothing(outcomes, case):
    before, result, after = outcomes[case.id]
    assert_one_error_line(result, case.code, case.words)
    assert after == before


def test_a_template_override_that_fails_names_no_python_internals(tmp_path):
    """The template's own line is named, not Jinja's or Python's frames."""
    here = tmp_path
    file("tpl/guide.md.j2", "line one\nline two\n{{ {}['missing-key'] }}\n")(here)
    err = assert_one_error_line(rtr(TEMPLATES, cwd=here), 1, "tpl/guide.md.j2, line 3:")
    assert ".py" not in err


# ---------------------------------------------------------------------------------------------
# The documented behaviours that are not refusals.

def plan_files(root: Path) -> list[str]:
    """The file names of the one plan folder under `root`."""
    (out,) = [p for p in root.iterdir() if p.is_dir()]
    return sorted(p.name for p in out.iterdir())


SIX = sorted(["plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv", "diary.csv"])


def test_an_encoding_without_the_dash_prints_plainly_and_succeeds(tmp_path):
    """PYTHONIOENCODING=latin-1: the files are fine, so the run succeeds; "–" prints as "-"
    and "ë" (which latin-1 has) as itself."""
    result = rtr([*BASE, "--name", "Zoë Ōta"], cwd=tmp_path, env={"PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    out = result.stdout.decode("latin-1")
    assert out.startswith("Return-to-run plan for Zoë Ota: ") and " – " not in out
    assert " - " in out.splitlines()[1]
    assert plan_files(tmp_path) == SIX


def test_the_c_locale_reads_a_utf8_name_and_writes_it_as_utf8(tmp_path):
    """LC_ALL=C without UTF-8 mode: the bytes of "Zoë" are still UTF-8, so they are read as
    such, the guide holds "Zoë" and the folder is the same bytes as the shell's."""
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = rtr([*BASE, "--name", "Zoë", "--out", "Zoë-plan"], cwd=tmp_path, env=env)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert os.listdir(os.fsencode(tmp_path)) == ["Zoë-plan".encode("utf-8")]
    guide = (tmp_path / "Zoë-plan" / "guide.md").read_text(encoding="utf-8")
    assert guide.startswith("# Return-to-run plan for Zoë")
    assert result.stdout.decode("utf-8").rstrip().endswith(
        "Wrote Zoë-plan/: plan.ics, guide.md, guide.html, plan.json, plan.csv, diary.csv")


def test_the_c_locale_default_folder_and_summary(tmp_path):
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = rtr([*BASE, "--name", "Zoë"], cwd=tmp_path, env=env)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [f"zoe-metatarsal-{START}"]
    assert b"Traceback" not in result.stdout


def test_a_full_stdout_is_one_line_exit_1_after_the_files_were_written(tmp_path):
    """stdout on /dev/full: the files are written first (the summary reports them), so the
    error says they were; exit 1, not Python's 120, and no second message at exit."""
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "planner", *BASE], cwd=tmp_path,
                                stdout=full, stderr=subprocess.PIPE, timeout=HANG_GUARD,
                                env={**os.environ, "RTR_NO_CACHE": "1"})
    err = result.stderr.decode("utf-8")
    assert result.returncode == 1, err
    assert err == ("Error: cannot print to standard output (No space left on device); the plan "
                   f"files were written to runner-metatarsal-{START}/.\n")
    assert plan_files(tmp_path) == SIX


@pytest.mark.parametrize("args", profiled([["sites"], ["templates", "list"], ["--help"], ["--version"]],
                                          [["sites"], ["--help"]]))
def test_a_full_stdout_fails_cleanly_for_every_command(tmp_path, args):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "planner", *args], cwd=tmp_path,
                                stdout=full, stderr=subprocess.PIPE, timeout=HANG_GUARD)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 1 and err.count("\n") == 1 and err.startswith("Error: "), err
    assert "No space left on device" in err and "Traceback" not in err


# SIGINT delivered to the process itself (a real signal, the same path as Ctrl-C) at the
# moment click starts loading: before any option is parsed or any file is touched.
INTERRUPT_WHILE_LOADING = """
import os, runpy, signal, sys

class Interrupter:
    def find_spec(self, name, path=None, target=None):
        if name == "click":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupter())
sys.argv = ["rtr", *sys.argv[1:]]
runpy.run_module("planner", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_starting_is_one_line_and_exit_130(tmp_path):
    result = rtr(BASE, cwd=tmp_path, code=INTERRUPT_WHILE_LOADING)
    assert result.returncode == 130, result.stderr
    assert result.stderr == b"Error: interrupted while starting; nothing was written.\n"
    assert result.stdout == b"" and list(tmp_path.iterdir()) == []


def test_the_console_script_starts_through_the_guarded_entry_point():
    """`rtr` (the installed script) runs planner.__main__.run, the function that turns an
    interrupt while loading into one line."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "rtr"]
    assert script.value == "planner.__main__:run"
