"""Wording of single sessions: short calendar titles and full plain-text instructions.

Pure functions from a few numbers and the site to a `Session`; the engine decides which
session falls on which day. Titles are short enough for a calendar month view.
"""

from __future__ import annotations

from typing import NamedTuple

from planner.core.models import Protocol, ReturnToSport, Site, Stage, WeightBearing

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
    modality: str | None = None
    single_leg: bool = False
    intensity: str | None = None


def rest(bearing: WeightBearing) -> Session:
    """A full rest day, with what the day's weight-bearing status allows."""
    return Session("rest", "Rest", f"Full rest day: no training. {bearing.day_text}")


def protect_cross(bearing: WeightBearing, modality: str, protocol: Protocol,
                  allowed: tuple[str, ...]) -> Session:
    """Protect-phase cross-training that fits the weight-bearing status; `allowed` is what the
    site's protection allows (the fallback when the modality hurts is chosen from it)."""
    # Sites that keep water work out of protection (pelvis, sacrum, hip) fall back to the
    # upper body only.
    fallback = "upper-body work" if "pool" not in allowed else "the pool or upper-body work"
    status = (bearing.day_text if bearing.status != "full" else
              f"If it hurts at the injured site, switch to {fallback}. Walk only as much as "
              "daily life needs, pain-free; if walking hurts or you limp, stop, take the weight "
              "off it (crutches or a boot if you have them) and tell your clinician.")
    return Session(
        "cross", f"Cross-train: {modality} {CROSS_MINUTES} min",
        f"{protocol.cross_training.describe(modality)}, {CROSS_MINUTES} min, easy to moderate "
        f"and pain-free at the injured site. {status}",
        total_minutes=CROSS_MINUTES,
    )


# Strength that loads the injured bone waits for Gate 1: it restarts once everyday time on
# the feet is comfortable [S3]. Until then only parts that keep load off the bone are trained.
_PROTECTED_STRENGTH = ("seated or lying upper-body and core work (presses, rows, side planks "
                       "from the knees); for the injured leg only pain-free isometrics your "
                       "clinician has shown you")
_OFF_LOADED_STRENGTH = ("upper body and core, and for the legs only exercises that keep weight "
                        "off the injured bone (lying hip abduction, clams, glute bridges, seated "
                        "knee extension without weights); no calf raises, balance work, hops or "
                        "standing exercises on the injured leg until Gate 1 [S3]; 2-3 sets of "
                        "10-15, light to moderate")


def protect_strength(bearing: WeightBearing, site: Site) -> Session:
    """Protect-phase strength: nothing that loads the injured bone before Gate 1."""
    if site.protect_strength:
        work = site.protect_strength
    elif bearing.status != "full":
        work = _PROTECTED_STRENGTH
    else:
        work = _OFF_LOADED_STRENGTH
    return Session(
        "strength", f"Strength {STRENGTH_MINUTES} min",
        f"Strength, {STRENGTH_MINUTES} min: {work}. {bearing.day_text}",
        total_minutes=STRENGTH_MINUTES,
    )


def reload_cross(walk: int, modality: str, protocol: Protocol) -> Session:
    """Reload-phase day: brisk walk plus low-impact cross-training."""
    return Session(
        "cross", f"Walk {walk} min + {modality} 20 min",
        f"Brisk walk, {walk} min on flat, even ground, pain-free. Then "
        f"{protocol.cross_training.describe(modality).lower()}, 20 min, easy.",
        walk_minutes=walk, total_minutes=walk + 20, modality=modality,
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
        walk_minutes=walk, total_minutes=walk + STRENGTH_MINUTES, single_leg=single_leg,
    )


def reload_impact(walk: int, step: str, protocol: Protocol, site: Site) -> Session:
    """Impact preparation, one step a week: ``double`` (double-leg contacts; low-level only at a
    site with no hop test), ``single`` (single-leg hops) or ``hop-test`` (the single-leg hop test
    on the last impact day before Gate 2). At a high-risk site the clinician's review and
    imaging come first."""
    text = protocol.impact
    if step == "double":
        work, title = ((text.double_leg, "Impact prep: pogos + double-leg hops") if site.hop_test
                       else (text.low_level, "Plyo prep: pogos, both feet"))
        stage = "impact-double"
    elif step == "single":
        work, stage, title = text.single_leg, "impact-single", "Impact prep: single-leg hops"
    else:
        work, stage, title = text.hop_test, "hop-test", "Hop test + impact prep"
    return Session(
        "impact", title,
        f"Impact preparation, about {IMPACT_MINUTES} min after a 5 min walk warm-up: {work}. "
        f"Rest 90 s between sets; land softly and quietly. Then a brisk walk of {walk} min."
        + (f" {text.high_risk}" if site.risk == "high" else ""),
        walk_minutes=walk, total_minutes=walk + IMPACT_MINUTES, stage=stage,
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
        modality="anti-gravity treadmill" if bodyweight is not None else None,
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
                   total_minutes=minutes, stage=f"rts-{role}",
                   intensity=role if role in ("strides", "hills", "speed") else None)


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
        total_minutes=CROSS_MINUTES, modality=modality,
    )


def loading_strength(site: Site, single_leg: bool) -> Session:
    """Strength between runs: keep the site-specific programme going, single-leg work only if
    the reload phase introduced it (one new thing at a time)."""
    extra = (" Keep the single-leg exercises going." if single_leg else
             " Both legs together: add single-leg work only with your clinician's go-ahead, in a "
             "week when nothing else goes up.")
    return Session(
        "strength", f"Strength {STRENGTH_MINUTES} min",
        f"Strength, {STRENGTH_MINUTES} min: {site.strength_focus}; 3 sets of 8-12 with "
        f"moderate load.{extra} No hopping or running today.",
        total_minutes=STRENGTH_MINUTES, single_leg=single_leg,
    )
