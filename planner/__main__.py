"""`python -m planner` and the `rtr` console script.

The entry point lives here, not in `planner.cli`, so that a Ctrl-C while the command line's
modules are still loading (click, then the command's own imports) ends with one line and the
conventional exit code 130 instead of a traceback: nothing has been read or written yet.
"""

import sys


def run() -> None:
    """Load the command line and run it; an interrupt while loading exits 130."""
    try:
        from planner.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted while starting; nothing was written.\n")
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
