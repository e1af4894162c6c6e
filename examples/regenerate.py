"""Regenerate the worked examples in this folder from examples/cases.toml.

Run from anywhere:  python examples/regenerate.py  [--out DIR] [--screenshots]
The outputs use the protocol's release date as DTSTAMP, so they are byte-stable.
--screenshots also saves guide.png (the top of guide.html at 1280 px, taken with Debian's
headless Chromium); screenshots depend on the browser and fonts, so no test compares them.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import tomllib
from pathlib import Path

from planner.app import plan_folder
from planner.core.models import PlanRequest
from planner.core.names import WEEKDAYS
from planner.core.protocol import load_protocol

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
        folder = out_root / case["folder"]
        # Examples must be reproducible: the stamp ignores SOURCE_DATE_EPOCH (environ={}) and
        # each is a first generation (fresh), not a revision of the committed files,
        # under its fixed identity.
        plan_folder(request, folder, force=True, fresh=True, environ={}, protocol=protocol,
                    plan_id=case["plan_id"])
        folders.append(folder)
    return folders


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def screenshot(folder: Path, width: int = 1280, height: int = 2200) -> Path:
    """Save the top of `folder`/guide.html as `folder`/guide.png."""
    target = folder / "guide.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={target}",
                        (folder / "guide.html").resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    parser.add_argument("--screenshots", action="store_true", help="also save guide.png")
    args = parser.parse_args()
    for folder in regenerate(args.out):
        print(f"wrote {folder}")
        if args.screenshots:
            print(f"wrote {screenshot(folder)}")
