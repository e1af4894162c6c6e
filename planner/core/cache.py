"""The user's cache folder for rtr-planner, and how entries are read from it without trusting it.

Two things are worth keeping between runs of the command: the parsed protocol (importing and
running the TOML parser costs about 6 ms a run) and the compiled guide templates
(`planner.guide.template_cache`, about 50 ms a run). Both live under
``$XDG_CACHE_HOME/rtr-planner`` (else ``~/.cache/rtr-planner``); ``RTR_NO_CACHE=1`` switches
caching off. A cache is only ever a speed-up: a folder or entry that cannot be created, read or
written, or that fails a check below, means the work is done as if there were no cache, and
nothing is reported.

What is read back is never trusted for more than it can prove:

- no entry is ever unpickled; the protocol is cached as JSON data and validated again in full
  on every load (`planner.core.protocol`), so a forged entry cannot carry a plan the validator
  would refuse;
- compiled templates are code, so they are read only from a folder chain
  (``rtr-planner/<kind>/<entry>``) that belongs to the current user, is writable by nobody else
  and holds no symbolic links, and only from ordinary files of bounded size. A folder planted
  by another user, or one that group or others can write to, is never read. That is the same
  trust Python gives its own ``__pycache__``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from planner.core.userfile import read_handle

ENTRY_LIMIT = 8 * 1024 * 1024  # far above any real entry (the largest is ~0.3 MB)
_OWNED = hasattr(os, "geteuid")  # POSIX: ownership and mode bits mean something
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
    | getattr(os, "O_BINARY", 0)


def cache_dir(kind: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder for cached `kind` entries, created (mode 0700) if needed; None if caching is
    off, the folder cannot be made, or it or ``rtr-planner`` above it is not trustworthy."""
    env = os.environ if environ is None else environ
    if env.get("RTR_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = env.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
        directory = root / "rtr-planner" / kind
        root.mkdir(parents=True, exist_ok=True)
        for folder in (directory.parent, directory):  # each made private, not just the last
            folder.mkdir(exist_ok=True, mode=0o700)
        if not all(_trusted(os.lstat(d), stat.S_ISDIR) for d in (directory.parent, directory)):
            return None
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    return directory


def _trusted(st: os.stat_result, is_kind: object) -> bool:
    """True if `st` is of the expected kind (not a link) and `_owned`."""
    return is_kind(st.st_mode) and _owned(st)  # type: ignore[operator]


def _owned(st: os.stat_result) -> bool:
    """True if `st` is the current user's and writable by no one else."""
    return not _OWNED or (st.st_uid == os.geteuid() and not st.st_mode & 0o022)


def read_entry(directory: Path, name: str, limit: int = ENTRY_LIMIT) -> bytes | None:
    """The bytes of entry `name` in `directory` (a `cache_dir` result), or None if it is
    missing, too big, not an ordinary file, or it or either folder above it fails the checks.

    The folders and the file are opened one inside the other and checked on the open handles,
    so nothing can be swapped in between the check and the read.
    """
    handles: list[int] = []
    try:
        if not os.supports_dir_fd >= {os.open, os.stat}:
            return _read_by_path(directory / name, limit)
        handles.append(os.open(directory.parent.parent, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)))
        for part in (directory.parent.name, directory.name):
            handles.append(os.open(part, _DIR_FLAGS, dir_fd=handles[-1]))
            if not _trusted(os.fstat(handles[-1]), stat.S_ISDIR):
                return None
        handles.append(os.open(name, _FILE_FLAGS, dir_fd=handles[-1]))
        return read_handle(handles[-1], limit, _owned)
    except OSError:  # UnusableFile included: not ordinary, not the user's own, or too big
        return None
    finally:
        for handle in handles:
            os.close(handle)


def _read_by_path(path: Path, limit: int) -> bytes | None:
    """Where the OS cannot open relative to a folder handle (Windows): same checks, by path."""
    if not all(_trusted(os.lstat(d), stat.S_ISDIR) for d in (path.parent.parent, path.parent)):
        return None
    handle = os.open(path, _FILE_FLAGS)
    try:
        return read_handle(handle, limit, _owned)
    finally:
        os.close(handle)


def write_entry(directory: Path, name: str, data: bytes) -> None:
    """Store `data` as entry `name` atomically (a private temp file, then a rename); failures
    are ignored."""
    import tempfile  # only when storing, which is rare: it costs several ms to import

    try:
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(tmp, directory / name)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def package_stamp(root: Path = PACKAGE_ROOT) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every module of the package (what Python's own .pyc
    check compares): part of the template cache's key, so no template compiled by other code
    is ever used.

    The whole package counts, not a chosen few modules, so moving code from one module to
    another can never leave a cache trusting an entry that other code produced.
    """
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(folder, name)
            st = os.stat(path)
            found.append((os.path.relpath(path, root), st.st_size, st.st_mtime_ns))
    return tuple(found)
