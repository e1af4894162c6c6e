"""Site names never silently pick the lower-risk site, and surgeon-led cases are protected:
ambiguous names are refused with their candidates, every anterior-tibia grade is referred, and
a clearance must say who cleared the runner and when."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from .helpers import run_rtr
from planner.core.protocol import default_protocol_path, load_protocol, parse_protocol
from planner.core.request import check_clearance, find_site
from planner.errors import AmbiguousSite, ProtocolError, RequestError

PROTOCOL = load_protocol()
SITES = {s.id: s for s in PROTOCOL.sites}
TODAY = date.today()
START = TODAY + timedelta(days=3)
AMBIGUOUS = {entry.name: entry.sites for entry in PROTOCOL.ambiguous_names}


def test_the_names_seen_picking_a_lower_risk_site_are_ambiguous() -> None:
    assert set(AMBIGUOUS) >= {"hip", "femoral-neck", "tibia", "shin", "foot"}
    assert {"femoral-neck-tension", "femoral-neck-compression"} <= set(AMBIGUOUS["hip"])
    assert "tibia-anterior" in AMBIGUOUS["shin"] and "navicular" in AMBIGUOUS["foot"]


@pytest.mark.parametrize("name", sorted(AMBIGUOUS))
def test_an_ambiguous_name_is_refused_with_its_candidates(name, capsys, tmp_path) -> None:
    with pytest.raises(AmbiguousSite) as err:
        find_site(PROTOCOL, name.upper().replace("-", " "))
    assert err.value.candidates == list(AMBIGUOUS[name])
    code, out, errors = run_rtr(capsys, "plan", "--site", name, "--grade", "2", "--start",
                                START.isoformat(), "--out", str(tmp_path / "p"))
    assert code == 2 and out == "" and errors.count("\n") == 1
    assert all(site in errors for site in AMBIGUOUS[name]) and "say which" in errors
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("name", sorted(AMBIGUOUS))
def test_each_ambiguous_name_spans_sites_planned_differently(name) -> None:
    sites = [SITES[s] for s in AMBIGUOUS[name]]
    kinds = {(s.risk, tuple(r.grade for r in s.referrals)) for s in sites}
    assert len(kinds) > 1, name


def test_every_alias_means_one_site_of_one_risk() -> None:
    seen = {}
    for site in PROTOCOL.sites:
        for alias in site.aliases:
            assert alias not in AMBIGUOUS and alias not in seen, alias
            seen[alias] = site.id


def test_an_ambiguous_name_that_is_also_an_alias_is_a_protocol_error() -> None:
    import tomllib

    raw = tomllib.loads(default_protocol_path().read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["ambiguous_names"].append({"name": "pelvis", "sites": ["pubic-ramus", "sacrum"]})
    broken["ambiguous_names"].append({"name": "ankle", "sites": ["talus"]})
    with pytest.raises(ProtocolError) as err:
        parse_protocol(broken)
    assert "'pelvis' is also a site's id or alias" in str(err.value)
    assert "sites must be two or more site ids" in str(err.value)


@pytest.mark.parametrize("grade", [1, 2, 3, 4])
def test_every_anterior_tibia_grade_is_referred(grade, capsys, tmp_path) -> None:
    assert SITES["tibia-anterior"].referral_for(grade) is not None
    code, _, errors = run_rtr(capsys, "plan", "--site", "anterior-tibia", "--grade", str(grade),
                              "--start", START.isoformat(), "--out", str(tmp_path / "p"))
    assert code == 1 and "needs a surgeon's assessment" in errors and "--cleared-by" in errors
    cleared = f"Dr Lee, {TODAY:%Y-%m-%d}"
    code, out, _ = run_rtr(capsys, "plan", "--site", "anterior-tibia", "--grade", str(grade),
                           "--start", START.isoformat(), "--out", str(tmp_path / "p"),
                           "--cleared-by", cleared)
    assert code == 0 and f"Cleared for conservative rehab by: {cleared}" in out


def test_a_tension_side_fracture_is_never_planned(capsys, tmp_path) -> None:
    # With a clearance it is still one line, exit 1, nothing written, and `rtr sites` says so.
    cleared = f"Dr Lee, {TODAY:%Y-%m-%d}"
    code, out, errors = run_rtr(capsys, "plan", "--site", "femoral-neck-tension", "--grade", "4",
                                "--start", START.isoformat(), "--out", str(tmp_path / "p"),
                                "--cleared-by", cleared)
    assert code == 1 and out == "" and len(errors.strip().splitlines()) == 1
    assert "fixed surgically" in errors and "even with a clearance" in errors
    assert not (tmp_path / "p").exists()
    code, out, _ = run_rtr(capsys, "sites")
    assert "Never planned, even with a clearance (surgery): femoral-neck-tension 4" in out
    assert "femoral-neck-tension 3, metatarsal-5-base 4" in out


@pytest.mark.parametrize("text,problem", [
    ("me", "does not say who cleared the runner and when"),
    ("ok", "does not say who cleared the runner and when"),
    ("Dr Lee", "does not say who cleared the runner and when"),
    (", 2026-12-01", "does not say who cleared the runner and when"),
    ("Dr Lee, soon", "cannot be read"),
    ("Dr Lee, 03/04/2026", "cannot be read"),
    (f"Dr Lee, {TODAY + timedelta(days=1):%Y-%m-%d}", "is in the future"),
    (f"Dr Lee, {TODAY - timedelta(days=400):%Y-%m-%d}", "more than a year ago"),
])
def test_a_clearance_without_a_clinician_and_a_recent_date_is_refused(text, problem, capsys,
                                                                     tmp_path) -> None:
    with pytest.raises(RequestError, match=problem):
        check_clearance(text, TODAY)
    code, out, errors = run_rtr(capsys, "plan", "--site", "navicular", "--grade", "4", "--start",
                                START.isoformat(), "--cleared-by", text,
                                "--out", str(tmp_path / "p"))
    assert code == 2 and out == "" and errors.count("\n") == 1 and problem in errors
    assert "--cleared-by" in errors and not (tmp_path / "p").exists()


@pytest.mark.parametrize("text,cleared", [
    (f"Dr Lee, {TODAY:%Y-%m-%d}", TODAY),
    (f"A. Okafor, physio, {TODAY - timedelta(days=30):%d %B %Y}", TODAY - timedelta(days=30)),
    (f"Dr Lee,{TODAY - timedelta(days=366):%Y-%m-%d}", TODAY - timedelta(days=366)),
])
def test_a_named_and_dated_clearance_is_accepted(text, cleared) -> None:
    assert check_clearance(text, TODAY) == cleared
