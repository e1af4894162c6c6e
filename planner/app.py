"""The library seam: one call makes a plan folder, the way the command line does.

`plan_folder` loads the protocol, builds the plan, revises its calendar against an earlier
plan in the folder, renders all six files in memory and only then writes them. The command
line, the worked examples, the benchmark and the tests all call it, so a roster or any later
command gets exactly what `rtr plan` does:

    from datetime import date
    from pathlib import Path
    from planner import PlanRequest, plan_folder

    for name, site, grade in [("Ana", "metatarsal", 2), ("Ben", "shin", 3)]:
        request = PlanRequest(site=site, grade=grade, start=date(2026, 12, 7), athlete=name)
        result = plan_folder(request, Path("squad") / name)
        print(result.plan.first_run, [p.name for p in result.written])

Every expected failure is a `planner.errors.PlannerError` (see there for which is which).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from planner.calendar.options import CalendarOptions
from planner.core.models import Plan, PlanRequest, Protocol
from planner.errors import OutputError
from planner.files.commit import check_targets, left_over
from planner.files.folder import OUTPUT_NAMES, check_out_dir, default_out_dir, write_outputs
from planner.files.lock import folder_lock
from planner.guide.clinic import Clinic

if TYPE_CHECKING:  # the calendar's revision code needs icalendar, imported when rendering
    from planner.calendar.history import CalendarHistory
    from planner.calendar.revision import Revision


class Result(NamedTuple):
    """What `plan_folder` did.

    `changes` counts what a regeneration changed in the calendar (``changed``, ``added``,
    ``cancelled``, ``unchanged``); it is None when the folder held no earlier calendar of the
    same plan.
    """

    plan: Plan
    out_dir: Path
    written: tuple[Path, ...]
    changes: dict[str, int] | None


class Rendered(NamedTuple):
    """All six files of a plan in memory, keyed by name, and the calendar's revision."""

    files: dict[str, bytes]
    revision: Revision


def plan_folder(request: PlanRequest, out_dir: Path | None = None,
                options: CalendarOptions | None = None, *, force: bool = False,
                templates: Sequence[Path] = (), clinic: Clinic | Path | None = None,
                today: date | None = None, fresh: bool = False,
                environ: Mapping[str, str] | None = None, protocol: Protocol | None = None,
                now: datetime | None = None,
                on_commit: Callable[[], None] | None = None) -> Result:
    """Build the plan for `request` and write its six files into `out_dir`.

    Args:
        request: what to plan (site, grade, start, athlete and preferences).
        out_dir: the folder; default a new one named from athlete, site and start.
        options: how the calendar shows the plan (timed sessions, reminders, name).
        force: replace the plan files in a non-empty folder (other files stay).
        templates: guide template override folders, searched before the built-in ones.
        clinic: the clinic branding, or the path of a clinic TOML file to read it from.
        today: bounds the start date to a year either side; None skips that check.
        fresh: ignore an earlier plan in the folder, so the calendar starts anew
            (SEQUENCE 0, nothing cancelled) instead of updating the earlier one.
        environ: where ``SOURCE_DATE_EPOCH`` is read for DTSTAMP (default the process's).
        protocol: the validated protocol (default the packaged one).
        now: the time stamped as LAST-MODIFIED on changed events (default the clock).
        on_commit: called as soon as the new set of six files is in place, with Ctrl-C and
            SIGTERM still held back (the command line uses it to finish and report the run
            rather than be interrupted once the files are written).

    Raises:
        PlannerError: a bad request or clinic file, a surgeon-led case, a broken template,
            or a folder that cannot be used (another run holds it, a folder is in the way
            of one of the six names); nothing is written then.
        KeyboardInterrupt: Ctrl-C (or SIGTERM, in the command line): the folder holds the
            whole earlier set, or, if the interrupt came as the files were being committed,
            the whole new one (see `on_commit`).
    """
    if isinstance(clinic, (str, Path)):
        from planner.guide.clinic import load_clinic  # tomllib only when a file is given

        clinic = load_clinic(Path(clinic))
    plan = build(request, protocol, today)
    folder = Path(out_dir) if out_dir is not None else default_out_dir(plan)
    if not left_over(folder):  # a folder a killed run left is first put right, under the lock
        check_out_dir(folder, force)  # refuse early, before the folder is even created
    # The lock spans reading the earlier plan.json to writing the new set: a second run on the
    # folder meanwhile is refused, so no run revises against files another is replacing.
    with folder_lock(folder):
        check_out_dir(folder, force)
        check_targets(folder, list(OUTPUT_NAMES))  # before plan.json is read: a FIFO would hang
        previous = None if fresh else read_previous_calendar(folder, plan)
        rendered = render_outputs(plan, default_stamp(plan, environ), options, previous,
                                  now or datetime.now(timezone.utc), templates=templates,
                                  clinic=clinic)
        written = write_outputs(folder, rendered.files, force=force, on_commit=on_commit)
    return Result(plan, folder, tuple(written), rendered.revision.counts)


