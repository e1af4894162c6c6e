"""Regenerate the worked examples in this folder from examples/cases.toml.

Run from anywhere:  python examples/regenerate.py  [--out DIR]
The outputs use the protocol's release date as DTSTAMP, so they are byte-stable.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from planner.engine import build_plan
from planner.models import WEEKDAYS, PlanRequest
from planner.outputs import default_stamp, render_all, write_outputs
from planner.protocol import load_protocol

HERE = Path(__file__).resolve().parent


def load_cases() -> list[dict]:
    """The example cases, as written in cases.toml."""
    return tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]


def regenerate(out_root: Path = HERE) -> list[Path]:
    """Write every example's files under `out_root/<folder>/`; return the folders."""
    protocol = load_protocol()
    folders = []
    for case in load_cases():
        request = PlanRequest(
            site=case["site"], grade=case["grade"], start=case["start"],
            athlete=case["athlete"],
            rest_days=(WEEKDAYS.index(case.get("rest_day", "sunday")),),
        )
        plan = build_plan(request, protocol)
        folder = out_root / case["folder"]
        # Stamp from the environment is ignored on purpose: examples must be reproducible.
        write_outputs(folder, render_all(plan, default_stamp(plan, environ={})), force=True)
        folders.append(folder)
    return folders


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    for folder in regenerate(parser.parse_args().out):
        print(f"wrote {folder}")
