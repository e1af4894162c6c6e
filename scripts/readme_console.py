"""Rewrite the output under every `$ rtr …` line of the README's console blocks.

Runs each command in order in one fresh folder (with the repository's examples/clinic), the
clock pinned to the day tests/test_docs.py pins it to, and puts what it printed under it. Run
it after a change to what the commands print: `python scripts/readme_console.py`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_TODAY = date(2026, 12, 1)


class ReadmeDay(date):
    """`date` whose today() is README_TODAY."""

    @classmethod
    def today(cls) -> date:
        """The day the README's examples are run on."""
        return README_TODAY


CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", flags=re.S | re.M)


def commands(block: str) -> list[tuple[str, str]]:
    """The `$ rtr …` lines of one console block, each with the text shown under it (up to
    the next `$` line, blank lines kept)."""
    return [(chunk.partition("\n")[0], chunk.partition("\n")[2])
            for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]]


def _run(args: list[str]) -> str:
    """Run `rtr ARGS` in-process; return what it printed (stdout, then stderr)."""
    from planner import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(args)
        except SystemExit:
            pass
    return out.getvalue() + err.getvalue()


def main() -> None:
    """Rewrite README.md's console outputs in place."""
    import planner.cli

    planner.cli.date = ReadmeDay
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(ROOT / "examples" / "clinic", Path(folder) / "examples" / "clinic")
        os.chdir(folder)

        def block(match: re.Match) -> str:
            chunks = [re.split(r"^\$ ", match.group(1), flags=re.M)[0]]
            for command, shown in commands(match.group(1)):
                # Keep the blank lines that separate one command from the next.
                gap = "\n" * (len(shown) - len(shown.rstrip("\n")) - int(bool(shown.strip())))
                chunks.append(f"{command}\n{_run(shlex.split(command)[1:])}{gap}")
            return "```console\n" + "$ ".join(chunks) + "```"

        readme = CONSOLE_BLOCK.sub(block, readme)
    (ROOT / "README.md").write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
