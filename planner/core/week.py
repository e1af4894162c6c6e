"""The weekly pattern of a plan: which weekdays rest, load (run or impact) or cross-train.

The same pattern repeats every week, so checking loading days for adjacency *cyclically*
(Sunday next to Monday) guarantees no two loading days in a row anywhere in the plan, across
week ends and phase changes alike.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations
from typing import NamedTuple

from planner.errors import RequestError
from planner.core.names import WEEKDAYS

class WeekPattern(NamedTuple):
    """Weekdays (0 = Monday) by role. A training week starts on `anchor`, a free day that
    follows a rest day, so every phase begins with a non-loading day for its gate."""

    rest: tuple[int, ...]
    loading: tuple[int, ...]
    free: tuple[int, ...]
    anchor: int

    def offset(self, weekday: int) -> int:
        """Position of `weekday` in the training week (0 = anchor … 6)."""
        return (weekday - self.anchor) % 7


def week_start_on_or_after(day: date, anchor: int) -> date:
    """The first training-week start (the pattern's anchor weekday) on or after `day`."""
    return day + timedelta(days=(anchor - day.weekday()) % 7)


def _names(days: tuple[int, ...] | list[int]) -> str:
    return ",".join(WEEKDAYS[d][:3] for d in sorted(days))


def _cyclic_gaps(days: tuple[int, ...]) -> list[int]:
    """Days strictly between consecutive loading days, around the week."""
    ordered = sorted(days)
    return [(b - a) % 7 - 1 for a, b in zip(ordered, ordered[1:] + ordered[:1])]


def _score(loading: tuple[int, ...], rest: tuple[int, ...]) -> tuple[int, int, int]:
    """Lower is better: even spacing first, then a free day right after the main rest day."""
    gaps = _cyclic_gaps(loading)
    after_rest = (max(rest) + 1) % 7 if rest else 0
    return (max(gaps) - min(gaps), int(after_rest in loading), sorted(loading)[0])


def choose_pattern(rest_days: tuple[int, ...], run_days: tuple[int, ...], sessions: int) -> WeekPattern:
    """Pick `sessions` loading weekdays, never adjacent (cyclically), from the allowed days.

    `rest_days` are one to three weekdays, as `planner.core.request.check_request` ensures.
    Raises RequestError naming the option when the preferences cannot be honoured safely.
    """
    rest = tuple(sorted(set(rest_days)))
    allowed = [d for d in (run_days or range(7)) if d not in rest]
    candidates = [c for c in combinations(sorted(set(allowed)), sessions)
                  if min(_cyclic_gaps(c)) >= 1 and _has_anchor(rest, c)]
    if not candidates:
        # Without --run-days only the rest days limit the week: name the option that was given.
        if not run_days:
            raise RequestError("rest_day", _why_not_rest(rest, tuple(sorted(set(allowed))), sessions))
        raise RequestError("run_days", _why_not(rest, tuple(sorted(set(allowed))), sessions))
    loading = min(candidates, key=lambda c: _score(c, rest))
    free = tuple(d for d in range(7) if d not in rest and d not in loading)
    anchor = _anchor(rest, loading)
    order = lambda d: (d - anchor) % 7  # noqa: E731 - a sort key, named for reading
    return WeekPattern(rest=rest, loading=tuple(sorted(loading, key=order)),
                       free=tuple(sorted(free, key=order)), anchor=anchor)


def _has_anchor(rest: tuple[int, ...], loading: tuple[int, ...]) -> bool:
    return any(d not in rest and d not in loading for d in range(7))


def _anchor(rest: tuple[int, ...], loading: tuple[int, ...]) -> int:
    """The first free weekday after the last rest day (in the week's cycle)."""
    start = (max(rest, key=lambda d: _rest_run_end(rest, d)) + 1) % 7
    return next((start + i) % 7 for i in range(7)
                if (start + i) % 7 not in rest and (start + i) % 7 not in loading)


def _rest_run_end(rest: tuple[int, ...], day: int) -> int:
    """Prefer the rest day that ends a block of rest days (its next day is not rest)."""
    return int((day + 1) % 7 not in rest) * 10 + day


def _why_not_rest(rest: tuple[int, ...], allowed: tuple[int, ...], sessions: int) -> str:
    return (f"cannot fit {sessions} run days with a day between each into the days left by "
            f"rest on {_names(rest)} ({_names(allowed)}): bone needs a day off between loading "
            f"days. Rest on days that leave {sessions} weekdays with gaps, e.g. sun or sat,sun.")


def _why_not(rest: tuple[int, ...], allowed: tuple[int, ...], sessions: int) -> str:
    return (f"cannot fit {sessions} run days with a day between each into "
            f"{_names(allowed) or 'no days'} (rest on {_names(rest)}): bone needs a day off "
            f"between loading days. Allow at least {sessions} weekdays with gaps, e.g. mon,wed,fri.")


def fourth_run_day(pattern: WeekPattern, run_days: tuple[int, ...]) -> int | None:
    """The weekday a 4th run goes on once the return-to-sport gate allows it, or None.

    It must be a free day the runner allows for running whose addition makes one back-to-back
    pair of runs, never three loading days in a row (cyclically); the day after a rest day is
    preferred, as BWH puts increases on the first day after rest [R22]. None when no free day
    qualifies (e.g. --run-days names only three days): the plan then stays on three run days.
    """
    candidates = [d for d in pattern.free if not run_days or d in run_days]
    fits = [d for d in candidates if not _has_three_in_a_row((*pattern.loading, d))]
    after_rest = [d for d in fits if (d - 1) % 7 in pattern.rest]
    return (after_rest or fits or [None])[0]


def _has_three_in_a_row(days: tuple[int, ...]) -> bool:
    found = set(days)
    return any((d + 1) % 7 in found and (d + 2) % 7 in found for d in found)
