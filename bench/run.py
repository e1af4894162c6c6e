"""Benchmark rtr-planner against fixed floors, in one run on one machine.

    python bench/run.py [--repeat 7] [--plans 1000] [--out bench/results.json]

Prints, and writes to a JSON file so versions can be compared:
- `rtr plan` end to end (all outputs) against `python -c "import click, jinja2, icalendar,
  dateutil.parser"` (goal: at most 1.25x);
- `rtr --help` and `rtr sites` against `python -c "import click"` (goal: under 1.5x);
- N plans built and rendered in one process, and split over every core, with peak memory;
- where the time of one plan goes (build, calendar, guides, JSON and CSV).
Times are medians of `--repeat` runs of a fresh process, alternating with the floor's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

PY = sys.executable
# The console script next to this interpreter, as a user runs it (falls back to -m planner).
RTR_SCRIPT = Path(sys.executable).with_name("rtr")
RTR = [str(RTR_SCRIPT)] if RTR_SCRIPT.exists() else [PY, "-m", "planner"]
PLAN_ARGS = ["plan", "--site", "metatarsal", "--grade", "2", "--name", "Bench"]


def paired_medians(argv: list[str], floor: list[str], repeat: int, cwd: Path,
                   extra_env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall times of `argv` and of `floor`, each run `repeat` times, alternating so a
    change in machine load affects both alike (after one warm-up run of each, which also
    fills the user's cache as any earlier run would)."""
    env = {**os.environ, **(extra_env or {})}
    # Some shells here set PYTHONDONTWRITEBYTECODE, which makes every start compile the
    # package from source (the floor's libraries have their .pyc from pip); an installed
    # rtr-planner has its .pyc too, so measure it that way.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ours: list[float] = []
    base: list[float] = []
    for round_ in range(repeat + 1):
        for command, times in ((argv, ours), (floor, base)):
            started = time.perf_counter()
            subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
            if round_:
                times.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(base)


def command_ratios(repeat: int) -> dict[str, dict[str, float]]:
    """End-to-end and start-up times of the CLI against their floors."""
    start = (date.today() + timedelta(days=1)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        plan = [*RTR, *PLAN_ARGS, "--start", start, "--out", "out", "--force"]
        floor = [PY, "-c", "import click, jinja2, icalendar, dateutil.parser"]
        rows = {
            "rtr plan": (plan, floor, {}),
            # A first run, or RTR_NO_CACHE=1: the protocol is parsed, the templates compiled.
            "rtr plan, no cache": (plan, floor, {"RTR_NO_CACHE": "1"}),
            "rtr --help": ([*RTR, "--help"], [PY, "-c", "import click"], {}),
            "rtr sites": ([*RTR, "sites"], [PY, "-c", "import click"], {}),
        }
        results = {}
        for name, (argv, floor, env) in rows.items():
            ours, base = paired_medians(argv, floor, repeat, cwd, env)
            results[name] = {"seconds": round(ours, 4), "floor_seconds": round(base, 4),
                             "ratio": round(ours / base, 2)}
        return results


def _requests(protocol, count: int):
    """`count` varied requests: every planned site, every grade, a new start date each."""
    from planner.core.models import PlanRequest

    sites = [s.id for s in protocol.sites if not s.referrals]
    return [PlanRequest(site=sites[i % len(sites)], grade=1 + i % 4,
                        start=date(2026, 1, 1) + timedelta(days=i), athlete=f"R{i}")
            for i in range(count)]


def in_process(plans: int) -> dict[str, float]:
    """Build and render `plans` plans in this process (all six files each, as `rtr plan`
    writes them); wall time and peak RSS."""
    from planner.app import build, default_stamp, render_outputs
    from planner.core.protocol import load_protocol

    protocol = load_protocol()
    requests = _requests(protocol, plans)
    started = time.perf_counter()
    for request in requests:
        plan = build(request, protocol)
        render_outputs(plan, default_stamp(plan, environ={}))
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"plans": plans, "seconds": round(elapsed, 3), "peak_rss_mb": round(peak_kb / 1024, 1)}


