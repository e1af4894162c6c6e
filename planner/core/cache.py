"""The user's cache folder for rtr-planner, and a safe store of validated data in it.

Two things are worth keeping between runs of the command: the validated protocol (parsing the
TOML costs more than everything else `rtr sites` does) and the compiled guide templates
(`planner.template_cache`). Both live under ``$XDG_CACHE_HOME/rtr-planner`` (else
``~/.cache/rtr-planner``); ``RTR_NO_CACHE=1`` switches caching off. A cache is only ever a
speed-up: a folder or entry that cannot be created, read or written means the work is done as
if there were no cache, and nothing is reported.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def cache_dir(kind: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder for cached `kind` entries, created if needed; None if caching is off or
    the folder cannot be made."""
    env = os.environ if environ is None else environ
    if env.get("RTR_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = env.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
        directory = root / "rtr-planner" / kind
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    return directory


PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def package_stamp(root: Path = PACKAGE_ROOT) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every module of the package (what Python's own .pyc
    check compares): part of each cache key, so no entry made by other code is ever used.

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


class _Unpickler(pickle.Unpickler):
    """Rebuilds only the classes it is given, so a tampered entry cannot run other code."""

    def __init__(self, data: bytes, allowed: Mapping[tuple[str, str], type]) -> None:
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        """Return an allowed class; refuse everything else."""
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed here") from None


def load_entry(path: Path, allowed: Mapping[tuple[str, str], type]) -> Any | None:
    """The object stored at `path`, or None if it is missing, damaged or holds other classes."""
    try:
        return _Unpickler(path.read_bytes(), allowed).load()
    except Exception:  # pickle raises many kinds on damaged data; all mean "not cached"
        return None


def store_entry(path: Path, value: object) -> None:
    """Store `value` at `path` atomically (temp file + rename); failures are ignored."""
    import tempfile  # only when storing, which is rare: it costs several ms to import

    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
