"""Load the clinical protocol from TOML and validate it whole.

Validation collects every problem with its key path (``sites[3].protection[1].nwb_weeks``) and
raises one ProtocolError listing them all, so a clinician editing the data fixes it in one pass.
"""

from __future__ import annotations

import re
import sys
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from planner.core.citations import cited_keys, field_problems, text_problems
from planner.core.cache import cache_dir, read_entry, write_entry
from planner.errors import ProtocolError
from planner.core.models import (
    AmbiguousName,
    CrossOptions,
    CrossTraining,
    GateExtras,
    ImpactText,
    Grade,
    PAIN_ACTIONS,
    PAIN_FLAGS,
    PAIN_SCORES,
    PAIN_SHOW,
    PAIN_URGENCIES,
    PainCondition,
    PainRule,
    PainSteps,
    PHASE_IDS,
    PhaseText,
    Protection,
    Protocol,
    Reference,
    Referral,
    ReturnToSport,
    RTS_STEPS,
    RtsStep,
    Rules,
    Site,
    Stage,
    WEIGHT_BEARING,
    WeightBearing,
    STEP_KINDS,
    StepBack,
)

class _Reader:
    """Typed access to raw TOML that records problems instead of raising at the first one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def get(self, table: dict[str, Any], key: str, kind: type, path: str) -> Any:
        """Return table[key] if it has the right type, else record a problem and a blank."""
        value = table.get(key) if isinstance(table, dict) else None
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            shown = "missing" if value is None else f"{value!r} is not {kind.__name__}"
            self.problems.append(f"{path}.{key}: {shown}")
            return kind()
        return value

    def check(self, condition: bool, message: str) -> None:
        """Record `message` unless `condition` holds."""
        if not condition:
            self.problems.append(message)


def default_protocol_path() -> Path:
    """Path of the protocol shipped inside the package."""
    return Path(__file__).resolve().parent / "data" / "protocol.toml"


def load_protocol(path: Path | None = None) -> Protocol:
    """Read and validate a protocol file (the packaged one by default).

    The parsed TOML of a file read before is taken from the user's cache
    (`planner.core.cache`) when the file's content is unchanged: importing and running the
    TOML parser is most of the time the short commands take. What comes from the cache is
    plain data and goes through the same full validation as a fresh parse, so a damaged or
    forged entry is ignored (the file is parsed instead) and can never carry a protocol the
    validator refuses.
    """
    source = Path(path or default_protocol_path())
    try:
        data = source.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(str(source), [f"cannot read: {exc}"]) from exc
    directory, key = cache_dir("protocol"), _cache_key(text)
    cached = None if directory is None else _cached_protocol(directory, source, key)
    if cached is not None:
        return cached
    import tomllib  # only on a cache miss: importing it costs as much as the cached load

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(str(source), [f"not valid TOML: {exc}"]) from exc
    protocol = parse_protocol(raw, str(source))
    entry = None if directory is None else _encode_entry(key, raw)
    if entry is not None:
        write_entry(directory, _entry_name(source), entry)
    return protocol


def _entry_name(source: Path) -> str:
    """The cache entry for the protocol read from `source` (one entry per file)."""
    return f"{zlib.crc32(bytes(source)):08x}.json"


def _cache_key(text: str) -> dict[str, str]:
    """What a cached parse must match: the file's exact text and the Python version (whose
    tomllib did the parsing). The text itself, not a hash of it: comparing some 30 KB is
    cheaper than importing hashlib on every command's start-up."""
    return {"python": ".".join(map(str, sys.version_info[:2])), "source": text}


def _cached_protocol(directory: Path, source: Path, key: dict[str, str]
                     ) -> Protocol | None:
    """The protocol validated afresh from the cached parse of `source`, or None if there is
    none, it is for other content, or it fails to decode or to validate."""
    import json

    data = read_entry(directory, _entry_name(source))
    if data is None:
        return None
    try:
        entry = json.loads(data, object_hook=_decode_dates)
        if not isinstance(entry, dict) or entry.get("key") != key \
                or not isinstance(entry.get("protocol"), dict):
            return None
        return parse_protocol(entry["protocol"], str(source))
    except (ValueError, TypeError, RecursionError, ProtocolError):
        return None


