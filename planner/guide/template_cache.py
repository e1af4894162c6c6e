"""Keep compiled guide templates between runs, so `rtr plan` does not recompile them each time.

Compiling the guide templates takes several times longer than rendering them (about 90 ms
against 20 ms), and every command-line run starts from nothing. Jinja can keep compiled code
in a bytecode cache; this one lives in the user's cache folder (see `planner.cache`) and is
only ever a speed-up: an entry that cannot be read or written just means a recompile.

There is one entry per template file, replaced when it goes stale. Jinja checks an entry's
Python and bytecode versions and a checksum, which here covers the template's source and the
environment settings that change compiled code, so an entry is only used for exactly what it
was compiled from.
"""

from __future__ import annotations

import hashlib

import jinja2

from planner.core.cache import cache_dir


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """A bytecode cache whose failures are silent and whose checksums include `settings`."""

    def __init__(self, directory: str, settings: str) -> None:
        super().__init__(directory, "%s.jinja")
        self._settings = settings

    def get_source_checksum(self, source: str) -> str:
        """Checksum of a template's source together with the environment settings."""
        return hashlib.sha256(f"{self._settings}\n{source}".encode("utf-8")).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill `bucket` from the cache; an unreadable or damaged entry is ignored."""
        try:
            super().load_bytecode(bucket)
        except Exception:  # marshal raises many kinds on damaged data; all mean "recompile"
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Store `bucket`; a read-only or full disk only costs the speed-up."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache(settings: str) -> TemplateCache | None:
    """The cache for templates compiled with `settings`, or None if caching is off or unusable."""
    directory = cache_dir("templates")
    return None if directory is None else TemplateCache(str(directory), settings)
