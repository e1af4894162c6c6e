"""One run at a time per plan folder: a lock file inside it, held while a run reads and writes.

A second run on a locked folder is refused at once with one line naming the folder (it does
not wait: two runs on one folder are a mistake, and the later one would only replace the
first). The lock is `fcntl.flock` on ``FOLDER/.rtr-lock``, which the kernel drops if the run
dies; where there is no fcntl (Windows) the lock file's exclusive creation is the lock, and a
run killed there can leave it behind (the refusal then says to delete it). The lock file is
removed when the run ends, and a folder the run created is removed again if it stays empty.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.errors import OutputError
from planner.files.commit import recover
from planner.files.signals import held, shielded

LOCK_NAME = ".rtr-lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# The folders this process holds, each with the thread that holds it, so plan_folder and the
# write_outputs it calls can both take the lock.
_HELD: dict[str, int] = {}


class _Lock:
    """A held lock: the folder, the lock file's descriptor (-1 once let go), the folders made."""

    def __init__(self, folder: Path, fd: int, created: tuple[Path, ...]):
        self.folder, self.fd, self.created = folder, fd, created


@contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """Create `out_dir` if needed and hold its lock for the block; finish a killed run's
    commit first (`planner.files.commit.recover`). Raises OutputError if another run holds it.

    Taking and dropping the lock hold Ctrl-C back, so neither leaves a lock file or an empty
    folder behind; the block itself stays interruptible.
    """
    key = os.path.abspath(out_dir)
    if _HELD.get(key) == threading.get_ident():  # taken further up this thread's call
        yield
        return
    lock: _Lock | None = None
    try:
        with held():
            lock = _acquire(Path(out_dir))
            _HELD[key] = threading.get_ident()
        yield
    finally:
        if lock is not None:
            shielded(lambda: _release(lock, key))


def _acquire(out_dir: Path) -> _Lock:
    """Make the folder, take its lock and recover it; undo all of that on failure."""
    try:
        created = _make_folders(out_dir)
    except OSError as exc:
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}.") from None
    fd = -1
    try:
        fd = _lock_file(out_dir)
        recover(out_dir)
    except BaseException as exc:
        if fd >= 0:
            _release(_Lock(out_dir, fd, created), "")
        else:
            _remove_empty(created)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}.") from None
        raise
    return _Lock(out_dir, fd, created)


def _make_folders(out_dir: Path) -> tuple[Path, ...]:
    """Create `out_dir` and any missing parents; the ones created, outermost first."""
    missing = []
    for folder in (out_dir, *out_dir.parents):
        if folder.exists() or folder == folder.parent:
            break
        missing.append(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    return tuple(reversed(missing))


def _lock_file(out_dir: Path) -> int:
    """Open and lock the folder's lock file; OutputError if another run holds it."""
    path = out_dir / LOCK_NAME
    if fcntl is None:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise _busy(out_dir, f" (if no rtr run is going, delete {path})") from None
    for _ in range(5):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(out_dir, "") from None
        # The holder before us deletes the file as it lets go: make sure ours is still it.
        try:
            if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise _busy(out_dir, "")


def _busy(out_dir: Path, hint: str) -> OutputError:
    """The refusal when another run holds the folder."""
    return OutputError(f"another rtr run is writing to {out_dir}; wait for it to finish, then "
                       f"run again{hint}.")


def _release(lock: _Lock, key: str) -> None:
    """Delete the lock file while still holding it, let go of it, and remove the folders this
    run created if they are empty. Safe to call twice: the second call does nothing."""
    _HELD.pop(key, None)
    if lock.fd < 0:
        return
    fd, lock.fd = lock.fd, -1
    try:
        (lock.folder / LOCK_NAME).unlink(missing_ok=True)
    except OSError:  # a lock file left behind is harmless: the next run takes it over
        pass
    finally:
        os.close(fd)
    _remove_empty(lock.created)


def _remove_empty(created: tuple[Path, ...]) -> None:
    """Remove the folders a run created, innermost first, while they are empty."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return