def _encode_entry(key: dict[str, str], raw: dict[str, Any]) -> bytes | None:
    """The cache entry for a parse, or None if it holds a value JSON cannot carry."""
    import json

    def encode(value: object) -> object:
        if isinstance(value, date):
            return {_DATE: value.isoformat()}
        raise TypeError(f"cannot cache a {type(value).__name__}")

    try:
        text = json.dumps({"key": key, "protocol": raw}, default=encode, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return text.encode("utf-8")


_DATE = "$date"  # TOML dates are the only non-JSON values a protocol holds


def _decode_dates(table: dict[str, Any]) -> object:
    if len(table) == 1 and isinstance(table.get(_DATE), str):
        return date.fromisoformat(table[_DATE])
    return table


def parse_protocol(raw: dict[str, Any], source: str = "<protocol>") -> Protocol:
    """Build a Protocol from parsed TOML; raise ProtocolError listing every problem."""
    r = _Reader()
    references = _references(r, raw)
    protocol = Protocol(
        version=r.get(raw, "version", str, "protocol"),
        released=r.get(raw, "released", date, "protocol"),
        sites=tuple(_site(r, s, f"sites[{i}]") for i, s in enumerate(_list(r, raw, "sites"))),
        grades=tuple(_grade(r, g, f"grades[{i}]") for i, g in enumerate(_list(r, raw, "grades"))),
        stages=_stages(r, raw, "stages"),
        high_risk_stages=_stages(r, raw, "high_risk_stages"),
        phases=tuple(_phase(r, p, f"phases[{i}]") for i, p in enumerate(_list(r, raw, "phases"))),
        rules=_rules(r, r.get(raw, "rules", dict, "protocol")),
        cross_training=_cross_training(r, r.get(raw, "cross_training", dict, "protocol")),
        bodyweight_percent=tuple(r.get(r.get(raw, "bodyweight_support", dict, "protocol"), "percent", list, "bodyweight_support")),
        bodyweight_source=r.get(r.get(raw, "bodyweight_support", dict, "protocol"), "source", str, "bodyweight_support"),
        gate_extras=_gate_extras(r, r.get(raw, "gate_extras", dict, "protocol")),
        pain_rules=tuple(_pain_rule(r, row, f"pain_rules[{i}]")
                         for i, row in enumerate(_list(r, raw, "pain_rules"))),
        pain_steps=_pain_steps(r, r.get(raw, "pain_steps", dict, "protocol")),
        bone_health=tuple(tuple(item) for item in r.get(raw, "bone_health", list, "protocol")),
        references=references,
        return_to_sport=_return_to_sport(r, r.get(raw, "return_to_sport", dict, "protocol")),
        ambiguous_names=tuple(_ambiguous(r, a, f"ambiguous_names[{i}]")
                              for i, a in enumerate(raw.get("ambiguous_names", []))),
        weight_bearing=_weight_bearing(r, r.get(raw, "weight_bearing", dict, "protocol")),
        impact=_impact(r, r.get(raw, "impact", dict, "protocol")),
    )
    if not r.problems:
        _check_consistency(r, protocol)
        _check_citations(r, raw, {ref.key for ref in references})
    if r.problems:
        raise ProtocolError(source, r.problems)
    return protocol


def _list(r: _Reader, raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = r.get(raw, key, list, "protocol")
    r.check(bool(items), f"protocol.{key}: must not be empty")
    return [i if isinstance(i, dict) else {} for i in items]


def _references(r: _Reader, raw: dict[str, Any]) -> tuple[Reference, ...]:
    table = r.get(raw, "references", dict, "protocol")
    refs = []
    for key, entry in table.items():
        path = f"references.{key}"
        refs.append(
            Reference(
                key=key,
                citation=r.get(entry, "citation", str, path),
                url=r.get(entry, "url", str, path),
                level=r.get(entry, "level", str, path),
            )
        )
    return tuple(refs)


def _grade(r: _Reader, g: dict[str, Any], path: str) -> Grade:
    return Grade(
        number=r.get(g, "number", int, path),
        name=r.get(g, "name", str, path),
        description=r.get(g, "description", str, path),
        source=r.get(g, "source", str, path),
    )


def _stages(r: _Reader, raw: dict[str, Any], key: str) -> tuple[Stage, ...]:
    stages = []
    for i, s in enumerate(_list(r, raw, key)):
        path = f"{key}[{i}]"
        stage = Stage(
            id=r.get(s, "id", str, path),
            run=r.get(s, "run", int, path),
            walk=r.get(s, "walk", int, path),
            reps=r.get(s, "reps", int, path),
            source=r.get(s, "source", str, path),
            weeks=r.get(s, "weeks", int, path) if "weeks" in s else 1,
        )
        r.check(stage.weeks >= 1, f"{path}.weeks: must be at least 1")
        r.check(stage.run > 0 and stage.reps > 0, f"{path}: run and reps must be positive")
        r.check(stage.walk >= 0, f"{path}.walk: must not be negative")
        stages.append(stage)
    return tuple(stages)


def _phase(r: _Reader, p: dict[str, Any], path: str) -> PhaseText:
    return PhaseText(
        id=r.get(p, "id", str, path),
        name=r.get(p, "name", str, path),
        aim=r.get(p, "aim", str, path),
        gate_name=r.get(p, "gate_name", str, path),
        gate=tuple(r.get(p, "gate", list, path)),
        source=r.get(p, "source", str, path),
    )


def _rules(r: _Reader, t: dict[str, Any]) -> Rules:
    ints = {
        k: r.get(t, k, int, "rules")
        for k in (
            "sessions_per_week", "lighter_every", "max_run_increase_pct",
            "max_build_increase_pct", "reload_walk_start", "reload_walk_target",
            "min_reload_weeks", "min_plan_weeks", "impact_weeks",
        )
    }
    build = r.get(t, "build_run_minutes", list, "rules")
    r.check(all(isinstance(m, int) and m > 0 for m in build), "rules.build_run_minutes: positive integers")
    return Rules(**ints, build_run_minutes=tuple(build), source=r.get(t, "source", str, "rules"))


def _return_to_sport(r: _Reader, t: dict[str, Any]) -> ReturnToSport:
    """The return-to-sport rules; the additions must be exactly `RTS_STEPS`, in that order."""
    path = "return_to_sport"
    ints = {k: r.get(t, k, int, path) for k in (
        "default_usual_minutes", "max_increase_pct", "end_pct", "intensity_pct",
        "max_run_minutes", "long_run_pct")}
    low, high = _pair(r, t, "usual_minutes_range", path)
    r.check(0 < low <= ints["default_usual_minutes"] <= high,
            f"{path}: default_usual_minutes must lie within usual_minutes_range")
    r.check(0 < ints["intensity_pct"] <= ints["end_pct"] <= 100,
            f"{path}: need 0 < intensity_pct <= end_pct <= 100")
    steps = tuple(
        RtsStep(step=r.get(s, "step", str, f"{path}.steps[{i}]"),
                name=r.get(s, "name", str, f"{path}.steps[{i}]"),
                gate=tuple(r.get(s, "gate", list, f"{path}.steps[{i}]")),
                session=r.get(s, "session", str, f"{path}.steps[{i}]"),
                source=r.get(s, "source", str, f"{path}.steps[{i}]"))
        for i, s in enumerate(r.get(t, "steps", list, path)))
    r.check(tuple(s.step for s in steps) == RTS_STEPS,
            f"{path}.steps: must be {', '.join(RTS_STEPS)} in that order")
    return ReturnToSport(**ints, usual_minutes_range=(low, high),
                         surface=r.get(t, "surface", str, path), review=r.get(t, "review", str, path),
                         steps=steps, source=r.get(t, "source", str, path))


def _cross_training(r: _Reader, t: dict[str, Any]) -> CrossTraining:
    modalities = r.get(t, "modalities", dict, "cross_training")
    options = {}
    for key in ("protect_nwb", "protect", "reload", "reload_late", "loading"):
        path = f"cross_training.{key}"
        table = r.get(t, key, dict, "cross_training")
        allowed = tuple(r.get(table, "allowed", list, path))
        default = tuple(r.get(table, "default", list, path))
        for name in allowed:
            r.check(name in modalities, f"{path}.allowed: '{name}' is not in cross_training.modalities")
        r.check(bool(default) and set(default) <= set(allowed), f"{path}.default: must be a non-empty subset of allowed")
        options[key] = CrossOptions(allowed=allowed, default=default)
    return CrossTraining(modalities=tuple(modalities.items()), source=r.get(t, "source", str, "cross_training"), **options)


def _impact(r: _Reader, t: dict[str, Any]) -> ImpactText:
    return ImpactText(**{k: r.get(t, k, str, "impact") for k in ImpactText._fields})


def _gate_extras(r: _Reader, t: dict[str, Any]) -> GateExtras:
    keys = ("hop_test", "no_hop", "high_risk", "weight_bearing", "cleared", "imaging")
    return GateExtras(**{k: r.get(t, k, str, "gate_extras") for k in keys})


def _weight_bearing(r: _Reader, t: dict[str, Any]) -> tuple[WeightBearing, ...]:
    """The wording of every weight-bearing status, one table each, in `WEIGHT_BEARING` order."""
    found = []
    for status in WEIGHT_BEARING:
        path = f"weight_bearing.{status}"
        entry = r.get(t, status, dict, "weight_bearing")
        found.append(WeightBearing(
            status=status, name=r.get(entry, "name", str, path),
            day_text=r.get(entry, "day_text", str, path),
            gate=tuple(r.get(entry, "gate", list, path)), source=r.get(entry, "source", str, path),
        ))
    r.check(set(t) <= set(WEIGHT_BEARING),
            f"weight_bearing: only {', '.join(WEIGHT_BEARING)} are statuses")
    return tuple(found)


def _site(r: _Reader, s: dict[str, Any], path: str) -> Site:
    risk = r.get(s, "risk", str, path)
    bone = r.get(s, "bone", str, path)
    r.check(risk in ("low", "high"), f"{path}.risk: '{risk}' must be low or high")
    r.check(bone in ("cortical", "trabecular"), f"{path}.bone: '{bone}' must be cortical or trabecular")
    rows = r.get(s, "protection", list, path)
    r.check(len(rows) == 4, f"{path}.protection: needs one row per grade 1-4, found {len(rows)}")
    return Site(
        id=r.get(s, "id", str, path),
        name=r.get(s, "name", str, path),
        aliases=tuple(r.get(s, "aliases", list, path)),
        risk=risk,
        bone=bone,
        hop_test=r.get(s, "hop_test", bool, path),
        strength_focus=r.get(s, "strength_focus", str, path),
        protection=tuple(_protection(r, row, f"{path}.protection[{i}]") for i, row in enumerate(rows)),
        timeline_sources=tuple(r.get(s, "timeline_sources", list, path)),
        timeline_note=r.get(s, "timeline_note", str, path),
        full_return_range=_pair(r, s, "full_return_range", path),
        full_return_source=r.get(s, "full_return_source", str, path),
        full_return_note=r.get(s, "full_return_note", str, path) if "full_return_note" in s else None,
        protect_cross=tuple(r.get(s, "protect_cross", list, path)) if "protect_cross" in s else (),
        referrals=tuple(
            Referral(
                grade=r.get(ref, "grade", int, f"{path}.referrals[{i}]"),
                reason=r.get(ref, "reason", str, f"{path}.referrals[{i}]"),
                source=r.get(ref, "source", str, f"{path}.referrals[{i}]"),
                always=_optional(r, ref, "always", bool, f"{path}.referrals[{i}]", False),
            )
            for i, ref in enumerate(r.get(s, "referrals", list, path))
        ),
        weight_bearing_source=r.get(s, "weight_bearing_source", str, path),
        protect_strength=_optional(r, s, "protect_strength", str, path, None),
    )


def _pair(r: _Reader, t: dict[str, Any], key: str, path: str) -> tuple[int, int]:
    value = r.get(t, key, list, path)
    ok = len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] <= value[1]
    r.check(ok, f"{path}.{key}: must be [low, high] weeks with low <= high")
    return (value[0], value[1]) if ok else (0, 0)


def _protection(r: _Reader, row: dict[str, Any], path: str) -> Protection:
    keys = row if isinstance(row, dict) else {}
    p = Protection(
        nwb_weeks=r.get(row, "nwb_weeks", int, path),
        protect_weeks=r.get(row, "protect_weeks", int, path),
        first_run_weeks=r.get(row, "first_run_weeks", int, path),
        first_run_range=_pair(r, row, "first_run_range", path) if "first_run_range" in keys else None,
        first_run_basis=r.get(row, "first_run_basis", str, path) if "first_run_basis" in keys else None,
        partial_weeks=_optional(r, keys, "partial_weeks", int, path, 0),
        boot_weeks=_optional(r, keys, "boot_weeks", int, path, 0),
    )
    protected = p.nwb_weeks + p.partial_weeks + p.boot_weeks
    r.check(min(p.nwb_weeks, p.partial_weeks, p.boot_weeks) >= 0,
            f"{path}: weeks of weight-bearing must not be negative")
    # Gate 1 asks for pain-free everyday walking, so a week of it comes before the gate.
    r.check(protected < p.protect_weeks or protected == 0,
            f"{path}: nwb_weeks + partial_weeks + boot_weeks ({protected}) must leave at least "
            "one week of full weight-bearing inside protect_weeks")
    r.check(p.protect_weeks >= 1, f"{path}.protect_weeks: at least 1")
    # A timing either sits in a published window or says, citing, that none is published.
    r.check((p.first_run_range is None) != (p.first_run_basis is None),
            f"{path}: needs exactly one of first_run_range (a published window) or first_run_basis")
    if p.first_run_range is not None:
        lo, hi = p.first_run_range
        r.check(lo <= p.first_run_weeks <= hi, f"{path}.first_run_weeks: {p.first_run_weeks} outside the published range [{lo}, {hi}]")
    elif p.first_run_basis is not None:
        r.check(p.first_run_basis.startswith("No published window") and "[" in p.first_run_basis,
                f"{path}.first_run_basis: must start 'No published window' and cite its sources")
    return p


_RULE_KEYS = frozenset({"id", "title", "text", "short", "sources", "when", "action", "sites",
                        "rest_days", "urgency", "reimaging", "show"})
_CONDITION_KEYS = frozenset({"signal", "at_least", "times", "within_days", "mornings"})
# Signals that mean pain at the bone: none of them may lead to `advance` or `repeat`.
_PAIN_SIGNALS = frozenset({*PAIN_SCORES, "pain_builds", "night_or_rest_pain"})
_CARRY_ON = ("advance", "repeat")


def _optional(r: _Reader, table: dict[str, Any], key: str, kind: type, path: str,
              default: Any) -> Any:
    """table[key] checked like `_Reader.get` when present, else `default`."""
    return r.get(table, key, kind, path) if key in table else default


def _unknown_keys(r: _Reader, table: dict[str, Any], known: frozenset[str], path: str) -> None:
    extra = sorted(set(table) - known)
    r.check(not extra, f"{path}: unknown key(s) {', '.join(extra)}")


def _pain_rule(r: _Reader, row: dict[str, Any], path: str) -> PainRule:
    """One row of the pain-rule table, its action and conditions checked."""
    _unknown_keys(r, row, _RULE_KEYS, path)
    when = r.get(row, "when", list, path)
    r.check(bool(when), f"{path}.when: needs at least one condition")
    rule = PainRule(
        **{k: r.get(row, k, str, path) for k in ("id", "title", "text", "short", "sources")},
        when=tuple(_condition(r, c, f"{path}.when[{j}]") for j, c in enumerate(when)),
        action=r.get(row, "action", str, path),
        sites=tuple(_optional(r, row, "sites", list, path, [])),
        rest_days=_optional(r, row, "rest_days", int, path, None),
        urgency=_optional(r, row, "urgency", str, path, None),
        reimaging=_optional(r, row, "reimaging", bool, path, False),
        show=tuple(_optional(r, row, "show", list, path, [])),
    )
    r.check(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.id) is not None,
            f"{path}.id: '{rule.id}' must be lower-case words joined by hyphens")
    r.check(set(rule.show) <= set(PAIN_SHOW), f"{path}.show: only {', '.join(PAIN_SHOW)}")
    # The sources field is the one place a rule cites, so the wordings cannot disagree on it.
    r.check(not list(cited_keys((rule.text, rule.short))),
            f"{path}: cite in `sources`, not inline in text or short")
    _check_action(r, rule, path)
    return rule


