"""Weight-bearing through the protect phase: which status holds on a day, and the gate that
opens each status after the first.

A protection row lists the protected statuses (non-weight-bearing, partial, boot) with their
weeks; full weight-bearing follows. Each change falls on the first day of a training week (a
non-loading day, where a gate can sit) on or after the weeks have passed, so a status is never
shorter than the protocol says.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from planner.core.models import Day, Gate, Protection, Protocol
from planner.core.week import week_start_on_or_after

GATE_LABEL = "Weight-bearing check"
# The dated imaging review before a high-risk site's first impact week.
IMAGING_LABEL = "Imaging check"


def clears_a_status(gate: Gate | None) -> bool:
    """True for the checks a clinician clears before that day's session inside a phase: a
    weight-bearing change or a high-risk site's imaging check."""
    return gate is not None and gate.label in (GATE_LABEL, IMAGING_LABEL)


def bearing_changes(start: date, protection: Protection, anchor: int) -> tuple[tuple[date, str], ...]:
    """(first day, status) for every status of a plan in order, ending with ``full``.

    `anchor` is the weekday training weeks start on; the first status starts on `start`.
    """
    found, weeks, since = [], 0, start
    for status, length in protection.bearing_steps():
        found.append((since, status))
        weeks += length
        since = week_start_on_or_after(start + timedelta(weeks=weeks), anchor)
    found.append((since, "full"))
    return tuple(found)


def status_on(changes: tuple[tuple[date, str], ...], day: date) -> str:
    """The weight-bearing status on `day` (the last change on or before it)."""
    return [status for since, status in changes if since <= day][-1]


def bearing_gate(protocol: Protocol, before: str, after: str) -> Gate:
    """The check on the day a runner moves from status `before` to `after`."""
    old, new = protocol.bearing(before), protocol.bearing(after)
    return Gate(label=GATE_LABEL, name=f"{GATE_LABEL}: {old.name.lower()} to {new.name.lower()}",
                criteria=new.gate)


def bearing_spans(days: Iterable[Day]) -> list[BearingSpan]:
    """The runs of consecutive days with one weight-bearing status, in plan order."""
    spans: list[BearingSpan] = []
    for day in days:
        if spans and spans[-1].status == day.weight_bearing:
            spans[-1] = spans[-1]._replace(end=day.date, last_week=day.week)
        else:
            spans.append(BearingSpan(day.weight_bearing, day.date, day.date, day.week, day.week))
    return spans


class BearingSpan(NamedTuple):
    """Consecutive days of one weight-bearing status, with their dates and plan weeks."""

    status: str
    start: date
    end: date
    first_week: int
    last_week: int
