"""Replacing the six plan files as one unit: all of the new set or all of the earlier one.

The new files are staged under hidden temporary names and fsynced; each earlier file gets a
hidden backup (a hard link, or a copy where links are not supported); a journal naming the set
is written; only then are the new files renamed into place, and the folder is fsynced. A
failure part-way renames the backups back. The journal is removed last but one, the backups
last, so a run killed at any point (even SIGKILL or a power cut) leaves a journal that the next
run in the folder reads to restore the earlier set (`recover`), or only leftovers it deletes.

Every name this module creates starts with a dot and has a fixed shape (`is_bookkeeping`), so
the folder checks can ignore them and the recovery never touches anything else.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

from planner.errors import OutputError

OUTPUT_NAMES = ("plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv", "diary.csv")
JOURNAL = ".rtr-commit"
_BACKUP = ".{}.rtr-old"
_UNCHANGED = "the earlier plan files are unchanged."
_RESTORED_LATER = ("the earlier plan files could not be put back yet; the next rtr run in "
                   "this folder puts them back.")
_FILES = r"(?:plan\.ics|guide\.md|guide\.html|plan\.json|plan\.csv|diary\.csv)"
# mkstemp's temporary names (eight of [a-z0-9_]), the backups and the journal; nothing else.
_OWN = re.compile(rf"\.(?:{_FILES}|rtr-commit)\.[a-z0-9_]{{8}}\.tmp|\.{_FILES}\.rtr-old"
                  r"|\.rtr-commit")


def is_bookkeeping(name: str) -> bool:
    """True for the hidden temporary, backup and journal names the writer uses."""
    return _OWN.fullmatch(name) is not None


def check_targets(out_dir: Path, names: list[str]) -> None:
    """Refuse, before anything is written, a target name held by anything but a regular file
    (a folder, a symbolic link, a FIFO …): the error names it."""
    for name in names:
        path = out_dir / name
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}.") from None
        if not stat.S_ISREG(mode):
            raise OutputError(f"cannot write {path}: it is {_what(mode)}, not a plan file; move "
                              "it away and run again (nothing was written).")


def replace_set(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Put `files` into `out_dir` as one unit; on any failure the earlier set is restored.

    Call it with the folder locked and interrupts held (see `planner.files.signals`).
    Raises OutputError naming the file that could not be written.
    """
    names = list(files)
    check_targets(out_dir, names)
    staged: dict[str, str] = {}
    had_old: dict[str, bool] = {}
    current = names[0]
    try:
        for current in names:
            staged[current] = _stage(out_dir, current, files[current])
        for current in names:
            had_old[current] = _back_up(out_dir, current)
        current = JOURNAL
        _write_journal(out_dir, had_old)
        for current in names:
            os.replace(staged.pop(current), out_dir / current)
        current = ""  # the folder itself
        fsync_dir(out_dir)
    except BaseException as exc:
        restored = _undo(out_dir, had_old, staged)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {out_dir / current}: {exc.strerror or exc}; "
                              + (_UNCHANGED if restored else _RESTORED_LATER)) from exc
        raise
    _forget(out_dir, had_old)
    return [out_dir / name for name in names]


def left_over(out_dir: Path) -> bool:
    """True if `out_dir` holds a journal, temporary or backup file: a run was killed while
    writing there (or is writing there now), and `recover` has something to do."""
    try:
        return any(is_bookkeeping(name) for name in os.listdir(out_dir))
    except OSError:
        return False


def recover(out_dir: Path) -> None:
    """Finish what a killed run left: restore the earlier set if a journal is there, then delete
    every leftover temporary or backup file. Call it with the folder locked."""
    journal = out_dir / JOURNAL
    if journal.is_file():
        _roll_back(out_dir, _read_journal(journal))
        fsync_dir(out_dir)
        journal.unlink()
    for path in out_dir.iterdir():
        if is_bookkeeping(path.name) and path.name != JOURNAL:
            path.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make the folder's renames durable (no-op where folders cannot be opened, as on Windows)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder; the files are synced
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _what(mode: int) -> str:
    """What is in the way, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def _stage(out_dir: Path, name: str, data: bytes) -> str:
    """Write `data` to a new hidden temporary file beside `name`, synced to disk."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates files readable by the owner only; plans are shared documents.
        os.chmod(tmp, _file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _file_mode() -> int:
    """0o666 less the process umask, the mode an ordinary open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _back_up(out_dir: Path, name: str) -> bool:
    """Keep the earlier `name` under its backup name; False if there was none."""
    target, backup = out_dir / name, out_dir / _BACKUP.format(name)
    if not target.exists():
        return False
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:  # no hard links here (FAT, some network shares): copy instead
        os.replace(_stage(out_dir, name, target.read_bytes()), backup)
    return True


def _write_journal(out_dir: Path, had_old: dict[str, bool]) -> None:
    """Record the set being replaced: which names had an earlier file (restored on recovery)
    and which are new (deleted on recovery)."""
    lines = "".join(f"{'old' if old else 'new'} {name}\n" for name, old in had_old.items())
    os.replace(_stage(out_dir, JOURNAL[1:], lines.encode("ascii")), out_dir / JOURNAL)
    fsync_dir(out_dir)


def _read_journal(journal: Path) -> dict[str, bool]:
    """The journal's names; anything that is not one of the plan files is ignored."""
    found = {}
    for line in journal.read_text(encoding="ascii", errors="replace").splitlines():
        kind, _, name = line.partition(" ")
        if name in OUTPUT_NAMES and kind in ("old", "new"):
            found[name] = kind == "old"
    return found


def _roll_back(out_dir: Path, had_old: dict[str, bool]) -> None:
    """Put every earlier file back from its backup and delete the new ones that had none."""
    for name, old in had_old.items():
        backup = out_dir / _BACKUP.format(name)
        if old and backup.exists():
            os.replace(backup, out_dir / name)
        elif not old:
            (out_dir / name).unlink(missing_ok=True)


def _undo(out_dir: Path, had_old: dict[str, bool], staged: dict[str, str]) -> bool:
    """After a failure: back to the earlier set, and no temporary, backup or journal left.

    False if this too fails (the disk went away, say): the journal then stays, and the next
    run in the folder restores the earlier set.
    """
    try:
        for tmp in staged.values():
            Path(tmp).unlink(missing_ok=True)
        journal = out_dir / JOURNAL
        if journal.exists():
            _roll_back(out_dir, had_old)
            fsync_dir(out_dir)
            journal.unlink()
        recover(out_dir)
    except OSError:
        return False
    return True


def _forget(out_dir: Path, had_old: dict[str, bool]) -> None:
    """The new set is in place: drop the journal (the commit point), then the backups.

    The renames are already synced; if dropping the journal does not reach the disk before a
    power cut, the next run only goes back to the earlier set, whole. A backup that cannot be
    deleted now is deleted by the next run.
    """
    try:
        (out_dir / JOURNAL).unlink()
    except OSError as exc:  # the journal stays, so the next run goes back to the earlier set
        raise OutputError(f"cannot finish writing {out_dir}: {exc.strerror or exc}; "
                          + _RESTORED_LATER) from exc
    try:
        fsync_dir(out_dir)
        for name, old in had_old.items():
            if old:
                (out_dir / _BACKUP.format(name)).unlink(missing_ok=True)
    except OSError:
        pass