def _check_action(r: _Reader, rule: PainRule, path: str) -> None:
    """The action is in the closed set and carries exactly the parameters it needs."""
    r.check(rule.action in PAIN_ACTIONS,
            f"{path}.action: '{rule.action}' is not one of {', '.join(PAIN_ACTIONS)}")
    step_back = rule.action == "rest-then-step-back"
    r.check(step_back == (rule.rest_days is not None),
            f"{path}.rest_days: needed by rest-then-step-back, and by it only")
    r.check(rule.rest_days is None or rule.rest_days >= 1, f"{path}.rest_days: at least 1")
    referral = rule.action in ("stop-and-see-clinician", "back-on-crutches")
    r.check(referral == (rule.urgency is not None),
            f"{path}.urgency: needed by stop-and-see-clinician and back-on-crutches only")
    r.check(rule.urgency is None or rule.urgency in PAIN_URGENCIES,
            f"{path}.urgency: '{rule.urgency}' is not one of {', '.join(PAIN_URGENCIES)}")
    r.check(rule.action != "back-on-crutches" or bool(rule.sites),
            f"{path}.sites: back-on-crutches is site-specific and must name its sites")


def _condition(r: _Reader, c: Any, path: str) -> PainCondition:
    """One trigger: a known diary signal, a 1-10 threshold for scores (none for flags)."""
    c = c if isinstance(c, dict) else {}
    _unknown_keys(r, c, _CONDITION_KEYS, path)
    cond = PainCondition(
        signal=r.get(c, "signal", str, path),
        **{k: _optional(r, c, k, int, path, None)
           for k in ("at_least", "times", "within_days", "mornings")},
    )
    score = cond.signal in PAIN_SCORES
    r.check(score or cond.signal in PAIN_FLAGS, f"{path}.signal: '{cond.signal}' is not a diary signal")
    r.check(score == (cond.at_least is not None),
            f"{path}.at_least: a score needs a threshold, a yes/no flag none")
    r.check(cond.at_least is None or 1 <= cond.at_least <= 10, f"{path}.at_least: must be 1-10")
    r.check((cond.times is None) == (cond.within_days is None),
            f"{path}: times and within_days go together")
    r.check(cond.times is None or (cond.times >= 2 and (cond.within_days or 0) >= 1),
            f"{path}: times at least 2, within_days at least 1")
    r.check(cond.mornings is None or (cond.mornings >= 2 and cond.times is None
                                      and cond.signal in ("pain_next_morning", "site_pain")),
            f"{path}.mornings: at least 2, for a morning score, and not with times")
    return cond


