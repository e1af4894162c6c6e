"""Everything a user can get wrong about a plan request, parsed and checked in one place.

The command line's option types call the parsers here (`parse_grade`, `parse_date`,
`parse_weekdays`, `parse_words`) and the engine calls `check_request`, so the command line,
plan.json's reader and the Python API refuse the same things with the same words. Every
refusal is a RequestError naming the option and saying how to fix it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from planner.core.models import PlanRequest, Protocol, Site
from planner.core.names import WEEKDAYS
from planner.errors import AmbiguousSite, ReferralRequired, RequestError, UnknownSite

START_WINDOW_DAYS = 366
MAX_REST_DAYS = 3
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*$")


def parse_grade(text: str) -> int:
    """An MRI grade typed as 1, 2, 3 or 4."""
    text = str(text).strip()
    if text not in ("1", "2", "3", "4"):
        raise RequestError("grade", f"'{text}' is not an MRI grade; use 1, 2, 3 or 4.")
    return int(text)


def parse_date(text: str, param: str = "start") -> date:
    """A calendar date: ISO (2026-03-02) or written out (2 March 2026).

    Numeric dates that read both ways (03/04/2026) and dates without a day, month or year
    are refused rather than guessed.
    """
    text = text.strip()
    if not text:
        raise RequestError(param, "the date is empty; use YYYY-MM-DD, e.g. 2026-03-02.")
    numeric = NUMERIC_DATE.match(text)
    if numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and numeric[1] != numeric[2]:
        raise RequestError(param, f"'{text}' is ambiguous (day/month or month/day?); use "
                                  "YYYY-MM-DD.")
    if ISO_DATE.match(text):
        # The usual case, without importing dateutil (about 20 ms); an impossible ISO date
        # (2026-02-30) goes on to dateutil for the same message as before.
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    from dateutil import parser

    try:
        # Two different defaults reveal a missing year, month or day.
        first = parser.parse(text, default=datetime(2000, 1, 1))
        second = parser.parse(text, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, parser.ParserError):
        raise RequestError(param, f"'{text}' is not a valid date; use YYYY-MM-DD, e.g. "
                                  "2026-03-02.") from None
    if first != second:
        raise RequestError(param, f"'{text}' is not a full date with day, month and year; use "
                                  "YYYY-MM-DD.")
    return first.date()


def parse_weekdays(text: str, param: str) -> tuple[int, ...]:
    """Weekday names or their first three letters, comma-separated, as 0=Monday … 6=Sunday."""
    days = []
    for part in str(text).split(","):
        word = part.strip().lower()
        match = [i for i, day in enumerate(WEEKDAYS) if len(word) >= 3 and day.startswith(word)]
        if not match:
            raise RequestError(param, f"'{part.strip()}' is not a weekday; use mon, tue, wed, "
                                      "thu, fri, sat, sun, comma-separated.")
        days.append(match[0])
    return tuple(sorted(set(days)))


def parse_minutes(text: str, param: str = "usual_minutes") -> int:
    """A whole number of minutes, e.g. 180 (the range is `check_request`'s, from the protocol)."""
    text = str(text).strip()
    if not text.isascii() or not text.isdigit():
        raise RequestError(param, f"'{text}' is not a whole number of minutes; give the usual "
                                  "weekly running before the injury, e.g. 180.")
    return int(text)


def parse_words(text: str) -> tuple[str, ...]:
    """A comma-separated list of words, trimmed and lower-cased, each once, empty parts left out."""
    return tuple(dict.fromkeys(p.strip().lower() for p in str(text).split(",") if p.strip()))


def check_text(param: str, value: str) -> None:
    """Refuse control characters other than line feed and tab in user text.

    They cannot be written as iCalendar TEXT (RFC 5545 §3.3.11), so a calendar holding one is
    rejected by strict parsers; a line break must be a plain line feed.
    """
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\t"), None)
    if bad is not None:
        raise RequestError(param, f"contains the control character U+{ord(bad):04X}; remove it "
                                  "(line breaks are fine).")


def normalise_site_name(name: str) -> str:
    """Lower-case a typed site name and turn spaces/underscores into hyphens."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def find_site(protocol: Protocol, name: str) -> Site:
    """Return the site whose id or alias matches `name`, or raise UnknownSite with suggestions."""
    wanted = normalise_site_name(name)
    for site in protocol.sites:
        if wanted == site.id or wanted in site.aliases:
            return site
    for entry in protocol.ambiguous_names:
        if wanted == entry.name:
            raise AmbiguousSite(name.strip(), list(entry.sites))
    import difflib  # only to suggest close names after a typo

    by_name = {n: s.id for s in protocol.sites for n in (s.id, *s.aliases)}
    close = difflib.get_close_matches(wanted, list(by_name), n=6, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_name[c] for c in close))[:3]
    raise UnknownSite(name, suggestions)


def check_request(request: PlanRequest, protocol: Protocol, today: date | None) -> Site:
    """Check every value of `request`; return the resolved site.

    `today` bounds the start date to a year either side (None skips that check). A
    surgeon-led case without a clearance raises ReferralRequired.
    """
    if not request.athlete.strip():
        raise RequestError("name", "the name is empty; give the athlete's name or leave --name "
                                   "out.")
    site = find_site(protocol, request.site)
    if request.grade not in (1, 2, 3, 4):
        raise RequestError("grade", f"MRI grade must be 1, 2, 3 or 4, not {request.grade}.")
    _check_weekdays(request)
    _check_usual_minutes(request.usual_minutes, protocol)
    check_text("name", request.athlete)
    check_text("cleared_by", request.cleared_by or "")
    known = dict(protocol.cross_training.modalities)
    unknown = [m for m in request.cross if m not in known]
    if unknown:
        raise RequestError("cross", f"unknown cross-training '{unknown[0]}'; choose from "
                           f"{', '.join(known)}.")
    if today is not None and abs((request.start - today).days) > START_WINDOW_DAYS:
        raise RequestError(
            "start",
            f"start date {request.start.isoformat()} is more than a year from today "
            f"({today.isoformat()}); give the date rehab starts, e.g. {today.isoformat()}.",
        )
    if today is not None and request.cleared_by is not None:
        check_clearance(request.cleared_by, today)
    referral = site.referral_for(request.grade)
    if referral and (referral.always or not (request.cleared_by or "").strip()):
        raise ReferralRequired(site.name, request.grade, referral.reason, referral.always)
    _check_rest_days(request.rest_days)
    return site


def check_clearance(text: str, today: date) -> date:
    """A clearance names a clinician and the date they cleared the runner, ``NAME, DATE``
    (``Dr Lee, 2026-12-01`` or ``Dr Lee, physio, 1 December 2026``), a date neither after
    `today` nor more than a year before it; return that date.

    A surgeon-led case is planned on this word alone, so "me" or "ok" is not enough: the
    guide and the calendar print who cleared the runner, and when.
    """
    example = f"e.g. --cleared-by \"Dr Lee, {today.isoformat()}\""
    name, _, when = text.rpartition(",")
    if sum(c.isalpha() for c in name) < 2 or not when.strip():
        raise RequestError("cleared_by", f"'{text.strip()}' does not say who cleared the runner "
                           f"and when; give the clinician's name and the date, {example}.")
    try:
        cleared = parse_date(when, "cleared_by")
    except RequestError as exc:
        raise RequestError("cleared_by", f"the date in '{text.strip()}' cannot be read ({exc}); "
                                         f"{example}.") from None
    if cleared > today or (today - cleared).days > START_WINDOW_DAYS:
        raise RequestError("cleared_by", f"the clearance date {cleared.isoformat()} is "
                           f"{'in the future' if cleared > today else 'more than a year ago'}; "
                           f"give the date of a clearance within the last year, {example}.")
    return cleared


def _check_usual_minutes(minutes: object, protocol: Protocol) -> None:
    """The usual weekly running, when given, is whole minutes in the protocol's range."""
    if minutes is None:
        return
    low, high = protocol.return_to_sport.usual_minutes_range
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise RequestError("usual_minutes", f"'{minutes}' is not a whole number of minutes; "
                                            "give the usual weekly running, e.g. 180.")
    if not low <= minutes <= high:
        raise RequestError("usual_minutes", f"{minutes} minutes a week is outside {low}-{high}; "
                           "give the usual weekly running before the injury in minutes, e.g. "
                           "180 for four 45-minute runs.")


def _check_weekdays(request: PlanRequest) -> None:
    """Weekday numbers in range and a week that starts on Monday or Sunday."""
    for name, days in (("rest_day", request.rest_days), ("run_days", request.run_days)):
        if any(d not in range(7) for d in days):
            raise RequestError(name, "weekdays must be monday … sunday.")
    if request.week_start not in (0, 6):
        raise RequestError("week_start", "the week starts on monday or sunday.")


def _check_rest_days(rest_days: tuple[int, ...]) -> None:
    """One to three rest days a week: bone needs rest, and training days are needed too.

    Whether the remaining days can hold the loading sessions is the week pattern's search
    (`planner.core.week.choose_pattern`), which refuses what it cannot arrange safely.
    """
    rest = sorted(set(rest_days))
    if not rest:
        raise RequestError("rest_day", "give at least one rest day a week.")
    if len(rest) > MAX_REST_DAYS:
        names = ",".join(WEEKDAYS[d][:3] for d in rest)
        raise RequestError("rest_day", f"at most {MAX_REST_DAYS} rest days a week ({names} is "
                           f"{len(rest)}); training days are needed too.")
