"""The `rtr` command: parse options, call the core, write files, map errors to exit codes.

Exit codes: 0 success; 1 a refusal or I/O problem (surgeon-led case, output folder in the way,
bad protocol, a file given that cannot be read, standard output that cannot be written); 2 a
usage error (unknown site, bad grade, bad or ambiguous date, an argument that is not UTF-8, a
bad SOURCE_DATE_EPOCH); 130 Ctrl-C while the command is still loading (`planner.__main__`).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import importlib
import sys
from datetime import date, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from planner.errors import PlannerError, RequestError
from planner.interrupts import Interrupts, caused_by_interrupt, install_handlers
from planner.terminal import (
    NotText,
    os_path,
    path_text,
    print_plainly,
    release_stdout,
    text_arguments,
)

if TYPE_CHECKING:
    from planner.calendar.options import CalendarOptions


class ParsedType(click.ParamType):
    """An option value parsed by a core function, whose RequestError becomes a usage error.

    The parser's module is imported on first use, so ``--help`` and ``rtr sites`` never load
    date or zone handling.
    """

    def __init__(self, name: str, module: str, function: str, *args: str):
        self.name = name
        self._where = (module, function)
        self._args = args

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        """Parse the text; anything already parsed passes through."""
        if not isinstance(value, str):
            return value
        module, function = self._where
        parse = getattr(importlib.import_module(module), function)
        try:
            return parse(value, *self._args)
        except RequestError as exc:
            self.fail(str(exc), param, ctx)


class OsPath(click.Path):
    """A path option: UTF-8 text turned into the name the operating system gets, so a
    non-ASCII name works under any locale (see `planner.terminal.os_path`); never empty."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        """Refuse an empty name (it would mean the current folder), then check as click does."""
        if isinstance(value, str):
            if not value.strip():
                self.fail("the path is empty; give a folder or file name.", param, ctx)
            value = os_path(value)
        return super().convert(value, param, ctx)


REQUEST, CALENDAR = "planner.core.request", "planner.calendar.options"
GRADE = ParsedType("1-4", REQUEST, "parse_grade")
DATE = ParsedType("date", REQUEST, "parse_date")
WEEKDAYS = ParsedType("days", REQUEST, "parse_weekdays", "days")
WORDS = ParsedType("list", REQUEST, "parse_words")
MINUTES = ParsedType("minutes", REQUEST, "parse_minutes", "usual_minutes")
TIME = ParsedType("HH:MM", CALENDAR, "parse_time")
ZONE = ParsedType("zone", CALENDAR, "parse_tz")
REMINDER = ParsedType("30m|1h|none", CALENDAR, "parse_reminder")
CALENDAR_NAME = ParsedType("text", CALENDAR, "parse_calendar_name")


def _reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map planner errors to click errors in one place: usage (2) or refusal/I/O (1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RequestError as exc:
            raise click.BadParameter(str(exc), param_hint=_hint(exc.param)) from None
        except PlannerError as exc:
            if caused_by_interrupt(exc):  # a library turned the interrupt into its own error
                raise click.Abort() from exc
            raise click.ClickException(str(exc)) from None

    return wrapper


def _hint(param: str) -> str:
    """How a message names the bad value: ``'--run-days'``, or an environment variable as is."""
    return param if param.isupper() else f"'--{param.replace('_', '-')}'"


def say(text: str, done: str = "") -> None:
    """Print `text` on standard output; if that fails (a full disk, a closed pipe) it is an
    error (exit 1) that says what was `done` all the same, e.g. that the files were written."""
    try:
        click.echo(text)
    except OSError as exc:
        release_stdout()
        raise click.ClickException(f"cannot print to standard output ({exc.strerror or exc})"
                                   f"{done}.") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rtr-planner", prog_name="rtr")
def cli() -> None:
    """Return-to-run plans after a bone stress injury: calendar, guide and data."""


_INTERRUPTS = Interrupts()


def main(args: list[str] | None = None) -> None:
    """Console entry point: errors become one 'Error: …' line and exit code 2 or 1.

    Printing replaces what the terminal's encoding cannot show, and every argument must be
    UTF-8 text (see `planner.terminal`). Run as the program (`args` None) the signal handlers
    stay to the end of the process, so a late Ctrl-C cannot print a traceback under the result;
    called with `args` (in-process, as the tests do) it puts the caller's handlers back.
    """
    global _INTERRUPTS
    print_plainly()
    _INTERRUPTS = Interrupts()
    previous, previous_hook = install_handlers(_INTERRUPTS.handle), sys.unraisablehook
    sys.unraisablehook = _INTERRUPTS.unraisable
    try:
        cli.main(args=_arguments(args), prog_name="rtr", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        click.echo(f"Error: {_one_line(exc)}", err=True)
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        _report_interrupt()
    except OSError as exc:  # printing --help or --version failed; the commands print by say()
        if caused_by_interrupt(exc):
            _report_interrupt()
        release_stdout()
        click.echo(f"Error: input/output failed: {exc.strerror or exc}.", err=True)
        raise SystemExit(1) from None
    except Exception as exc:
        if not caused_by_interrupt(exc):
            raise
        _report_interrupt()
    finally:
        _INTERRUPTS.settled = True
        if args is not None:
            install_handlers(previous)
            sys.unraisablehook = previous_hook


def _report_interrupt() -> None:
    """The one line for a run stopped before its files were in place (exit 1)."""
    click.echo("Error: interrupted; nothing was written, any earlier plan files are unchanged.",
               err=True)
    raise SystemExit(1) from None


def _arguments(args: list[str] | None) -> list[str]:
    """The command line as UTF-8 text; an argument that is not is a usage error naming it."""
    given = sys.argv[1:] if args is None else list(args)
    try:
        return text_arguments(given)
    except NotText as exc:
        raise click.UsageError(f"{_which(given, exc.index)} ({exc.shown!r}) is not valid UTF-8 "
                               "text; check the encoding of the terminal or script that passed "
                               "it.") from None


def _which(given: list[str], index: int) -> str:
    """Name argument `index` the way a user typed it: ``the value of --name`` or ``argument 3``."""
    arg = given[index]
    if arg.startswith("--") and "=" in arg:  # --name=VALUE
        return f"the value of {arg.split('=', 1)[0]}"
    if index and given[index - 1].startswith("-"):  # --name VALUE
        return f"the value of {given[index - 1]}"
    return f"argument {index + 1}"


def _one_line(exc: click.ClickException) -> str:
    """The error message on one line; usage errors point at --help."""
    message = exc.format_message()
    plain_bad_value = isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter)
    if isinstance(exc, click.UsageError) and not plain_bad_value and exc.ctx is not None:
        message = f"{message} (see '{exc.ctx.command_path} --help')"
    return " ".join(message.split())


@cli.command("plan")
@click.option("--site", required=True,
              help="Injury site id or alias, e.g. metatarsal, shin, pelvis (see 'rtr sites').")
@click.option("--grade", required=True, type=GRADE,
              help='MRI grade 1-4: 1 least oedema … 4 fracture line visible (any line counts as 4).')
@click.option("--start", required=True, type=DATE,
              help=('First day of the plan: ISO (2026-12-07) or written out (7 December 2026); '
                    'numeric dates such as 03/04/2026 are refused as ambiguous; at most 366 days '
                    'before or after today; a start in the past is written with a warning.'))
@click.option("--name", default="Runner", show_default=True,
              help="Athlete's name, shown in the guide and the calendar.")
@click.option("--out", type=OsPath(path_type=Path),
              help="Output folder [default: NAME-SITE-START, e.g. ana-metatarsal-2026-12-07].")
@click.option("--force", is_flag=True,
              help=('Replace the plan files in an existing, non-empty output folder; other files '
                    'in it are left alone.'))
@click.option("--new-calendar", is_flag=True,
              help=("With --force over an earlier plan: start a new calendar (new event IDs, "
                    "nothing cancelled) instead of updating the earlier one, which keeps its "
                    "identity whatever changes; remove the old calendar from the runner's app, "
                    "or it shows both."))
@click.option("--rest-day", "rest_days", type=WEEKDAYS, default="sun", show_default=True,
              help='Weekly full rest day(s), comma-separated, e.g. sat,sun; at most three.')
@click.option("--run-days", type=WEEKDAYS,
              help=('Weekdays allowed for run and impact days, e.g. mon,wed,fri [default: any]. '
                    'Three a week are needed, never on consecutive days (Sunday counts as next to'
                    ' Monday); a choice that cannot be kept safely, e.g. mon,tue, is refused '
                    '(exit 2).'))
@click.option("--week-start", type=click.Choice(["mon", "sun"], case_sensitive=False),
              default="mon", show_default=True,
              help="First day of each row in the guide's week table and of each plan week.")
@click.option("--cross", type=WORDS,
              help=('Preferred cross-training, comma-separated: bike, swim, pool (deep-water '
                    'running), elliptical, rower, upper-body; used in turn only where the phase '
                    'allows it (while non-weight-bearing only pool, swim and upper-body; the '
                    "elliptical only once walking is pain-free), otherwise the phase's default."))
@click.option("--bodyweight-support", is_flag=True,
              help=('The runner has an anti-gravity treadmill: the first six walk/run weeks are '
                    'done on it at 50, 60 … 100% of body weight, then on the ground.'))
@click.option("--usual-minutes", type=MINUTES,
              help=("The runner's usual weekly running before the injury, in minutes, 30-900, "
                    "e.g. 240. The last phase raises weekly running by at most 10% a week to "
                    "about 75% of it, where normal training may resume, then ends with a "
                    "clinician review [default: 180, four runs of 45 min: what the Brigham and "
                    "Women's intermediate stress-fracture schedule settles at, so a runner who "
                    "gives no figure is never taken past a published schedule]."))
@click.option("--cleared-by",
              help=('For a surgeon-led case: who cleared the runner for conservative rehab, e.g. '
                    "'Dr Lee, 2026-12-01'; printed in the guide and the calendar."))
@click.option("--time", "at", type=TIME,
              help=('Make training sessions timed events starting at this local time, '
                    "00:00-23:59, e.g. 07:00; each lasts the session's total minutes. Needs --tz."
                    ' Rest days stay all-day [default: every day an all-day event].'))
@click.option("--tz", type=ZONE,
              help=('IANA time zone of --time, e.g. Europe/London, Australia/Sydney, UTC (any '
                    'name zoneinfo knows; case does not matter). Needs --time. An unknown name is'
                    ' refused with up to three close matches.'))
@click.option("--reminder", type=REMINDER, default="none", show_default=True,
              metavar="30m|1h|none",
              help=('One alarm on every training session (never on rest days): 30m, 90m, 1h, 2h …'
                    ' (1 minute to 24 hours) before a timed session; all-day sessions remind at '
                    '20:00 the evening before, whatever the amount; none adds no alarm.'))
@click.option("--calendar-name", type=CALENDAR_NAME,
              help=("The calendar's name (X-WR-CALNAME and NAME), e.g. 'Ana – rehab' [default: "
                    'Return to run · NAME · SITE].'))
@click.option("--templates", "templates_dir",
              type=OsPath(exists=True, file_okay=False, path_type=Path),
              help=('Folder of guide template overrides with the built-in names (guide.html.j2, '
                    "partials/style.css.j2 …, see 'rtr templates list'), searched first; it needs"
                    ' only the files it changes. A broken override is an error naming the '
                    'template and line (exit 1).'))
@click.option("--clinic", "clinic_file",
              type=OsPath(exists=True, dir_okay=False, path_type=Path),
              help=('Clinic TOML file (name, optional contact, logo, accent) whose details head '
                    'both guides, e.g. examples/clinic/clinic.toml; a bad file is a usage error '
                    '(exit 2) naming the file and key.'))
@_reports_errors
def plan_command(site: str, grade: int, start: date, name: str, out: Path | None, force: bool,
                 new_calendar: bool, rest_days: tuple[int, ...], run_days: tuple[int, ...] | None, week_start: str,
                 cross: tuple[str, ...] | None, bodyweight_support: bool,
                 usual_minutes: int | None, cleared_by: str | None, at: time | None, tz: str | None,
                 reminder: timedelta | None, calendar_name: str | None,
                 templates_dir: Path | None, clinic_file: Path | None) -> None:
    """Write plan.ics, guide.md, guide.html, plan.json, plan.csv and diary.csv for one runner."""
    from planner.app import plan_folder
    from planner.core.models import PlanRequest

    options = _calendar_options(at, tz, reminder, calendar_name)
    request = PlanRequest(
        site=site, grade=grade, start=start, athlete=name.strip(), rest_days=rest_days,
        cleared_by=cleared_by, run_days=run_days or (), week_start=0 if week_start.lower() == "mon" else 6,
        cross=cross or (), bodyweight_support=bodyweight_support, usual_minutes=usual_minutes,
    )
    today = date.today()
    result = plan_folder(request, out, options, force=force, fresh=new_calendar,
                         templates=[templates_dir] if templates_dir else [], clinic=clinic_file,
                         today=today, on_commit=_INTERRUPTS.written)
    say(plan_summary(result), f"; the plan files were written to {path_text(result.out_dir)}/")
    if start < today:
        click.echo(past_start_warning(start, today), err=True)


def _calendar_options(at: time | None, tz: str | None, reminder: timedelta | None,
                      name: str | None) -> CalendarOptions:
    """Check that --time and --tz come together."""
    ctx = click.get_current_context()
    if at is not None and tz is None:
        raise click.UsageError(f"--time {at:%H:%M} needs a time zone: add --tz with an IANA "
                               "name, e.g. --tz Europe/London.", ctx)
    if tz is not None and at is None:
        raise click.UsageError(f"--tz {tz} needs a start time: add --time HH:MM, e.g. --time "
                               "07:00 (leave both out for all-day events).", ctx)
    from planner.calendar.options import CalendarOptions

    return CalendarOptions(time=at, tz=tz, reminder=reminder, calendar_name=name)


def calendar_changes(counts: dict[str, int]) -> str:
    """One line on what a regeneration changed in the calendar, e.g. ``12 events changed``."""
    def events(n: int) -> str:
        """``1 event``, ``12 events``."""
        return f"{n} event{'' if n == 1 else 's'}"

    parts = [f"{events(counts['changed'])} changed"]
    if counts["added"]:
        parts.append(f"{counts['added']} added")
    parts += [f"{counts['cancelled']} cancelled", f"{counts['unchanged']} unchanged"]
    return f"Calendar: {', '.join(parts)} (regenerated over an earlier plan)"


def past_start_warning(start: date, today: date) -> str:
    """The stderr line for a plan that starts before today.

    Not a refusal: regenerating a plan in progress with --force keeps its (past) start.
    """
    days = (today - start).days
    return (f"Warning: the plan starts {start:%a %d %b %Y}, {days} day{'' if days == 1 else 's'} "
            "ago; the calendar's first days are already over. Give today's date with --start "
            "for a plan that starts now.")


def plan_summary(result: Any) -> str:
    """The short summary printed after writing: phases, first run, files, calendar changes."""
    plan = result.plan
    lines = [f"Return-to-run plan for {plan.request.athlete}: {plan.site.name}, "
             f"{plan.grade.name}, {plan.site.risk} risk"]
    if plan.request.cleared_by:
        lines.append(f"  Cleared for conservative rehab by: {plan.request.cleared_by}")
    for span in plan.phases:
        lines.append(f"  {span.name:<15} {span.start:%a %d %b %Y} – {span.end:%a %d %b %Y}")
    lines.append(f"  First run:      {plan.first_run:%a %d %b %Y}  ({plan.weeks} weeks in all)")
    if result.changes is not None:
        lines.append(calendar_changes(result.changes))
    lines.append(f"Wrote {path_text(result.out_dir)}/: " + ", ".join(p.name for p in result.written))
    return "\n".join(lines)


@cli.command("sites")
@_reports_errors
def sites_command() -> None:
    """List the injury sites: id, aliases, risk and bone type."""
    from planner.core.protocol import load_protocol

    protocol = load_protocol()
    rows = [("SITE", "RISK", "BONE", "ALIASES")]
    rows += [(s.id, s.risk, s.bone, ", ".join(s.aliases)) for s in protocol.sites]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
             for row in rows]
    referred = sorted({f"{s.id} {r.grade}" for s in protocol.sites for r in s.referrals
                       if not r.always})
    never = sorted({f"{s.id} {r.grade}" for s in protocol.sites for r in s.referrals if r.always})
    lines.append("\nEvery alias above means one site. Names that could mean sites of different "
                 "risk are refused; say which:")
    lines += [f"  {entry.name}: {', '.join(entry.sites)}" for entry in protocol.ambiguous_names]
    lines.append("\nSurgeon-led (refused unless --cleared-by \"NAME, DATE\"): " + ", ".join(referred))
    if never:
        lines.append("Never planned, even with a clearance (surgery): " + ", ".join(never))
    say("\n".join(lines))


@cli.group("templates")
def templates_group() -> None:
    """The built-in guide templates, to start a clinic's own from.

    \b
    rtr templates list          print the template names, one per line
    rtr templates copy DIR      copy them into DIR (--force replaces existing copies)
    rtr plan ... --templates DIR   render the guides with DIR's templates first

    An override needs only the files it changes; the rest come from the built-in set.
    """


@templates_group.command("list")
def templates_list_command() -> None:
    """Print the built-in template names, one per line."""
    from planner.guide.render import TEMPLATE_NAMES

    say("\n".join(TEMPLATE_NAMES))


@templates_group.command("copy")
@click.argument("dest", metavar="DIR", type=OsPath(path_type=Path))
@click.option("--force", is_flag=True, help="Replace template files that already exist in DIR.")
@_reports_errors
def templates_copy_command(dest: Path, force: bool) -> None:
    """Copy the built-in templates into DIR (created if needed), for use with --templates."""
    from planner.files.template_copy import copy_templates

    written = copy_templates(dest, force)
    shown = path_text(dest)
    say(f"Copied {len(written)} templates into {shown}; use them with "
        f"'rtr plan ... --templates {shown}'.", f"; the templates were copied into {shown}")
