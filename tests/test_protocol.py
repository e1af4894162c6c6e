"""The packaged protocol is valid, and broken protocol data is reported whole."""

from __future__ import annotations

import re
import tomllib

import pytest

from planner.errors import ProtocolError
from planner.core.protocol import default_protocol_path, load_protocol, parse_protocol

REQUIRED_SITES = {
    "tibia-posteromedial", "tibia-anterior", "fibula", "metatarsal", "metatarsal-2-base",
    "metatarsal-5-base", "navicular", "calcaneus", "talus", "medial-malleolus", "sesamoid",
    "femoral-shaft", "femoral-neck-compression", "femoral-neck-tension", "pubic-ramus", "sacrum",
}


def raw_protocol() -> dict:
    return tomllib.loads(default_protocol_path().read_text(encoding="utf-8"))


def test_packaged_protocol_has_every_required_site(protocol):
    assert REQUIRED_SITES <= {s.id for s in protocol.sites}
    by_id = {s.id: s for s in protocol.sites}
    assert "medial-tibia" in by_id["tibia-posteromedial"].aliases
    assert "pelvis" in by_id["pubic-ramus"].aliases
    assert [g.number for g in protocol.grades] == [1, 2, 3, 4]
    assert "fracture line" in protocol.grade(4).description


def test_every_cited_key_resolves_to_a_reference(protocol):
    keys = {r.key for r in protocol.references}
    text = default_protocol_path().read_text(encoding="utf-8")
    body = text.split("[references.", 1)[0]
    cited = set(re.findall(r'"((?:R|S)\d+[a-z]?)"', body))
    for group in re.findall(r"\[((?:R|S)\d+[a-z]?(?:, (?:R|S)\d+[a-z]?)*)\]", body):
        cited.update(group.split(", "))
    assert cited and cited <= keys, cited - keys
    for site in protocol.sites:
        assert site.timeline_sources and site.full_return_source in keys


def test_every_problem_is_reported_with_its_key_path():
    raw = raw_protocol()
    raw["sites"][0]["risk"] = "medium"
    raw["sites"][1]["protection"][2]["nwb_weeks"] = "six"
    raw["sites"][2]["timeline_sources"] = ["R999"]
    raw["stages"][0]["source"] = "NOPE"
    del raw["rules"]["max_build_increase_pct"]
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw, "broken.toml")
    problems = err.value.problems
    assert any("sites[0].risk" in p and "medium" in p for p in problems)
    assert any("sites[1].protection[2].nwb_weeks" in p for p in problems)
    assert any("rules.max_build_increase_pct: missing" in p for p in problems)
    assert str(err.value).startswith("broken.toml: ")


def test_consistency_rules_are_enforced():
    raw = raw_protocol()
    raw["sites"][0]["timeline_sources"] = ["R999"]
    raw["stages"][0]["source"] = "NOPE"
    by_id = {s["id"]: s for s in raw["sites"]}
    by_id["talus"]["protection"][0]["first_run_weeks"] = 6
    by_id["talus"]["protection"][0]["protect_weeks"] = 2
    by_id["fibula"]["protection"][2]["first_run_weeks"] = 4
    by_id["fibula"]["protection"][2]["first_run_range"] = [3, 9]
    raw["bone_health"].append(["Cites a missing source [R404].", "R22"])
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw)
    text = "\n".join(err.value.problems)
    assert "source 'R999' is not in [references]" in text
    assert "stages.L1.source: source 'NOPE'" in text
    assert "high-risk site runs at week 6, before a low-risk site" in text
    assert "a higher grade must not run earlier than a lower one" in text
    assert "cites [R404]" in text


def test_weight_bearing_weeks_must_leave_a_week_of_walking_before_gate_1():
    raw = raw_protocol()
    by_id = {s["id"]: s for s in raw["sites"]}
    by_id["navicular"]["protection"][1]["boot_weeks"] = 3  # 4 + 3 of 7 protect weeks
    by_id["calcaneus"]["protection"][0]["partial_weeks"] = -1
    del by_id["talus"]["weight_bearing_source"]
    by_id["sacrum"]["weight_bearing_source"] = "R404"
    raw["weight_bearing"]["boot"]["source"] = "NOPE"
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw)
    text = "\n".join(err.value.problems)
    assert ("sites[6].protection[1]: nwb_weeks + partial_weeks + boot_weeks (7) must leave at "
            "least one week of full weight-bearing inside protect_weeks") in text
    assert "sites[7].protection[0]: weeks of weight-bearing must not be negative" in text
    assert "sites[8].weight_bearing_source: missing" in text
    raw = raw_protocol()
    raw["sites"][15]["weight_bearing_source"] = "R404"
    raw["weight_bearing"]["boot"]["source"] = "NOPE"
    raw["weight_bearing"]["crutches"] = raw["weight_bearing"]["non"]
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw)
    text = "\n".join(err.value.problems)
    assert "weight_bearing: only non, partial, boot, full are statuses" in text
    raw["weight_bearing"].pop("crutches")
    with pytest.raises(ProtocolError) as err:
        parse_protocol(raw)
    text = "\n".join(err.value.problems)
    assert "sites[15]: source 'R404' is not in [references]" in text
    assert "weight_bearing.boot.source: source 'NOPE' is not in [references]" in text


def test_a_number_outside_its_published_range_is_refused():
    raw = raw_protocol()
    raw["sites"][0]["protection"][0]["first_run_weeks"] = 1
    with pytest.raises(ProtocolError, match=r"sites\[0\].protection\[0\].first_run_weeks: 1 outside"):
        parse_protocol(raw)


def test_unreadable_and_invalid_files_are_protocol_errors(tmp_path):
    bad = tmp_path / "protocol.toml"
    bad.write_text("version = [unclosed", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid TOML"):
        load_protocol(bad)
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol(tmp_path / "missing.toml")
