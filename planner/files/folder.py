"""The plan folder on disk: its default name, the checks before writing, and the safe write.

The caller renders everything before anything is written, and each file goes to a temporary
name in the target folder first and is renamed into place, so a failure never leaves a
half-written calendar or guide behind.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from pathlib import Path

from planner.errors import OutputError
from planner.core.models import Plan

OUTPUT_NAMES = ("plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv", "diary.csv")


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
    """Refuse an output path that is a file, or a non-empty folder without --force."""
    _probe(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file, not a folder; choose another --out.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
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


def write_outputs(out_dir: Path, files: dict[str, bytes], force: bool = False) -> list[Path]:
    """Write `files` into `out_dir`; --force replaces only these files, nothing else.

    All files are first written to temporary names, then renamed into place together, so an
    error or Ctrl-C part-way leaves either the old files or the new ones, never a fragment.
    """
    check_out_dir(out_dir, force)
    created = not out_dir.exists()
    staged: list[tuple[str, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            staged.append((_stage(out_dir, name, data), out_dir / name))
        for tmp, final in staged:
            os.replace(tmp, final)
    except OSError as exc:
        _discard(staged, out_dir if created else None)
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}.") from exc
    except BaseException:
        _discard(staged, out_dir if created else None)
        raise
    return [final for _, final in staged]


def _discard(staged: list[tuple[str, Path]], created_dir: Path | None) -> None:
    """Remove temporary files, and the folder too if this run created it and it is empty."""
    for tmp, _ in staged:
        Path(tmp).unlink(missing_ok=True)
    if created_dir is not None and created_dir.is_dir() and not any(created_dir.iterdir()):
        created_dir.rmdir()


def _file_mode() -> int:
    """0o666 less the process umask, the mode an ordinary open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(out_dir: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates files readable by the owner only; plans are shared documents.
        os.chmod(tmp, _file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp
