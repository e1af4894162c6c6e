"""Revisions: each event's SEQUENCE and LAST-MODIFIED against the folder's earlier plan.

An event whose content is unchanged keeps its record; a changed one has SEQUENCE raised by
one; a day the plan no longer has is written once as cancelled. This is what calendars that
follow a feed or a server use to apply changes in place. Pure: the earlier records and the
time of this generation come from the caller.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import NamedTuple

from planner.calendar.events import EventContent, cancelled_content, in_utc, plan_events
from planner.calendar.history import CalendarHistory, EventRecord
from planner.calendar.options import CalendarOptions
from planner.calendar.uids import plan_uid
from planner.core.models import Plan


class Revision(NamedTuple):
    """The events to write with their SEQUENCE/LAST-MODIFIED, and what changed.

    `counts` has ``changed``, ``added``, ``cancelled`` (this time) and ``unchanged``; it is
    None on a first generation (no previous calendar of the same plan).
    """

    plan_id: str
    events: tuple[tuple[EventContent, EventRecord], ...]
    cancelled: tuple[tuple[EventContent, EventRecord], ...]
    counts: dict[str, int] | None

    def history(self) -> CalendarHistory:
        """The records plan.json keeps, for the next regeneration."""
        return CalendarHistory(self.plan_id, tuple(r for _, r in self.events),
                               tuple(r for _, r in self.cancelled))


def revise(plan: Plan, options: CalendarOptions | None = None,
           previous: CalendarHistory | None = None, now: datetime | None = None,
           plan_id: str | None = None) -> Revision:
    """Give each event its SEQUENCE and LAST-MODIFIED against the `previous` generation.

    Without `previous` (or for another plan identity) every event is SEQUENCE 0 with no
    LAST-MODIFIED. Otherwise an event whose fingerprint is unchanged keeps its record; a
    changed, new or returning one gets SEQUENCE + 1 (0 if new) and LAST-MODIFIED = `now`;
    a UID the plan no longer has is written once as STATUS:CANCELLED (raised once, then
    kept as it is in later generations). `now` must be an aware datetime when `previous`
    is given. `plan_id` is the calendar's identity (default `plan_uid(plan)`); a plan folder
    passes the one its plan.json keeps.
    """
    plan_id = plan_id or plan_uid(plan)
    contents = plan_events(plan, options or CalendarOptions(), plan_id)
    if previous is None or previous.plan_id != plan_id:
        return Revision(plan_id, tuple((c, _record(c, None, None)) for c in contents), (), None)
    if now is None:
        raise ValueError("now is needed to stamp LAST-MODIFIED when revising a calendar")
    stamp = in_utc(now)
    current = {c.uid for c in contents}
    gone = [cancelled_content(previous.record(uid)) for uid in _known_uids(previous)
            if uid not in current]
    gone.sort(key=lambda c: (c.day, c.uid))
    tally: Counter[str] = Counter()
    events = tuple(_revised(c, previous, stamp, tally) for c in contents)
    cancelled = tuple(_revised(c, previous, stamp, tally) for c in gone)
    counts = {k: tally[k] for k in ("changed", "added", "cancelled", "unchanged")}
    return Revision(plan_id, events, cancelled, counts)


def _known_uids(history: CalendarHistory) -> list[str]:
    """Every UID of a history, live events first, each once."""
    return list(dict.fromkeys(r.uid for r in history.events + history.cancelled))


def _revised(content: EventContent, previous: CalendarHistory, now: datetime,
             tally: Counter[str]) -> tuple[EventContent, EventRecord]:
    """The content with its new record; counts what happened to it in `tally`."""
    before = previous.record(content.uid)
    fingerprint = content.fingerprint()
    if before is not None and before.fingerprint == fingerprint:
        tally["unchanged"] += 1
        return content, before
    if before is None:
        tally["added"] += 1
        return content, _record(content, 0, now)
    tally["cancelled" if content.status == "CANCELLED" else "changed"] += 1
    return content, _record(content, before.sequence + 1, now)


def _record(content: EventContent, sequence: int | None, now: datetime | None) -> EventRecord:
    """A record of `content` at `sequence` (0 if None), last modified `now` (or never)."""
    return EventRecord(content.uid, content.day, sequence or 0, now, content.fingerprint())