def _pain_steps(r: _Reader, t: dict[str, Any]) -> PainSteps:
    """What repeat and one stage back mean: every kind of stage once."""
    rows = r.get(t, "back", list, "pain_steps")
    back = tuple(
        StepBack(**{k: r.get(b if isinstance(b, dict) else {}, k, str, f"pain_steps.back[{i}]")
                    for k in ("kind", "text", "sources")})
        for i, b in enumerate(rows))
    kinds = [b.kind for b in back]
    r.check(sorted(kinds) == sorted(STEP_KINDS),
            f"pain_steps.back: needs each of {', '.join(STEP_KINDS)} exactly once")
    return PainSteps(repeat=r.get(t, "repeat", str, "pain_steps"),
                     sources=r.get(t, "sources", str, "pain_steps"), back=back)


def _check_pain_table(r: _Reader, protocol: Protocol) -> None:
    """Unique ids, real sites, and an order in which no pain at the bone lets training go on."""
    rules, ids = protocol.pain_rules, [rule.id for rule in protocol.pain_rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    r.check(not twice, f"pain_rules: id(s) used twice: {', '.join(twice)}")
    site_ids = {site.id for site in protocol.sites}
    for i, rule in enumerate(rules):
        r.check(set(rule.sites) <= site_ids, f"pain_rules[{i}].sites: not all are site ids")
        r.check(rule.action not in _CARRY_ON or not {c.signal for c in rule.when} & _PAIN_SIGNALS,
                f"pain_rules[{i}]: '{rule.action}' must not be triggered by pain at the bone")
    catch = next((i for i, rule in enumerate(rules) if not rule.sites and any(
        c.signal == "site_pain" and c.at_least == 1 and c.times is None and c.mornings is None
        for c in rule.when)), None)
    r.check(catch is not None, "pain_rules: no rule for every site acts on any pain "
            "(site_pain at_least 1): bone must stay pain-free")
    r.check(catch is None or all(x.action not in _CARRY_ON for x in rules[:catch + 1]),
            "pain_rules: an advance or repeat rule comes before (or is) the any-pain rule")
    r.check(ids.count("advance") == 1 and rules[-1].action == "advance"
            and [x.action for x in rules].count("advance") == 1,
            "pain_rules: exactly one advance rule, id 'advance', last")
    for place in PAIN_SHOW:
        bare = [s.id for s in protocol.sites
                if not any(place in x.show and x.applies_to(s.id) for x in rules)]
        r.check(not bare, f"pain_rules: no rule shows on '{place}' for {', '.join(bare)}")


def _ambiguous(r: _Reader, row: Any, path: str) -> AmbiguousName:
    """One name that could mean several sites."""
    return AmbiguousName(name=r.get(row, "name", str, path),
                         sites=tuple(r.get(row, "sites", list, path)))


def _check_ambiguous(r: _Reader, protocol: Protocol, names: set[str]) -> None:
    """Each ambiguous name is no site's id or alias and lists at least two real sites."""
    ids = {site.id for site in protocol.sites}
    for i, entry in enumerate(protocol.ambiguous_names):
        path = f"ambiguous_names[{i}]"
        r.check(entry.name not in names, f"{path}: '{entry.name}' is also a site's id or alias")
        names.add(entry.name)
        r.check(len(set(entry.sites)) >= 2 and set(entry.sites) <= ids,
                f"{path}: sites must be two or more site ids")


def _check_consistency(r: _Reader, protocol: Protocol) -> None:
    """Cross-record rules: ids, sources, grade order and the site-risk ordering."""
    keys = {ref.key for ref in protocol.references}
    names: set[str] = set()
    for i, site in enumerate(protocol.sites):
        path = f"sites[{i}]"
        for name in (site.id, *site.aliases):
            r.check(name not in names, f"{path}: id or alias '{name}' is used twice")
            names.add(name)
        for field in (*site.timeline_sources, site.full_return_source, site.weight_bearing_source,
                      *(x.source for x in site.referrals)):
            r.problems += [f"{path}: {problem}" for problem in field_problems(field, keys)]
        _check_site_timeline(r, protocol, site, path)
        _check_protect_cross(r, protocol, site, path)
    _check_ambiguous(r, protocol, names)
    _check_pain_table(r, protocol)
    for path, field in _record_sources(protocol):
        r.problems += [f"{path}: {problem}" for problem in field_problems(field, keys)]
    r.check([g.number for g in protocol.grades] == [1, 2, 3, 4], "grades: must be numbered 1, 2, 3, 4")
    r.check(tuple(p.id for p in protocol.phases) == PHASE_IDS,
            f"phases: must be {', '.join(PHASE_IDS)} in that order")
    _check_risk_order(r, protocol)


def _record_sources(protocol: Protocol) -> list[tuple[str, str]]:
    found = [(f"grades[{i}].source", g.source) for i, g in enumerate(protocol.grades)]
    found += [(f"stages.{s.id}.source", s.source) for s in (*protocol.stages, *protocol.high_risk_stages)]
    found += [(f"phases[{i}].source", p.source) for i, p in enumerate(protocol.phases)]
    found += [("rules.source", protocol.rules.source)]
    found += [(f"pain_rules.{x.id}.sources", x.sources) for x in protocol.pain_rules]
    found += [("pain_steps.sources", protocol.pain_steps.sources)]
    found += [(f"pain_steps.back.{b.kind}.sources", b.sources) for b in protocol.pain_steps.back]
    found += [("cross_training.source", protocol.cross_training.source),
              ("bodyweight_support.source", protocol.bodyweight_source),
              ("return_to_sport.source", protocol.return_to_sport.source)]
    found += [(f"return_to_sport.steps[{i}].source", s.source)
              for i, s in enumerate(protocol.return_to_sport.steps)]
    found += [(f"bone_health[{i}]", item[1]) for i, item in enumerate(protocol.bone_health)]
    found += [(f"weight_bearing.{b.status}.source", b.source) for b in protocol.weight_bearing]
    return found


def _check_site_timeline(r: _Reader, protocol: Protocol, site: Site, path: str) -> None:
    previous = 0
    for grade, p in enumerate(site.protection, start=1):
        # Only a high-risk site may go without a published window: a low-risk site's timing
        # always follows the published grade windows.
        r.check(p.first_run_range is not None or site.risk == "high",
                f"{path}.protection[{grade - 1}]: a low-risk site needs a published first_run_range")
        reload = p.first_run_weeks - p.protect_weeks
        r.check(reload >= protocol.rules.min_reload_weeks,
                f"{path}.protection[{grade - 1}]: only {reload} reload weeks; at least {protocol.rules.min_reload_weeks}")
        r.check(p.first_run_weeks >= previous,
                f"{path}.protection[{grade - 1}]: a higher grade must not run earlier than a lower one")
        previous = p.first_run_weeks


def _check_protect_cross(r: _Reader, protocol: Protocol, site: Site, path: str) -> None:
    """A site's protect-phase cross-training leaves each protect option set something to use."""
    cross = protocol.cross_training
    for name in site.protect_cross:
        r.check(name in dict(cross.modalities), f"{path}.protect_cross: '{name}' is not in cross_training.modalities")
    for key in ("protect_nwb", "protect"):
        options = getattr(cross, key)
        r.check(not site.protect_cross or any(m in options.allowed for m in site.protect_cross),
                f"{path}.protect_cross: leaves nothing allowed in cross_training.{key}")


def _check_risk_order(r: _Reader, protocol: Protocol) -> None:
    """No high-risk site may start running before any low-risk site at the same grade."""
    for g in range(4):
        low = [s.protection[g].first_run_weeks for s in protocol.sites if s.risk == "low"]
        high = [(s.protection[g].first_run_weeks, s.id) for s in protocol.sites if s.risk == "high"]
        for weeks, site_id in high:
            r.check(not low or weeks >= max(low),
                    f"sites.{site_id}.protection[{g}]: high-risk site runs at week {weeks}, before a low-risk site ({max(low)})")


def _check_citations(r: _Reader, raw: Any, keys: set[str], path: str = "protocol") -> None:
    """Every inline citation in any text must be well formed and resolve to a reference."""
    if isinstance(raw, dict):
        for k, v in raw.items():
            if path == "protocol" and k == "references":
                continue
            _check_citations(r, v, keys, f"{path}.{k}")
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            _check_citations(r, v, keys, f"{path}[{i}]")
    elif isinstance(raw, str):
        r.problems += [f"{path}: {problem}" for problem in text_problems(raw, keys)]
