"""Render every output of a plan in memory, then write them safely into one folder.

Everything is rendered before anything is written, and each file goes to a temporary name in
the target folder first and is renamed into place, so a failure never leaves a half-written
calendar or guide behind.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from planner.calendar.options import CalendarHistory, CalendarOptions
from planner.guide.clinic import Clinic
from planner.errors import OutputError
from planner.core.models import Plan

if TYPE_CHECKING:
    from planner.calendar.ics import Revision

OUTPUT_NAMES = ("plan.ics", "guide.md", "guide.html", "plan.json", "plan.csv", "diary.csv")


def default_stamp(plan: Plan, environ: dict[str, str] | None = None) -> datetime:
    """DTSTAMP for the calendar: SOURCE_DATE_EPOCH if set, else the protocol's release date.

    A fixed stamp keeps the output byte-identical for the same inputs.
    """
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    released = plan.protocol.released
    return datetime(released.year, released.month, released.day, tzinfo=timezone.utc)


def render_all(plan: Plan, stamp: datetime, options: CalendarOptions | None = None,
               previous: CalendarHistory | None = None,
               now: datetime | None = None, *, templates: Sequence[Path] = (),
               clinic: Clinic | None = None) -> dict[str, bytes]:
    """Render the calendar, both guides, the JSON and the CSV, keyed by file name.

    `options`, `previous` and `now` are passed to the calendar (see `planner.calendar.ics.revise`);
    `templates` (override folders, searched first) and `clinic` to the guides.
    """
    return render_plan(plan, stamp, options, previous, now, templates=templates, clinic=clinic)[0]


def render_plan(plan: Plan, stamp: datetime, options: CalendarOptions | None = None,
                previous: CalendarHistory | None = None,
                now: datetime | None = None, *, templates: Sequence[Path] = (),
                clinic: Clinic | None = None) -> tuple[dict[str, bytes], Revision]:
    """Like `render_all`, also returning the calendar's `planner.calendar.ics.Revision` (its counts)."""
    from planner.files.plan_json import calendar_section, to_csv, to_diary_csv, to_json
    from planner.calendar.ics import render_calendar, revise
    from planner.guide.render import render_guides

    options = options or CalendarOptions()
    revision = revise(plan, options, previous, now)
    calendar = calendar_section(revision.history(), options)
    markdown, html = render_guides(plan, templates, clinic)
    files = {
        "plan.ics": render_calendar(plan, stamp, options, revision),
        "guide.md": markdown.encode("utf-8"),
        "guide.html": html.encode("utf-8"),
        "plan.json": to_json(plan, calendar).encode("utf-8"),
        "plan.csv": to_csv(plan).encode("utf-8"),
        "diary.csv": to_diary_csv(plan).encode("utf-8"),
    }
    return files, revision


def read_previous_calendar(out_dir: Path, plan: Plan) -> CalendarHistory | None:
    """The calendar records of an earlier plan.json of the same plan in `out_dir`, if any.

    None when there is no plan.json, it has no calendar section, or it is another plan
    (athlete, site or start differ). A plan.json that cannot be read or parsed is an
    OutputError: regenerating over it would silently lose the event revisions.
    """
    from planner.files.plan_json import read_calendar_section
    from planner.calendar.ics import plan_uid

    path = out_dir / "plan.json"
    if not path.exists():
        return None
    try:
        found = read_calendar_section(_load_json(path))
    except ValueError as exc:
        raise OutputError(f"{path} cannot be read as an rtr-planner plan.json ({exc}); "
                          "move it away or delete it, then run again.") from None
    if found is None or found[0].plan_id != plan_uid(plan):
        return None
    return found[0]


def _load_json(path: Path) -> object:
    """Parse a JSON file; every way it can fail becomes a ValueError with a short reason."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"it is not valid JSON: {exc}") from None


def slug(text: str, limit: int = 40) -> str:
    """A safe, readable folder-name part: ASCII letters, digits and hyphens only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].strip("-")


def default_out_dir(plan: Plan) -> Path:
    """Folder named from the athlete, site and start date, e.g. ``ana-metatarsal-2026-03-02``."""
    who = slug(plan.request.athlete) or "runner"
    return Path(f"{who}-{plan.site.id}-{plan.request.start.isoformat()}")


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse an output path that is a file, or a non-empty folder without --force."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file, not a folder; choose another --out.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputError(
            f"folder {out_dir} already exists and is not empty; use --force to replace the "
            "plan files in it, or choose another --out."
        )


def write_outputs(out_dir: Path, files: dict[str, bytes], force: bool = False) -> list[Path]:
    """Write `files` into `out_dir`; --force replaces only these files, nothing else.

    All files are first written to temporary names, then renamed into place together, so an
    error or Ctrl-C part-way leaves either the old files or the new ones, never a fragment.
    """
    check_out_dir(out_dir, force)
    created = not out_dir.exists()
    staged: list[tuple[str, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            staged.append((_stage(out_dir, name, data), out_dir / name))
        for tmp, final in staged:
            os.replace(tmp, final)
    except OSError as exc:
        _discard(staged, out_dir if created else None)
        raise OutputError(f"cannot write to {out_dir}: {exc.strerror or exc}.") from exc
    except BaseException:
        _discard(staged, out_dir if created else None)
        raise
    return [final for _, final in staged]


def _discard(staged: list[tuple[str, Path]], created_dir: Path | None) -> None:
    """Remove temporary files, and the folder too if this run created it and it is empty."""
    for tmp, _ in staged:
        Path(tmp).unlink(missing_ok=True)
    if created_dir is not None and created_dir.is_dir() and not any(created_dir.iterdir()):
        created_dir.rmdir()


def _file_mode() -> int:
    """0o666 less the process umask, the mode an ordinary open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(out_dir: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates files readable by the owner only; plans are shared documents.
        os.chmod(tmp, _file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp
