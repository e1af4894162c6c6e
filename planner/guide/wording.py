"""The guide's own wording: the disclaimer, calendar help and the frame of the diary key.

Clinical wording comes from the protocol (the pain rules and red flags from its one pain-rule
table, through `planner.core.pain`); only these texts are the guide's own. They are plain
strings (Markdown- and HTML-safe), printed by the templates through the context.
"""

from __future__ import annotations

from typing import TypedDict

from planner.core.models import Protocol
from planner.core.pain import rules_for


DISCLAIMER = (
    "This guide is general information, to be used together with a qualified clinician "
    "(physiotherapist, sports physician or doctor) who knows your injury. It is not a "
    "diagnosis and does not replace an individual assessment: your clinician may change "
    "any date, session or gate in it."
)


CALENDAR_ADVICE = (
    "Always import the plan into a new calendar used only for this plan. Deleting that "
    "calendar removes the whole plan in one step, and your own appointments are never "
    "touched. An imported file is a snapshot: if your clinician changes the plan, delete the "
    "plan calendar and import the new file into a fresh one."
)


class ImportGuide(TypedDict):
    """Steps to import the .ics file into one calendar app."""

    app: str
    steps: tuple[str, ...]


# Per-client behaviour from the calendar-interop research: Google imports on the web only,
# skips UIDs it has seen and drops alarms; Outlook imports are snapshots.
CALENDAR_IMPORT = (
    ImportGuide(
        app="Google Calendar",
        steps=(
            (
                "Use Google Calendar on the web (calendar.google.com) on a computer: the phone "
                "apps cannot import files."
            ),
            "Create a new calendar first: Settings → Add calendar → Create new calendar.",
            (
                "Go to Settings → Import & export → Import, select the .ics file and choose the "
                "new calendar as the destination."
            ),
            (
                "Importing the same file again is skipped by Google (the events already exist). "
                "To replace a plan, delete the plan calendar and import into a fresh one."
            ),
            (
                "Google ignores reminders in imported files; set notifications on the plan "
                "calendar itself if you want them."
            ),
        ),
    ),
    ImportGuide(
        app="Apple Calendar",
        steps=(
            (
                "Mac: File → Import, select the .ics file, then choose New Calendar (or an empty "
                "calendar made for the plan) when asked where to add the events."
            ),
            (
                "iPhone or iPad: email the .ics file to yourself, open it from Mail, tap Add All "
                "and pick a new calendar for the plan."
            ),
        ),
    ),
    ImportGuide(
        app="Outlook",
        steps=(
            (
                "Outlook on the web or the new Outlook: Calendar → Add calendar → Upload from "
                "file, browse to the .ics file and choose a new calendar for it."
            ),
            (
                "Classic Outlook on the desktop: File → Open & Export → Import/Export → Import "
                "an iCalendar (.ics) file, then choose Open as New; double-clicking the file "
                "may also open it as a new calendar."
            ),
            "The imported plan is a snapshot and does not update if the file changes.",
        ),
    ),
)


# What each kind of stage is called where the guide says what "one stage back" means.
STEP_LABELS = {
    "protect": "Protect phase",
    "reload-walk": "A reload walking week",
    "impact-double": "Double-leg hops",
    "impact-single": "Single-leg hops",
    "walk-run": "A walk/run stage",
    "build": "A build week",
    "return-to-sport": "Any later stage",
}


def diary_key(protocol: Protocol, site_id: str) -> tuple[str, ...]:
    """The diary key: how to score, then each of the site's pain rules in short, in the
    order they are applied (the same table the guide and the calendar print in full)."""
    return (
        "Score pain at the injury site only, from 0 (no pain) to 10 (worst imaginable). General "
        "muscle soreness does not count: write it in the notes, with any night pain, limp, "
        "swelling or illness.",
        "Go down this list after each session and each morning; the first line that fits "
        "decides. The later dates move back.",
        *(f"{rule.short} (rule {rule.id})" for rule in rules_for(protocol, site_id)),
        "Bring this diary to every appointment.",
    )
