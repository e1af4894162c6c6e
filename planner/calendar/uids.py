"""The identity of a plan's calendar: the plan id, and the UIDs of the calendar and its events.

A plan folder's id is made once, when its first plan is written (`new_plan_id`), kept in
plan.json and reused by every regeneration of that folder, whatever changes; the calendar's
UID and every event's derive from it. So a regenerated file updates the events a calendar
already holds instead of duplicating them, and plans made separately (in different folders,
or from different requests) never share a UID. Ids are derived, never random, so the same
inputs and the same folder history give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from planner.core.models import Day, Plan

UID_DOMAIN = "rtr-planner.invalid"


def plan_uid(plan: Plan) -> str:
    """Return the default 16-hex-digit identity of a plan: sha256 of (athlete, site id, start).

    This is the identity of a calendar rendered without a folder (`to_ics` called directly),
    and the one plan folders had before `new_plan_id`; such a folder keeps it.

    The canonical JSON is ``{"athlete": …, "site": …, "start": "YYYY-MM-DD"}`` with sorted
    keys, no whitespace and UTF-8 text. Grade, rest day and clearance are deliberately left
    out: a re-graded or re-scheduled plan for the same injury keeps its UIDs, so calendars
    that honour UIDs update the events instead of showing two plans.
    """
    identity = {
        "athlete": plan.request.athlete,
        "site": plan.request.site,
        "start": plan.request.start.isoformat(),
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def event_uid(plan: Plan, day: Day) -> str:
    """Return the UID of one day's event: ``rtr-<plan_uid>-YYYYMMDD@rtr-planner.invalid``."""
    return day_uid(plan_uid(plan), day.date)


def day_uid(plan_id: str, day: date) -> str:
    """Return the event UID for `day` in the plan with identity `plan_id`."""
    return f"rtr-{plan_id}-{day:%Y%m%d}@{UID_DOMAIN}"


def calendar_uid(plan_id: str) -> str:
    """Return the RFC 7986 UID of the calendar with identity `plan_id` (distinct from every
    event UID)."""
    return f"rtr-{plan_id}@{UID_DOMAIN}"


def new_plan_id(request: dict, folder: str, replaces: str | None = None) -> str:
    """Return the identity of a plan folder's first plan: 16 hex digits of sha256 over the
    canonical JSON of its request (as plan.json records it), the folder's absolute path, and
    the id it `replaces` when a user starts a fresh calendar over an earlier one.

    Two runners left at the same name, site and start in two folders get different ids, and
    a fresh calendar never reuses the id it replaces.
    """
    identity = {"request": request, "folder": folder, "replaces": replaces}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
