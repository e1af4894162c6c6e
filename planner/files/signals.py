"""Holding Ctrl-C and SIGTERM back while the plan folder changes, so no change is cut in two.

A run is interruptible while it reads and renders; only the short stretches that change the
folder (taking its lock, writing the six files, cleaning up) hold the signals, which are then
delivered as soon as the stretch ends. Where `signal.pthread_sigmask` is missing (Windows)
nothing is held, and the writer's rollback covers an interrupt part-way instead.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextmanager
def held() -> Iterator[None]:
    """Block SIGINT, SIGTERM and SIGHUP in this thread for the block; a signal that arrived
    meanwhile is delivered (as KeyboardInterrupt, say) when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def shielded(action: Callable[[], None]) -> None:
    """Run the cleanup `action` (it must be safe to run twice) to its end even if Ctrl-C lands
    just before the signals are held: then it runs again, held, and the Ctrl-C is raised after."""
    late: KeyboardInterrupt | None = None
    for _ in range(3):
        try:
            with held():
                action()
            break
        except KeyboardInterrupt as exc:
            late = exc
    if late is not None:
        raise late
