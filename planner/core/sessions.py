"""Wording of single sessions: short calendar titles and full plain-text instructions.

Pure functions from a few numbers and the site to a `Session`; the engine decides which
session falls on which day. Titles are short enough for a calendar month view.
"""

from __future__ import annotations

from typing import NamedTuple

from planner.core.models import ReturnToSport, Protocol, Site, Stage

CROSS_MINUTES = 30
STRENGTH_MINUTES = 30
IMPACT_MINUTES = 15


class Session(NamedTuple):
    """One day's work before the engine adds phase, week, gate and pain rules."""

    kind: str
    title: str
    details: str
    run_minutes: int = 0
    walk_minutes: int = 0
    total_minutes: int = 0
    stage: str | None = None


def rest() -> Session:
    """A full rest day."""
    return Session("rest", "Rest", "Full rest day: no training. Ordinary daily walking is fine.")


def protect_cross(nwb: bool, modality: str, protocol: Protocol) -> Session:
    """Protect-phase cross-training that fits the weight-bearing status."""
    status = ("Non-weight-bearing: use crutches or boot exactly as prescribed." if nwb else
              "If it hurts at the injured site, switch to the pool or upper-body work. Walk "
              "only as much as daily life needs.")
    return Session(
        "cross", f"Cross-train: {modality} {CROSS_MINUTES} min",
        f"{protocol.cross_training.describe(modality)}, {CROSS_MINUTES} min, easy to moderate "
        f"and pain-free at the injured site. {status}",
        total_minutes=CROSS_MINUTES,
    )


def protect_strength(nwb: bool, site: Site) -> Session:
    """Protect-phase strength: upper body and core, site work only as the status allows."""
    if nwb:
        work = ("seated or lying upper-body and core work (presses, rows, side planks from the "
                "knees); for the injured leg only pain-free isometrics your clinician has shown you")
    else:
        work = (f"non-impact, pain-free strength for {site.strength_focus}, plus upper body and "
                "core; 2-3 sets of 10-15, light to moderate")
    return Session(
        "strength", f"Strength {STRENGTH_MINUTES} min",
        f"Strength, {STRENGTH_MINUTES} min: {work}.",
        total_minutes=STRENGTH_MINUTES,
    )


def reload_cross(walk: int, modality: str, protocol: Protocol) -> Session:
    """Reload-phase day: brisk walk plus low-impact cross-training."""
    return Session(
        "cross", f"Walk {walk} min + {modality} 20 min",
        f"Brisk walk, {walk} min on flat, even ground, pain-free. Then "
        f"{protocol.cross_training.describe(modality).lower()}, 20 min, easy.",
        walk_minutes=walk, total_minutes=walk + 20,
    )


def reload_strength(walk: int, site: Site, single_leg: bool) -> Session:
    """Reload-phase progressive strength aimed at the injured site, with the day's walk."""
    extra = (" Add single-leg work (single-leg squats to a box, step-ups, single-leg calf raises) "
             "as it stays pain-free." if single_leg else "")
    return Session(
        "strength", f"Walk {walk} min + strength",
        f"Brisk walk, {walk} min, pain-free. Strength, {STRENGTH_MINUTES} min, progressive: "
        f"{site.strength_focus}; 3 sets of 8-12, slow and controlled, add load when the last "
        f"reps feel easy.{extra}",
        walk_minutes=walk, total_minutes=walk + STRENGTH_MINUTES,
    )


def reload_impact(walk: int, single_leg: bool, high_risk: bool) -> Session:
    """Impact preparation: pogos and hops, double-leg first, then single-leg.

    At a high-risk site the imaging review that gates running also gates impact work.
    """
    hops = ("pogos 3 x 20; double-leg hops forward/back and side to side 3 x 10 each; "
            "single-leg hops in place 3 x 10 each leg" if single_leg else
            "pogos 3 x 20; double-leg hops in place 3 x 10; double-leg hops forward/back 2 x 10")
    return Session(
        "impact", "Impact prep: pogos + hops",
        f"Impact preparation, about {IMPACT_MINUTES} min after a 5 min walk warm-up: {hops}. "
        f"Rest 90 s between sets; land softly and quietly. Then a brisk walk of {walk} min."
        + (" High-risk site: hop only once your clinician has reviewed you (and imaging) and "
           "approved impact work; until then do the strength session instead." if high_risk else ""),
        walk_minutes=walk, total_minutes=walk + IMPACT_MINUTES,
        stage="impact-single" if single_leg else "impact-double",
    )


