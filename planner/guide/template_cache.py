"""Keep compiled guide templates between runs, so `rtr plan` does not recompile them each time.

Compiling the guide templates costs about 50 ms of a ~235 ms run, and every command-line run
starts from nothing. Jinja can keep compiled code in a bytecode cache; this one lives in the
user's cache folder and is only ever a speed-up: an entry that cannot be read or written just
means a recompile.

Jinja's own file cache reads each entry's header with ``pickle.load``, so a planted file runs
code before any check. This one never unpickles: an entry is a fixed text header (format,
Jinja's bytecode magic, the checksum) followed by the marshalled code, and it is read only
through `planner.core.cache.read_entry`, which refuses entries that are not the current
user's own ordinary files in the user's own private folders. The checksum covers the
template's source and the environment settings that change compiled code, so an entry is
only used for exactly what it was compiled from.
"""

from __future__ import annotations

import hashlib
import marshal
import types
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, bc_magic

from planner.core.cache import cache_dir, read_entry, write_entry

_FORMAT = b"rtr-planner compiled template 2\n"


class TemplateCache(jinja2.BytecodeCache):
    """A bytecode cache in a checked folder, with no pickle and checksums that include
    `settings`."""

    def __init__(self, directory: Path, settings: str) -> None:
        self._directory = directory
        self._settings = settings

    def get_source_checksum(self, source: str) -> str:
        """Checksum of a template's source together with the environment settings."""
        return hashlib.sha256(f"{self._settings}\n{source}".encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill `bucket` from the cache; a missing, foreign or damaged entry is ignored."""
        data = read_entry(self._directory, _entry_name(bucket))
        header = _header(bucket)
        if data is None or not data.startswith(header):
            return
        try:
            code = marshal.loads(data[len(header):])
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(code, types.CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Store `bucket`; a read-only or full disk only costs the speed-up."""
        if bucket.code is not None:
            write_entry(self._directory, _entry_name(bucket),
                        _header(bucket) + marshal.dumps(bucket.code))


def _entry_name(bucket: Bucket) -> str:
    return f"{bucket.key}.jinja"


def _header(bucket: Bucket) -> bytes:
    """What an entry must start with: this format, Jinja's and Python's bytecode versions
    (Jinja's magic) and the checksum of what it was compiled from."""
    return b"%s%s\n%s\n" % (_FORMAT, bc_magic.hex().encode("ascii"),
                            bucket.checksum.encode("ascii"))


def template_cache(settings: str) -> TemplateCache | None:
    """The cache for templates compiled with `settings`, or None if caching is off or unusable."""
    directory = cache_dir("templates")
    return None if directory is None else TemplateCache(directory, settings)
