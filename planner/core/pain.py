"""The pain rules: their wording for one site, and applying them to diary signals.

Every text a plan prints about pain (a loading day's full rules, the reminder on other
training days, the rest-day red flag, the guide and the diary key) is built here from the one
table in the protocol (`Protocol.pain_rules`), so no two of them can say different things.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.core.models import PAIN_SCORES, PainCondition, PainRule, Protocol

# What a diary day reports: signal name -> score (0-10) or flag (bool). Missing means 0 / no.
Signals = Mapping[str, "int | bool"]


def rules_for(protocol: Protocol, site_id: str) -> tuple[PainRule, ...]:
    """The site's pain rules in order of precedence (site-specific rules only for their sites).

    A general rule that shares a sign with a site's own rule before it says so, so a runner
    never reads two urgencies for one sign (at the femoral neck a limp is "same day", not
    "next working day").
    """
    found: list[PainRule] = []
    for rule in protocol.pain_rules:
        if not rule.applies_to(site_id):
            continue
        earlier = next((r for r in found if r.sites and _signals(r) & _signals(rule)), None)
        if earlier is not None and not rule.sites:
            note = f" At this site, a sign the rule \"{earlier.title}\" names follows that rule."
            rule = rule._replace(text=rule.text + note, short=rule.short + note)
        found.append(rule)
    return tuple(found)


def _signals(rule: PainRule) -> set[str]:
    return {c.signal for c in rule.when}


def rule_line(rule: PainRule) -> str:
    """A rule in full: its wording (which names its own trigger) and its sources."""
    return f"{rule.text} [{rule.sources}]"


def short_line(rule: PainRule) -> str:
    """A rule in a few words, with its sources."""
    return f"{rule.short} [{rule.sources}]"


def lines(protocol: Protocol, site_id: str) -> tuple[str, ...]:
    """The site's rules in full, in order: what the guide and every loading day print."""
    return tuple(rule_line(rule) for rule in rules_for(protocol, site_id))


def loading_block(protocol: Protocol, site_id: str, step_kind: str | None = None) -> str:
    """A loading day's pain rules: all of the site's rules, then what one stage back means
    from today's kind of stage, and what repeat means."""
    out = ["PAIN RULES (the first that fits decides)", *(f"- {line}" for line in
                                                         lines(protocol, site_id))]
    steps = protocol.pain_steps
    if step_kind is not None:
        back = steps.back_for(step_kind)
        out.append(f"One stage back from today's session: {back.text} [{back.sources}]")
    out.append(f"{steps.repeat} [{steps.sources}]")
    return "\n".join(out)


def _shown(protocol: Protocol, site_id: str, place: str) -> str:
    return " ".join(short_line(r) for r in rules_for(protocol, site_id) if place in r.show)


def reminder(protocol: Protocol, site_id: str) -> str:
    """The short pain reminder of a training day that does not load the bone."""
    return f"Pain rules: {_shown(protocol, site_id, 'reminder')}"


def red_flag(protocol: Protocol, site_id: str) -> str:
    """The rest-day line: the rules that apply even when nothing is trained."""
    return f"Red flags: {_shown(protocol, site_id, 'rest')}"


def step_kind(phase: str, stage: str | None) -> str:
    """The kind of stage a day belongs to, for "one stage back" (see models.STEP_KINDS).

    Any phase after the walk/run and build phases (a return-to-sport phase) steps back to
    the previous week's load.
    """
    if stage in ("impact-double", "impact-single"):
        return stage
    known = {"protect": "protect", "reload": "reload-walk", "return-to-run": "walk-run",
             "build": "build"}
    return known.get(phase, "return-to-sport")


def _value(signals: Signals, signal: str) -> int | bool:
    if signal == "site_pain" and "site_pain" not in signals:
        return max(int(signals.get("pain_during", 0)), int(signals.get("pain_next_morning", 0)))
    return signals.get(signal, 0 if signal in PAIN_SCORES else False)


def _holds_once(cond: PainCondition, signals: Signals) -> bool:
    value = _value(signals, cond.signal)
    return value >= cond.at_least if cond.at_least is not None else bool(value)


def _holds(cond: PainCondition, days: Sequence[tuple[int, Signals]]) -> bool:
    """The condition on the last diary day, counting back over earlier days where it asks."""
    today, signals = days[-1]
    if not _holds_once(cond, signals):
        return False
    if cond.mornings is not None:
        recent = [(d, s) for d, s in days if today - d < cond.mornings]
        return len(recent) == cond.mornings and all(_holds_once(cond, s) for _, s in recent)
    if cond.times is not None:
        window = [s for d, s in days if today - d < (cond.within_days or 0)]
        return sum(_holds_once(cond, s) for s in window) >= cond.times
    return True


def first_rule(protocol: Protocol, site_id: str,
               days: Sequence[tuple[int, Signals]]) -> PainRule | None:
    """The rule that decides after the last of `days` (day number, signals), oldest first,
    one entry per diary day; None when no rule applies (carry on as planned)."""
    if not days:
        return None
    return next((rule for rule in rules_for(protocol, site_id)
                 if any(_holds(cond, days) for cond in rule.when)), None)
