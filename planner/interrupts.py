"""Signals during a run: SIGINT, SIGTERM and SIGHUP stop it as Ctrl-C does until its files are
in place, then are ignored, so what the command line reports always matches the folder.

No click here: `planner.cli.main` installs the handlers and maps the outcome to its one line.
"""

from __future__ import annotations

import sys
from typing import Any


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP stopped the run.

    A subclass, not KeyboardInterrupt itself: CPython marks a bare KeyboardInterrupt that
    passes through an `eval` (namedtuple makes one) as unhandled and then exits by SIGINT
    even after `main` has reported it and chosen exit code 1.
    """


class Interrupts:
    """SIGINT, SIGTERM and SIGHUP stop a run as Ctrl-C does (an exception, so the cleanup runs)
    until the plan files are in place; from then on, and once the outcome has been reported,
    they are ignored, so what the run says always matches the folder: the interrupt message
    or the summary of the files written."""

    def __init__(self) -> None:
        self.settled = False
        self.signum = 0

    def handle(self, signum: int, frame: Any) -> None:
        """The signal handler."""
        if not self.settled:
            self.signum = signum
            raise Interrupted

    def unraisable(self, info: Any) -> None:
        """`sys.unraisablehook`: an interrupt raised where Python cannot propagate it (a weakref
        callback in the import machinery, a `__del__`) would be printed and lost, and the run
        would go on. Send the signal to the main thread again, 10 ms later from a helper thread,
        so that it arrives once this callback is over (sent from here, or at once, it would
        land here again); a signal the main thread holds back stays held until the hold ends."""
        import signal
        import threading

        lost = isinstance(info.exc_value, Interrupted) and not self.settled
        if not (lost and hasattr(signal, "pthread_kill")):  # Windows has no pthread_kill
            sys.__unraisablehook__(info)
            return
        again = threading.Timer(0.01, signal.pthread_kill,
                                (threading.main_thread().ident, self.signum))
        again.daemon = True
        again.start()

    def written(self) -> None:
        """Called by the writer once the new set is in place."""
        self.settled = True


def caused_by_interrupt(exc: BaseException) -> bool:
    """True if an interrupt is behind `exc`: Python 3.11 wraps one raised while a class is
    being created (in `__set_name__`) in a RuntimeError, which then reaches `main` instead."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def install_handlers(handlers: Any) -> dict[int, Any]:
    """Set the handler of SIGINT, SIGTERM and SIGHUP (one function, or a dict from an earlier
    call); return the ones replaced. A signal the caller ignores (nohup, a background job)
    stays ignored; only the main thread may set handlers, so elsewhere nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    replaced = {}
    for number in (getattr(signal, name) for name in names):
        wanted = handlers.get(number) if isinstance(handlers, dict) else handlers
        if wanted is not None and signal.getsignal(number) != signal.SIG_IGN:
            replaced[number] = signal.signal(number, wanted)
    return replaced