def run_session(stage: Stage, bodyweight: int | None = None) -> Session:
    """A walk/run bone-loading session, or a continuous run once the stage has no walking.

    With `bodyweight` (percent), the session is on an anti-gravity treadmill at that load.
    """
    if stage.walk == 0:
        title = f"Run {stage.run_minutes} min continuous"
        body = f"Easy continuous run, {stage.run_minutes} min, on a flat, even surface."
    else:
        title = f"Run/walk {stage.run}:{stage.walk} ×{stage.reps} · {stage.total_minutes} min"
        body = (f"Bone-loading session, {stage.total_minutes} min on a flat, even surface: "
                f"{stage.reps} rounds of {stage.run} min easy jogging and {stage.walk} min "
                "brisk walking.")
    if bodyweight is not None:
        title = f"AlterG {bodyweight}% · {title}"
        body = (f"On the anti-gravity treadmill at {bodyweight}% of body weight. {body} If it "
                "hurts, shorten the runs, slow down or lower the body weight.")
    return Session(
        "run", title,
        f"{body} Warm up with 5 minutes of brisk walking first. Conversational effort. Stay on "
        "this stage until a whole week has been pain-free.",
        run_minutes=stage.run_minutes, walk_minutes=stage.walk_minutes,
        total_minutes=stage.total_minutes, stage=stage.id,
    )


def build_run(minutes: int, strides: bool) -> Session:
    """A continuous easy run of the build phase; strides only in the final week."""
    extra = (" Finish with 4 relaxed strides of 20 seconds on flat ground, walking back between "
             "them." if strides else "")
    return Session(
        "run", f"Run {minutes} min easy" + (" + strides" if strides else ""),
        f"Easy continuous run, {minutes} min, conversational effort, flat route.{extra}",
        run_minutes=minutes, total_minutes=minutes,
    )


def sport_run(minutes: int, role: str, rules: ReturnToSport, paired: bool) -> Session:
    """A return-to-sport run: "easy", "long" (the week's longer run) or an intensity step id.

    Every run is easy and on flat, forgiving ground unless the role says otherwise; a run
    beside another run (the back-to-back pair a 4th run day brings) says so.
    """
    titles = {"easy": f"Run {minutes} min easy", "long": f"Longer run {minutes} min easy",
              "strides": f"Run {minutes} min + strides", "hills": f"Run {minutes} min + short hills",
              "speed": f"Run {minutes} min + 4×1 min faster"}
    parts = [f"Continuous run, {minutes} min, easy and conversational unless this says "
             f"otherwise. {rules.surface}"]
    if role != "easy":
        parts.append(rules.step("long-run" if role == "long" else role).session)
    if paired:
        parts.append(rules.step("fourth-run-day").session)
    return Session("run", titles[role], " ".join(parts), run_minutes=minutes,
                   total_minutes=minutes, stage=f"rts-{role}")


def review(text: str) -> Session:
    """The plan's last day: no training, the clinician review of the final gate."""
    return Session("rest", "Clinician review", text)


def loading_cross(modality: str, protocol: Protocol) -> Session:
    """Cross-training between runs in the return-to-run and build phases."""
    return Session(
        "cross", f"Cross-train: {modality} {CROSS_MINUTES} min",
        f"{protocol.cross_training.describe(modality)}, {CROSS_MINUTES} min, easy: keeps "
        "fitness without loading the bone on the day between runs. Everyday walking continues "
        "as normal.",
        total_minutes=CROSS_MINUTES,
    )


def loading_strength(site: Site) -> Session:
    """Strength between runs: keep the site-specific programme going."""
    return Session(
        "strength", f"Strength {STRENGTH_MINUTES} min",
        f"Strength, {STRENGTH_MINUTES} min: {site.strength_focus}; 3 sets of 8-12 with "
        "moderate load. No hopping or running today.",
        total_minutes=STRENGTH_MINUTES,
    )
