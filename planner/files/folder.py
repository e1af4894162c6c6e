"""The plan folder on disk: its default name, the checks before writing, and the safe write.

The caller renders everything before anything is written; the six files then replace the
earlier ones as one unit (`planner.files.commit`) under the folder's lock
(`planner.files.lock`), so a failure or an interrupt never leaves a half-written file or a set
mixed from two runs behind.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path

from planner.errors import OutputError
from planner.core.models import Plan
# OUTPUT_NAMES is defined beside the writer (which must not import this module) and re-exported.
from planner.files.commit import OUTPUT_NAMES, is_bookkeeping, replace_set  # noqa: F401
from planner.files.lock import LOCK_NAME, folder_lock
from planner.files.signals import held



def slug(text: str, limit: int = 40) -> str:
    """A safe, readable folder-name part: ASCII letters, digits and hyphens only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].strip("-")


def default_out_dir(plan: Plan) -> Path:
    """Folder named from the athlete, site and start date, e.g. ``ana-metatarsal-2026-03-02``."""
    who = slug(plan.request.athlete) or "runner"
    return Path(f"{who}-{plan.site.id}-{plan.request.start.isoformat()}")


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse an output path that is a file, or a non-empty folder without --force.

    The writer's own hidden files (its lock, temporary files, backups, journal) do not count.
    """
    _probe(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file, not a folder; choose another --out.")
    if out_dir.is_dir() and not force and any(
            not _is_own(path.name) for path in out_dir.iterdir()):
        raise OutputError(
            f"folder {out_dir} already exists and is not empty; use --force to replace the "
            "plan files in it, or choose another --out."
        )


def _probe(out_dir: Path) -> None:
    """Refuse a path that cannot even be looked up or listed (a name over 255 bytes, a folder
    without permission) with one line, before the checks below would raise it raw."""
    try:
        if stat.S_ISDIR(os.stat(out_dir).st_mode):
            with os.scandir(out_dir) as entries:
                next(entries, None)
    except (FileNotFoundError, NotADirectoryError):
        return  # not there yet (or under a file): write_outputs reports what happens
    except OSError as exc:
        raise OutputError(f"cannot use {out_dir} as the output folder: "
                          f"{exc.strerror or exc}.") from None


def write_outputs(out_dir: Path, files: dict[str, bytes], force: bool = False,
                  on_commit: Callable[[], None] | None = None) -> list[Path]:
    """Write `files` into `out_dir` as one unit; --force replaces only these files.

    Under the folder's lock (`planner.files.lock`) and with Ctrl-C and SIGTERM held back, every
    target is checked (a folder or link in the way of any name stops the run before anything is
    written), all files are staged and synced, then renamed into place together
    (`planner.files.commit`), so afterwards the folder holds the whole earlier set or the whole
    new one. `on_commit` is called, signals still held, once the new set is in place.
    """
    with folder_lock(out_dir):
        check_out_dir(out_dir, force)
        with held():
            written = replace_set(out_dir, files)
            if on_commit is not None:
                on_commit()
    return written


def _is_own(name: str) -> bool:
    """The writer's lock file or one of its hidden working files."""
    return name == LOCK_NAME or is_bookkeeping(name)