def build(request: PlanRequest, protocol: Protocol | None = None,
          today: date | None = None) -> Plan:
    """The dated plan for `request` against `protocol` (default the packaged one)."""
    from planner.core.engine import build_plan
    from planner.core.protocol import load_protocol

    return build_plan(request, protocol or load_protocol(), today=today)


def render_outputs(plan: Plan, stamp: datetime, options: CalendarOptions | None = None,
                   previous: CalendarHistory | None = None, now: datetime | None = None, *,
                   templates: Sequence[Path] = (), clinic: Clinic | None = None) -> Rendered:
    """Render the calendar, both guides, plan.json and the two CSVs in memory.

    `stamp` is every event's DTSTAMP; `previous` and `now` revise the calendar against an
    earlier generation (see `planner.calendar.revision.revise`); `templates` and `clinic`
    go to the guides.
    """
    from planner.calendar.history import history_section
    from planner.calendar.ics import render_calendar
    from planner.calendar.revision import revise
    from planner.files.plan_json import to_json
    from planner.files.spreadsheets import to_csv, to_diary_csv
    from planner.guide.render import render_guides

    options = options or CalendarOptions()
    revision = revise(plan, options, previous, now)
    markdown, html = render_guides(plan, templates, clinic)
    files = {
        "plan.ics": render_calendar(plan, stamp, options, revision),
        "guide.md": markdown.encode("utf-8"),
        "guide.html": html.encode("utf-8"),
        "plan.json": to_json(plan, history_section(revision.history(), options)).encode("utf-8"),
        "plan.csv": to_csv(plan).encode("utf-8"),
        "diary.csv": to_diary_csv(plan).encode("utf-8"),
    }
    return Rendered(files, revision)


def read_previous_calendar(out_dir: Path, plan: Plan) -> CalendarHistory | None:
    """The calendar records of an earlier plan.json of the same plan in `out_dir`, if any.

    None when there is no plan.json, it has no calendar section, or it is another plan
    (athlete, site or start differ). A plan.json that cannot be read or parsed is an
    OutputError: regenerating over it would silently lose the event revisions.
    """
    from planner.calendar.uids import plan_uid
    from planner.files.plan_json import load_document, read_calendar_section

    path = out_dir / "plan.json"
    if not path.exists():
        return None
    try:
        found = read_calendar_section(load_document(path))
    except ValueError as exc:
        raise OutputError(f"{path} cannot be read as an rtr-planner plan.json ({exc}); "
                          "move it away or delete it, then run again.") from None
    if found is None or found[0].plan_id != plan_uid(plan):
        return None
    return found[0]


def default_stamp(plan: Plan, environ: Mapping[str, str] | None = None) -> datetime:
    """DTSTAMP for the calendar: SOURCE_DATE_EPOCH if set, else the protocol's release date.

    A fixed stamp keeps the output byte-identical for the same inputs.
    """
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    released = plan.protocol.released
    return datetime(released.year, released.month, released.day, tzinfo=timezone.utc)
