"""The speed-ups change nothing but speed: `planner.calendar.folding` must give exactly the
bytes icalendar's own serialiser gives, and the calendar writer the bytes of icalendar's
`to_ical`. (The caches have their own tests, in test_cache.py.)"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser.string import _foldline  # icalendar's own folding, the reference

from .helpers import examples, make_plan, profiled
from .reference.ics_objects import build_calendar  # the icalendar objects, as before issue 12
from planner.calendar.options import CalendarOptions
from planner.calendar.folding import fold_line, fold_lines
from planner.calendar.ics import render_calendar
from planner.calendar.revision import revise

STAMP = datetime(2026, 11, 22, tzinfo=timezone.utc)
# Characters that meet every branch of the folding: 1-4 byte UTF-8, the escapes it keeps
# together (backslash, caret) and the TEXT separators.
FOLD_ALPHABET = st.sampled_from(list("ab ;,:\\^\"é·×–€😀🏃\u200f\u0301") + ["\\n", "^'"])


# ---- folding -------------------------------------------------------------------------------


@settings(max_examples=examples(300, quick=100), deadline=None)
@given(st.lists(FOLD_ALPHABET, max_size=400).map("".join))
def test_fold_line_matches_icalendar(line: str) -> None:
    assert fold_line(line) == _foldline(line).encode("utf-8")


@pytest.mark.parametrize("length", [0, 1, 73, 74, 75, 76, 147, 148, 149, 500])
@pytest.mark.parametrize("filler", ["a", "é", "€", "😀", "a\\", "a^"])
def test_fold_line_boundaries_match_icalendar(length: int, filler: str) -> None:
    line = (filler * length)[:length]
    folded = fold_line(line)
    assert folded == _foldline(line).encode("utf-8")
    assert all(len(part) <= 74 for part in folded.split(b"\r\n "))


CALENDAR_OPTIONS = {
    "all-day": CalendarOptions(),
    "hostile-name": CalendarOptions(reminder=timedelta(hours=1),
                                    calendar_name='Zoë; "club", A\\B\nline 2 🏃'),
    "timed-sydney": CalendarOptions(time=time(6, 30), tz="Australia/Sydney",
                                    reminder=timedelta(minutes=30)),
}
BYTE_PLANS = [("metatarsal", 2), ("navicular", 4), ("sacrum", 1)]
# Every option with every plan in the full profile; the quick one pairs them off (each once).
BYTE_CASES = profiled([(o, *p) for o in CALENDAR_OPTIONS for p in BYTE_PLANS],
                      [(o, *p) for o, p in zip(CALENDAR_OPTIONS, BYTE_PLANS, strict=True)])


@pytest.mark.parametrize("name,site,grade", BYTE_CASES)
def test_calendar_bytes_equal_icalendar_to_ical(protocol, name, site, grade) -> None:
    options = CALENDAR_OPTIONS[name]
    plan = make_plan(protocol, site, grade, date(2027, 3, 1),
                     athlete='Ana "A" Díaz; \\ <b>x</b> \u202eRTL')
    revision = revise(plan, options, None, None)
    calendar = build_calendar(plan, STAMP, options, revision)
    assert render_calendar(plan, STAMP, options, revision) == calendar.to_ical()


def test_fold_lines_drops_empty_lines_and_ends_with_crlf() -> None:
    assert fold_lines(["BEGIN:X", "", "END:X", ""]) == b"BEGIN:X\r\nEND:X\r\n"
