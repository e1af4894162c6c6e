"""`rtr templates copy`: the built-in templates into a folder, all of them or none.

Two rules make --force safe in a folder someone else may have prepared. Nothing is written
through a symbolic link: a link in the target folder (a template, or ``partials``) is refused
before anything is written, and each file is written to a new temporary name beside its target
and renamed over it, which replaces a path and never follows one. And no partial copy is left:
every file is staged first, and any failure while staging removes the temporary files and the
folders this run created, so the folder is as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from planner.errors import OutputError


def copy_templates(dest: Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates into `dest` (created if needed) as a clinic's start.

    Nothing is copied if any target file exists, unless `force`; other files in `dest` are
    never touched.

    Raises:
        OutputError: `dest` is a file, a target exists without `force`, is a link or not an
            ordinary file, or writing fails.
    """
    from planner.guide.render import TEMPLATE_NAMES, packaged_templates_dir

    return copy_files(packaged_templates_dir(), dest, TEMPLATE_NAMES, force)


def copy_files(source: Path, dest: Path, names: Sequence[str], force: bool) -> list[Path]:
    """Copy each of `names` (relative paths) from `source` into `dest`, all or none.

    Raises:
        OutputError: `dest` or a folder in it is in the way, a target is a link or not an
            ordinary file, a target exists without `force`, or reading or writing fails.
    """
    _check_targets(dest, names, force)
    created: list[Path] = []
    staged: list[tuple[str, Path]] = []
    try:
        for name in names:
            target = dest / name
            created += _make_folders(target.parent)
            staged.append((_stage(target, (source / name).read_bytes()), target))
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        _discard(staged, created)
        raise OutputError(f"cannot write to {dest}: {exc.strerror or exc}; nothing was "
                          "copied.") from None
    except BaseException:
        _discard(staged, created)
        raise
    return [target for _, target in staged]


def _check_targets(dest: Path, names: Sequence[str], force: bool) -> None:
    """Refuse, before writing anything, every case that --force must not write over."""
    if dest.exists() and not dest.is_dir():
        raise OutputError(f"{dest} is a file, not a folder; choose another folder.")
    folders = sorted({p for name in names for p in (dest / name).parents if dest in p.parents})
    for path in [*folders, *(dest / name for name in names)]:
        if path.is_symlink():
            raise OutputError(f"{path} is a symbolic link; rtr templates copy never writes "
                              "through links: remove it or choose another folder.")
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{folder} is in the way (not a folder); move it or choose "
                              "another folder.")
    existing = [name for name in names if (dest / name).exists()]
    odd = [name for name in existing if not (dest / name).is_file()]
    if odd:
        raise OutputError(f"{dest / odd[0]} is not an ordinary file; move it or choose "
                          "another folder.")
    if existing and not force:
        more = f" and {len(existing) - 1} more template file(s)" if len(existing) > 1 else ""
        raise OutputError(f"{dest} already has {existing[0]}{more}; use --force to replace "
                          "them, or choose another folder.")


def _make_folders(folder: Path) -> list[Path]:
    """Create `folder` and any missing parents; return those created, outermost first."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()][::-1]
    for path in missing:
        path.mkdir()
    return missing


def _stage(target: Path, data: bytes) -> str:
    """Write `data` to a new temporary file beside `target`; return its name."""
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; templates are ordinary files
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _discard(staged: list[tuple[str, Path]], created: list[Path]) -> None:
    """Remove the temporary files left, then the folders this run created, innermost first."""
    for tmp, _ in staged:
        Path(tmp).unlink(missing_ok=True)
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            pass
