"""The loader for --templates override folders: the user's files, read without trusting them.

Jinja's FileSystemLoader skips anything that is not a file (so a pipe or folder in an override
folder silently falls back to the built-in template), reads a device such as /dev/zero until
memory runs out, and lets a file that is not UTF-8 escape as a UnicodeDecodeError. This loader
reads each override through `planner.core.userfile` instead: only ordinary files, at most
`TEMPLATE_LIMIT` bytes, UTF-8, and every problem is a `TemplateProblem` naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from planner.errors import TemplateProblem
from planner.core.userfile import read_user_file

# The largest built-in template is about 10 KB.
TEMPLATE_LIMIT = 1024 * 1024


class OverrideLoader(jinja2.BaseLoader):
    """Templates from the override folders, first folder first; missing names fall through."""

    def __init__(self, folders: Sequence[Path]):
        self.folders = [Path(f) for f in folders]

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        """The source, file name and up-to-date check of `template`, as Jinja expects.

        Raises:
            jinja2.TemplateNotFound: no override folder has it (the built-in one is used).
            TemplateProblem: it is there but is not an ordinary, readable UTF-8 file within
                the size limit.
        """
        parts = split_template_path(template)  # refuses "..", as FileSystemLoader does
        for folder in self.folders:
            path = folder.joinpath(*parts)
            if os.path.lexists(path):
                return _source(path)
        raise jinja2.TemplateNotFound(template)


def _source(path: Path) -> tuple[str, str, Callable[[], bool]]:
    """Read one override file; anything wrong with it is a TemplateProblem."""
    try:
        mtime = os.stat(path).st_mtime_ns
        data = read_user_file(path, TEMPLATE_LIMIT)
    except OSError as exc:
        raise TemplateProblem(str(path), f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateProblem(str(path), f"is not UTF-8 text (byte {exc.start + 1} is "
                              f"0x{data[exc.start]:02x})") from None

    def uptodate() -> bool:
        """Jinja reloads the template once its file changes."""
        try:
            return os.stat(path).st_mtime_ns == mtime
        except OSError:
            return False

    return text, str(path), uptodate
