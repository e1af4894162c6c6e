"""The library seam and the pieces later commands build on: `plan_folder` and its `Result`,
rebuilding a plan from its folder alone, one event's own VCALENDAR, and the one citation
parser that protocol validation, the reference list and the HTML links share."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from planner import CalendarOptions, PlannerError, PlanRequest, build_plan, plan_folder, read_request
from planner.app import default_stamp
from planner.calendar.events import plan_events
from planner.calendar.ics import event_calendar, to_ics
from planner.calendar.revision import revise
from planner.core.citations import split_keys
from planner.core.protocol import default_protocol_path, load_protocol
from planner.errors import OutputError, ProtocolError
from planner.files.folder import OUTPUT_NAMES
from planner.files.plan_json import to_json

REQUEST = PlanRequest(site="metatarsal", grade=2, start=date(2027, 1, 4), athlete="Ana",
                      rest_days=(5, 6), cross=("swim",))
TIMED = CalendarOptions(time(18, 15), "America/New_York", calendar_name="Ana – rehab")


# ---- plan_folder and Result ----------------------------------------------------------------


def test_plan_folder_writes_six_files_and_says_what_it_did(tmp_path) -> None:
    result = plan_folder(REQUEST, tmp_path / "ana", TIMED)
    assert result.out_dir == tmp_path / "ana" and result.changes is None
    assert sorted(p.name for p in result.written) == sorted(OUTPUT_NAMES)
    assert result.plan == build_plan(REQUEST, load_protocol())
    assert all(p.stat().st_size > 0 for p in result.written)


def test_plan_folder_refuses_a_used_folder_without_force_and_writes_nothing(tmp_path) -> None:
    folder = tmp_path / "ana"
    plan_folder(REQUEST, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputError, match="--force"):
        plan_folder(REQUEST._replace(grade=3), folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_force_updates_the_earlier_calendar_and_fresh_starts_it_anew(tmp_path) -> None:
    folder = tmp_path / "ana"
    plan_folder(REQUEST, folder, TIMED)
    same = plan_folder(REQUEST, folder, TIMED, force=True)
    assert same.changes == {"changed": 0, "added": 0, "cancelled": 0,
                            "unchanged": len(same.plan.days)}
    shorter = plan_folder(REQUEST._replace(grade=1), folder, TIMED, force=True)
    assert shorter.changes["cancelled"] == len(same.plan.days) - len(shorter.plan.days) > 0
    assert b"SEQUENCE:1" in (folder / "plan.ics").read_bytes()
    fresh = plan_folder(REQUEST._replace(grade=1), folder, TIMED, force=True, fresh=True)
    assert fresh.changes is None
    ics = (folder / "plan.ics").read_bytes()
    assert b"SEQUENCE:1" not in ics and b"STATUS:CANCELLED" not in ics


def test_plan_folder_takes_a_clinic_file_and_turns_bad_input_into_planner_errors(tmp_path) -> None:
    clinic = tmp_path / "clinic.toml"
    clinic.write_text('name = "Harbour Physio"\naccent = "#0a5f7a"\n', encoding="utf-8")
    plan_folder(REQUEST, tmp_path / "ana", clinic=clinic)
    assert "Harbour Physio" in (tmp_path / "ana" / "guide.html").read_text(encoding="utf-8")
    with pytest.raises(PlannerError):
        plan_folder(REQUEST._replace(site="elbow"), tmp_path / "nope")
    with pytest.raises(PlannerError, match="surgeon"):
        plan_folder(REQUEST._replace(site="femoral-neck-tension", grade=1), tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


# ---- a plan rebuilt from its folder alone -----------------------------------------------------


@pytest.mark.parametrize("request_", [
    REQUEST,
    PlanRequest(site="navicular", grade=3, start=date(2028, 2, 29), athlete='Zoë "Z"; 🏃',
                rest_days=(2,), run_days=(0, 3, 5), week_start=6, bodyweight_support=True),
    PlanRequest(site="femoral-neck-tension", grade=1, start=date(2026, 12, 28),
                cleared_by="Dr Lee, 2026-12-01"),
], ids=["metatarsal", "navicular-leap-day", "cleared"])
def test_read_request_rebuilds_the_same_plan_json(request_, tmp_path) -> None:
    plan_folder(request_, tmp_path / "p")
    written = (tmp_path / "p" / "plan.json").read_text(encoding="utf-8")
    document = json.loads(written)
    again = read_request(document)
    assert again == request_
    rebuilt = build_plan(again, load_protocol())
    assert to_json(rebuilt, document["calendar"]) == written


# ---- one event's own VCALENDAR (what a CalDAV server stores) ------------------------------


@pytest.mark.parametrize("options", [CalendarOptions(), TIMED], ids=["all-day", "timed"])
def test_event_calendar_holds_the_same_vevent_as_the_whole_calendar(options) -> None:
    plan = build_plan(REQUEST, load_protocol())
    stamp = default_stamp(plan, {})
    whole = to_ics(plan, stamp, options).decode("utf-8")
    vevents = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", whole, re.S)
    revision = revise(plan, options)
    assert len(vevents) == len(revision.events) == len(plan.days)
    for (content, record), expected in zip(revision.events, vevents):
        single = event_calendar(plan, stamp, content, record)
        text = single.decode("utf-8")
        assert re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, re.S) == [expected]
        parsed = Calendar.from_ical(single)
        (event,) = parsed.events
        assert str(event["UID"]) == content.uid and "METHOD" not in parsed
        assert ("BEGIN:VTIMEZONE" in text) == ("TZID=" in expected)
        assert event_calendar(plan, stamp, content, record) == single  # same bytes every time
        assert "\r\nUID:" not in text.split("BEGIN:VEVENT")[0]
        if isinstance(content.start, datetime):
            assert event.start.astimezone(timezone.utc) == content.start.astimezone(timezone.utc)
    assert plan_events(plan, options) == [c for c, _ in revision.events]


def test_every_timed_event_calendar_is_valid_and_carries_its_zone() -> None:
    plan = build_plan(REQUEST, load_protocol())
    stamp = datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc)
    timed = [(c, r) for c, r in revise(plan, TIMED).events if isinstance(c.start, datetime)]
    assert len(timed) > 50
    for content, record in timed:
        cal = Calendar.from_ical(event_calendar(plan, stamp, content, record))
        cal.validate()
        assert all(component.errors == [] for component in cal.walk())
        assert [tz.tz_name for tz in cal.timezones] == ["America/New_York"]


# ---- citations: one parser, every separator, nothing unknown slips through ----------------


@pytest.mark.parametrize("field, keys", [
    ("R22", ("R22",)), ("R22, R23", ("R22", "R23")), ("R22; R23", ("R22", "R23")),
    ("R22/R23", ("R22", "R23")), ("R22 R32a", ("R22", "R32a")), ("R22 and R23", None),
    ("", None), ("see R22", None),
])
def test_split_keys_reads_every_separator_and_refuses_prose(field, keys) -> None:
    assert split_keys(field) == keys


def _protocol_with(tmp_path: Path, old: str, new: str) -> Path:
    text = default_protocol_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "protocol.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("cited", ["[R22, R999]", "[R22; R999]", "[R22/R999]", "[R22 R999]"])
def test_an_unknown_key_in_any_separator_style_is_refused(cited, tmp_path) -> None:
    path = _protocol_with(tmp_path, "from food first [R28b];", f"from food first {cited};")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert any("bone_health" in p and "[R999]" in p for p in caught.value.problems)


def test_a_citation_that_is_not_a_list_of_keys_is_refused(tmp_path) -> None:
    path = _protocol_with(tmp_path, "from food first [R28b];", "from food first [R28b and R27];")
    with pytest.raises(ProtocolError, match=r"\[R28b and R27\].*not a list of source keys"):
        load_protocol(path)


@pytest.mark.parametrize("field", ["R19/R999", "R19; R999", "R19 R999"])
def test_an_unknown_key_in_a_source_field_is_refused(field, tmp_path) -> None:
    path = _protocol_with(tmp_path, 'source = "R19"', f'source = "{field}"')
    with pytest.raises(ProtocolError, match=r"source 'R999' is not in \[references\]"):
        load_protocol(path)


def test_bracketed_prose_is_not_taken_for_a_citation(tmp_path) -> None:
    path = _protocol_with(tmp_path, "from food first [R28b];", "from food first [as agreed] [R28b];")
    assert "[as agreed]" in load_protocol(path).bone_health[2][0]
