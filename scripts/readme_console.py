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


class _ReadmeDay(date):
    @classmethod
    def today(cls) -> date:
        return README_TODAY


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

    planner.cli.date = _ReadmeDay
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(ROOT / "examples" / "clinic", Path(folder) / "examples" / "clinic")
        os.chdir(folder)

        def block(match: re.Match) -> str:
            parts = re.split(r"^\$ ", match.group(1), flags=re.M)
            chunks = [parts[0]]
            for chunk in parts[1:]:
                command = chunk.partition("\n")[0]
                shown = _run(shlex.split(command)[1:])
                # Keep the blank lines that separate one command from the next.
                gap = "\n" * (len(chunk) - len(chunk.rstrip("\n")) - 1)
                chunks.append(f"{command}\n{shown}{gap}")
            return "```console\n" + "$ ".join(chunks) + "```"

        readme = re.sub(r"^```console\n(.*?)^```$", block, readme, flags=re.S | re.M)
    (ROOT / "README.md").write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
