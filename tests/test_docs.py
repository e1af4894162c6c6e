"""The README stays true: two set-up commands, every site and option documented."""

from __future__ import annotations

import re
from pathlib import Path

from planner.cli import cli

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
