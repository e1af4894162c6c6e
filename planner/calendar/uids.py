"""The identity of a plan's calendar: the plan id, and the UIDs of the calendar and its events.

UIDs are derived from stable inputs, never random, so a regenerated file updates the events a
calendar already holds instead of duplicating them, and two plans never share a UID.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from planner.core.models import Day, Plan

UID_DOMAIN = "rtr-planner.invalid"


def plan_uid(plan: Plan) -> str:
    """Return the 16-hex-digit identity of a plan: sha256 of (athlete, site id, start ISO).

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


def calendar_uid(plan: Plan) -> str:
    """Return the RFC 7986 UID of the calendar itself (distinct from every event UID)."""
    return f"rtr-{plan_uid(plan)}@{UID_DOMAIN}"
