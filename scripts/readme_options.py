"""Regenerate the README's table of `rtr plan` options from the command's own --help text.

The table is written between the README's ``<!-- options:start -->`` and ``<!-- options:end -->``
markers, so --help and the README cannot drift apart (a test fails when they do):

    python scripts/readme_options.py          rewrite the table in README.md
    python scripts/readme_options.py --check  exit 1 if README.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- options:start -->", "<!-- options:end -->"


def option_rows(command: click.Command) -> list[str]:
    """One Markdown row per option of `command`: its flag and its help with any default."""
    rows = ["| Option | Meaning |", "| --- | --- |"]
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        meaning = param.help or ""
        if param.required:
            meaning += " Required."
        elif param.show_default and param.default is not None:
            meaning += f" [default: {param.default}]"
        rows.append(f"| `{param.opts[0]}` | {meaning.replace('|', '&#124;')} |")
    return rows


def updated(readme: str) -> str:
    """The README text with the options table regenerated between the markers."""
    head, found, rest = readme.partition(START)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README.md needs the markers {START} and {END}")
    table = "\n".join(option_rows(cli.commands["plan"]))
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the README, or with --check report whether it is current."""
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print("README.md's options table is out of date: run python scripts/readme_options.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