def _render_share(share: tuple[int, int]) -> int:
    """Build and render the plans `range(*share)` of `_requests` (one worker's part)."""
    from planner.app import build, default_stamp, render_outputs
    from planner.core.protocol import load_protocol

    protocol = load_protocol()
    requests = _requests(protocol, share[1])[share[0]:]
    for request in requests:
        plan = build(request, protocol)
        render_outputs(plan, default_stamp(plan, environ={}))
    return len(requests)


def on_all_cores(plans: int) -> dict[str, float]:
    """The plans of `in_process`, split evenly over one process per core (start-up included)."""
    from concurrent.futures import ProcessPoolExecutor

    cores = len(os.sched_getaffinity(0))
    bounds = [plans * i // cores for i in range(cores + 1)]
    started = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        done = sum(pool.map(_render_share, zip(bounds, bounds[1:])))
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"plans": done, "processes": cores, "seconds": round(elapsed, 3),
            "peak_rss_mb_per_process": round(peak_kb / 1024, 1)}


def per_plan_ms(plans: int) -> dict[str, float]:
    """Where the time of one plan goes, in milliseconds, averaged over `plans` plans."""
    from planner.app import default_stamp
    from planner.calendar.history import history_section
    from planner.calendar.ics import render_calendar
    from planner.calendar.options import CalendarOptions
    from planner.calendar.revision import revise
    from planner.core.engine import build_plan
    from planner.core.protocol import load_protocol
    from planner.files.plan_json import to_json
    from planner.files.spreadsheets import to_csv, to_diary_csv
    from planner.guide.render import render_guides

    protocol, options = load_protocol(), CalendarOptions()
    spent = dict.fromkeys(("build", "revise", "calendar", "guides", "json and csv"), 0.0)
    for request in _requests(protocol, plans):
        clock = time.perf_counter()
        plan = build_plan(request, protocol)
        clock = _add(spent, "build", clock)
        revision = revise(plan, options, None, None)
        clock = _add(spent, "revise", clock)  # the events' content and fingerprints
        render_calendar(plan, default_stamp(plan, environ={}), options, revision)
        clock = _add(spent, "calendar", clock)
        render_guides(plan)
        clock = _add(spent, "guides", clock)
        to_json(plan, history_section(revision.history(), options))
        to_csv(plan), to_diary_csv(plan)
        _add(spent, "json and csv", clock)
    return {name: round(total * 1000 / plans, 2) for name, total in spent.items()}


def _add(spent: dict[str, float], name: str, since: float) -> float:
    """Add the time since `since` to `spent[name]`; return the current time."""
    now = time.perf_counter()
    spent[name] += now - since
    return now


def main() -> None:
    """Run every measurement, print a table and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    report = {
        "version": version("rtr-planner"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "commands": command_ratios(args.repeat),
        "in_process": in_process(args.plans),
        "all_cores": on_all_cores(args.plans),
        "per_plan_ms": per_plan_ms(min(args.plans, 200)),
    }
    for name, row in report["commands"].items():
        print(f"{name:<18} {row['seconds']:.3f} s   floor {row['floor_seconds']:.3f} s   "
              f"ratio {row['ratio']:.2f}")
    bulk = report["in_process"]
    print(f"{bulk['plans']} plans in one process: {bulk['seconds']:.2f} s, "
          f"peak RSS {bulk['peak_rss_mb']} MB")
    cores = report["all_cores"]
    print(f"{cores['plans']} plans on {cores['processes']} processes: {cores['seconds']:.2f} s, "
          f"peak RSS {cores['peak_rss_mb_per_process']} MB per process")
    print("per plan: " + ", ".join(f"{k} {v:.1f} ms" for k, v in report["per_plan_ms"].items()))
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
