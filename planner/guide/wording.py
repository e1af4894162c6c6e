"""The guide's own wording: the disclaimer, warning signs, calendar help and the diary key.

Clinical wording comes from the protocol; only these texts are the guide's own. They are plain
strings (Markdown- and HTML-safe), printed by the templates through the context.
"""

from __future__ import annotations

from typing import TypedDict


DISCLAIMER = (
    "This guide is general information, to be used together with a qualified clinician "
    "(physiotherapist, sports physician or doctor) who knows your injury. It is not a "
    "diagnosis and does not replace an individual assessment: your clinician may change "
    "any date, session or gate in it."
)


RED_FLAGS = (
    "Stop and seek medical care promptly if you have pain at rest or at night, pain that "
    "gets worse from day to day, new swelling, or you cannot put weight on the leg."
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


# The diary key restates the protocol's pain rules (printed in full beside it) in a few
# plain lines a runner can apply with a pen in hand; it must never say more than they do.
DIARY_KEY = (
    "Score pain at the injury site only, from 0 (no pain) to 10 (worst imaginable). General "
    "muscle soreness does not count: write it in the notes.",
    "0 during the session and 0 the next morning is the goal. Move on to the next stage only "
    "after a week of sessions that stayed at 0.",
    "Any pain at the injury site during a session or within 24 hours (including the next "
    "morning): rest 1-2 days, then step back one stage and repeat it until it is pain-free. "
    "Sharp pain, pain that builds, or a limp: do not progress. The later dates move back.",
    "Pain at rest or at night, or swelling: stop training and contact your clinician.",
    "Bring this diary to every appointment.",
)
