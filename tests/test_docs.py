"""The README stays true: two set-up commands, every site and option documented, every
console example printing what it shows."""

from __future__ import annotations

import json
import re
import runpy
import shlex
import shutil
from pathlib import Path

import pytest

from planner.cli import cli
from planner.files.folder import OUTPUT_NAMES

from .helpers import run_rtr

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_exactly_two_setup_commands_and_ci_runs_them():
    commands = re.findall(r"^python3\.11 -m venv .*$", README, flags=re.M)
    assert len(commands) == 2
    assert "pip install ." in commands[0] and "rtr plan" in commands[0]
    assert 'pip install ".[test]"' in commands[1] and commands[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -E '^python3\\.11 -m venv ' README.md" in ci


def test_every_site_is_in_the_readme_table(protocol):
    for site in protocol.sites:
        assert f"| `{site.id}`" in README, site.id


def test_every_plan_option_is_documented_with_help():
    for command in cli.commands.values():
        assert command.help
        for param in command.params:
            if param.name == "help":
                continue
            assert param.help, param.name
            assert f"`{param.opts[0]}`" in README, param.opts[0]


def test_readme_weeks_to_first_run_match_the_protocol(protocol):
    for site in protocol.sites:
        row = next(line for line in README.splitlines() if line.startswith(f"| `{site.id}`"))
        cells = row.split("|")[3].strip().split(" / ")
        for grade, cell in enumerate(cells, start=1):
            if cell.isdigit():
                assert int(cell) == site.protection_for(grade).first_run_weeks, (site.id, grade)
                assert site.referral_for(grade) is None
            else:
                assert site.referral_for(grade) is not None, (site.id, grade)


def test_readme_shows_a_screenshot_of_each_example():
    from tests.test_examples import _regenerate_module

    for case in _regenerate_module().load_cases():
        png = f"examples/{case['folder']}/guide.png"
        assert f"]({png})" in README, png
        assert (ROOT / png).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_readme_python_example_runs_and_writes_real_plans(tmp_path, monkeypatch) -> None:
    """The README's Python example is run as written, in an empty folder."""
    section = README[README.index("## Python use"):README.index("## Benchmark")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    printed = []
    exec(compile(code, "README.md", "exec"), {"print": lambda *a: printed.append(a)})
    assert [line[0] for line in printed] == ["Ana", "Ben"]
    for name in ("Ana", "Ben"):
        folder = tmp_path / "squad" / name
        assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_NAMES)
        assert "TZID=Europe/London:" in (folder / "plan.ics").read_text(encoding="utf-8")
        assert json.loads((folder / "plan.json").read_text(encoding="utf-8"))["request"]["athlete"] == name


def test_public_names_are_exported_lazily() -> None:
    """`import planner` stays cheap (the CLI's --help imports it) and every exported name
    resolves to the real object."""
    import subprocess
    import sys

    import planner
    from planner.app import plan_folder

    assert planner.plan_folder is plan_folder
    assert all(getattr(planner, name) is not None for name in planner.__all__)
    with pytest.raises(AttributeError):
        planner.no_such_name  # noqa: B018
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, planner; print(sorted(m for m in sys.modules "
         "if m.startswith(('planner.', 'icalendar', 'jinja2', 'click'))))"],
        capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_exports_list_matches_the_lazy_table() -> None:
    import planner

    assert sorted(planner.__all__) == sorted([*planner._EXPORTS, "__version__"])


def test_readme_options_table_is_generated_from_the_help_text() -> None:
    """The options table is `rtr plan --help`; `python scripts/readme_options.py` rewrites it."""
    script = runpy.run_path(str(ROOT / "scripts" / "readme_options.py"))
    assert script["updated"](README) == README, "run: python scripts/readme_options.py"
    plan = cli.commands["plan"]
    for param in plan.params:
        if param.name != "help":
            assert f"| `{param.opts[0]}` | {param.help}" in README, param.opts[0]


def _readme_json_paths() -> set[str]:
    """The key paths (``.days[].gate``) the README's plan.json sketch shows."""
    section = README[README.index("## plan.json"):]
    opening = section.index("```text\n")
    block = section[opening:section.index("\n```", opening + 1)]
    stack: list[list] = []  # [path, kind, last key]
    paths = set()
    for token in re.finditer(r'"(\w+)"\s*:|[{}\[\]]', block):
        text = token.group(0)
        if token.group(1):
            stack[-1][2] = token.group(1)
            paths.add(f"{stack[-1][0]}.{token.group(1)}")
        elif text in "{[":
            if not stack:
                path = ""
            elif stack[-1][1] == "{":
                path = f"{stack[-1][0]}.{stack[-1][2]}"
            else:
                path = f"{stack[-1][0]}[]"
            stack.append([path, text, None])
        else:
            stack.pop()
    return paths


def _json_paths(value, path: str = "") -> set[str]:
    """Every key path in a parsed plan.json (lists through their first item)."""
    if isinstance(value, dict):
        return {p for key, item in value.items()
                for p in {f"{path}.{key}"} | _json_paths(item, f"{path}.{key}")}
    if isinstance(value, list) and value:
        return _json_paths(value[0], f"{path}[]")
    return set()


def test_readme_plan_json_schema_matches_what_is_written(tmp_path) -> None:
    """Every field the README shows is written, and every field written is shown."""
    from planner import PlanRequest, plan_folder
    from planner.calendar.options import CalendarOptions
    from datetime import date, time

    request = PlanRequest(site="navicular", grade=2, start=date(2027, 1, 4), athlete="Ana")
    out = tmp_path / "plan"
    plan_folder(request, out, CalendarOptions(time(7, 0), "Europe/Berlin"))
    plan_folder(request._replace(grade=1), out, force=True)  # a shorter plan: fills "cancelled"
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["calendar"]["cancelled"]
    written = _json_paths(document)
    # The README says cancelled entries have "the same fields as events".
    cancelled = {p for p in written if ".cancelled[]" in p}
    assert {p.replace(".cancelled[]", ".events[]") for p in cancelled} <= written
    assert _readme_json_paths() == written - cancelled
    assert written >= {".request.rest_days", ".request.run_days", ".days[].gate",
                       ".calendar.events[].fingerprint"}


# The README's console examples use fixed dates; scripts/readme_console.py (which rewrites
# them) pins the clock to a day before them, so they print the same on any later day.
_CONSOLE = runpy.run_path(str(ROOT / "scripts" / "readme_console.py"))
_ReadmeDay = _CONSOLE["ReadmeDay"]


def _console_examples() -> list[tuple[str, str]]:
    """Every `$ rtr …` line of the README's console blocks, in order, with the output shown
    under it (up to the next `$` line, trailing blank lines left out)."""
    return [(command, shown.rstrip("\n") + "\n" if shown.strip() else "")
            for block in _CONSOLE["CONSOLE_BLOCK"].findall(README)
            for command, shown in _CONSOLE["commands"](block)]


def test_every_readme_console_example_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    """A new user's session: every console example, in README order, in one fresh folder
    holding the repository's examples/ (the clinic examples read examples/clinic/)."""
    import planner.cli

    examples = _console_examples()
    assert len(examples) >= 11
    shutil.copytree(ROOT / "examples" / "clinic", tmp_path / "examples" / "clinic")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(planner.cli, "date", _ReadmeDay)
    for command, shown in examples:
        args = shlex.split(command)
        assert args[0] == "rtr", command
        code, out, err = run_rtr(capsys, *args[1:])
        assert out + err == shown, command
        assert (code == 0) == (not shown.startswith("Error:")), (command, code)
