"""Reading a file the user points at without hanging or reading forever.

plan.json in a folder regenerated with --force, the --clinic TOML file, its logo and the
--templates overrides are all named by the user, and any of them may be a named pipe (an
ordinary open() waits for a writer that never comes), a device such as /dev/zero (a read never
ends) or a folder. So the file is opened without blocking, checked on the open handle to be an
ordinary file (fstat: nothing can be swapped in between the check and the read), and read only
up to a limit. The cache's reader (`planner.core.cache`) reads its entries through the same
`read_handle`, adding an ownership check that files the user names do not need.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class UnusableFile(OSError):
    """The file can be opened but is not one to read: not an ordinary file, or too large.

    An OSError, so callers that already turn read failures into one line handle it too; its
    text says what is wrong, e.g. ``it is a named pipe, not an ordinary file``; `too_large`
    tells a file over the limit from one of the wrong kind.
    """

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def read_user_file(path: Path, limit: int) -> bytes:
    """The bytes of the ordinary file at `path`, at most `limit` of them.

    Raises:
        UnusableFile: `path` is a folder, pipe, device or socket, or holds more than `limit`
            bytes.
        OSError: it cannot be opened or read (missing, no permission …).
    """
    handle = os.open(path, _FLAGS)
    try:
        return read_handle(handle, limit)
    finally:
        os.close(handle)


def read_handle(handle: int, limit: int,
                trusted: Callable[[os.stat_result], bool] | None = None) -> bytes:
    """The bytes of the open file `handle`, at most `limit` of them, checked on the handle
    itself: an ordinary file and, if `trusted` is given, one it accepts. The caller closes it.

    Raises:
        UnusableFile: not an ordinary file, not `trusted`, or more than `limit` bytes.
        OSError: it cannot be read.
    """
    st = os.fstat(handle)
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a file")
        raise UnusableFile(f"it is {kind}, not an ordinary file")
    if trusted is not None and not trusted(st):
        raise UnusableFile("it is not a file this program may trust")
    chunks, size = [], 0
    while size <= limit:  # read() may return less than asked; stop one byte past the cap
        chunk = os.read(handle, limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise UnusableFile(f"it is larger than {_size(limit)}", too_large=True)
    return b"".join(chunks)


def _size(limit: int) -> str:
    """``100 bytes``, ``64 KB``, ``16 MB``."""
    if limit < 1024:
        return f"{limit} bytes"
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
