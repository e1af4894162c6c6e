"""The library seam: one call makes a plan folder, the way the command line does.

`plan_folder` loads the protocol, builds the plan, revises its calendar against an earlier
plan in the folder, renders all six files in memory and only then writes them. The command
line, the worked examples, the benchmark and the tests all call it, so a roster or any later
command gets exactly what `rtr plan` does:

    from datetime import date
    from pathlib import Path
    from planner import PlanRequest, plan_folder

    for name, site, grade in [("Ana", "metatarsal", 2), ("Ben", "tibia-posteromedial", 3)]:
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
from planner.errors import OutputError, RequestError
from planner.files.commit import check_targets, left_over
from planner.files.folder import OUTPUT_NAMES, check_out_dir, default_out_dir, write_outputs
from planner.files.lock import folder_lock
from planner.guide.clinic import Clinic

if TYPE_CHECKING:  # the calendar's revision code needs icalendar, imported when rendering
    from planner.calendar.history import CalendarHistory
    from planner.calendar.revision import Revision


MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


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
                now: datetime | None = None, plan_id: str | None = None,
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
        fresh: start a new calendar instead of updating the folder's earlier one: a new
            plan id (so new UIDs), SEQUENCE 0, nothing cancelled.
        environ: where ``SOURCE_DATE_EPOCH`` is read for DTSTAMP (default the process's).
        protocol: the validated protocol (default the packaged one).
        now: the time stamped as LAST-MODIFIED on changed events (default the clock).
        plan_id: the calendar's identity for a new plan (16 hex digits); default the one
            the folder's plan.json keeps, or for a new folder one derived from the request
            and the folder (`planner.calendar.uids.new_plan_id`).
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
        previous, plan_id = calendar_identity(plan, folder, fresh, plan_id)
        rendered = render_outputs(plan, default_stamp(plan, environ), options, previous,
                                  now or datetime.now(timezone.utc), templates=templates,
                                  clinic=clinic, plan_id=plan_id)
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
                   templates: Sequence[Path] = (), clinic: Clinic | None = None,
                   plan_id: str | None = None) -> Rendered:
    """Render the calendar, both guides, plan.json and the two CSVs in memory.

    `stamp` is every event's DTSTAMP; `previous` and `now` revise the calendar against an
    earlier generation and `plan_id` is the calendar's identity (see
    `planner.calendar.revision.revise`); `templates` and `clinic` go to the guides.
    """
    from planner.calendar.history import history_section
    from planner.calendar.ics import render_calendar
    from planner.calendar.revision import revise
    from planner.files.plan_json import to_json
    from planner.files.spreadsheets import to_csv, to_diary_csv
    from planner.guide.render import render_guides

    options = options or CalendarOptions()
    revision = revise(plan, options, previous, now, plan_id)
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


def read_previous_calendar(out_dir: Path, *, ignore_errors: bool = False
                           ) -> CalendarHistory | None:
    """The calendar records of the earlier plan.json in `out_dir`, if any.

    Whoever the earlier plan was for, its calendar is the folder's: a regeneration keeps its
    identity even when the name, site or start changed. None when there is no plan.json or
    it has no calendar section. A plan.json that cannot be read or parsed is an OutputError,
    since regenerating over it would silently lose the event revisions, unless
    `ignore_errors` (a fresh start).
    """
    from planner.files.plan_json import load_document, read_calendar_section

    path = out_dir / "plan.json"
    if not path.exists():
        return None
    try:
        found = read_calendar_section(load_document(path))
    except ValueError as exc:
        if ignore_errors:
            return None
        raise OutputError(f"{path} cannot be read as an rtr-planner plan.json ({exc}); "
                          "move it away or delete it, then run again.") from None
    return None if found is None else found[0]


def calendar_identity(plan: Plan, folder: Path, fresh: bool, plan_id: str | None
                      ) -> tuple[CalendarHistory | None, str]:
    """The earlier calendar to revise against (None for a fresh start) and the identity of
    the new one: `plan_id` if given, else the earlier plan's, else a new one for `folder`."""
    earlier = read_previous_calendar(folder, ignore_errors=fresh)
    previous = None if fresh else earlier
    if plan_id is None:
        plan_id = previous.plan_id if previous is not None else \
            folder_plan_id(plan, folder, None if earlier is None else earlier.plan_id)
    return previous, plan_id


def folder_plan_id(plan: Plan, folder: Path, replaces: str | None = None) -> str:
    """The identity of a new plan in `folder` (see `planner.calendar.uids.new_plan_id`)."""
    from planner.calendar.uids import new_plan_id
    from planner.files.plan_json import request_section

    # The path's bytes, as the file system has them: under a C locale a UTF-8 name arrives
    # as surrogate escapes, which JSON text cannot hold.
    where = os.fsencode(os.path.abspath(folder)).decode("utf-8", "backslashreplace")
    return new_plan_id(request_section(plan), where, replaces)


def default_stamp(plan: Plan, environ: Mapping[str, str] | None = None) -> datetime:
    """DTSTAMP for the calendar: SOURCE_DATE_EPOCH if set, else the protocol's release date.

    A fixed stamp keeps the output byte-identical for the same inputs.

    Raises:
        RequestError: SOURCE_DATE_EPOCH is set but is not ASCII digits for a moment up to the
            end of the year 9999 (the reproducible-builds specification asks tools to stop
            rather than guess).
    """
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        # isdigit() alone accepts "²" and other digits int() refuses; the cap keeps the year
        # within what datetime and the calendar can write.
        if not (epoch.isascii() and epoch.isdigit()) or int(epoch) > MAX_EPOCH:
            raise RequestError("SOURCE_DATE_EPOCH", f"{epoch!r} is not a whole number of "
                               f"seconds since 1970-01-01 UTC from 0 to {MAX_EPOCH} (the end "
                               "of 9999); fix it or unset it.")
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    released = plan.protocol.released
    return datetime(released.year, released.month, released.day, tzinfo=timezone.utc)
