"""The return-to-sport phase, week by week: pure arithmetic on weekly running minutes.

After Build the runner's weekly running rises toward `end_pct` of their usual volume, by at
most `max_increase_pct` over the best earlier week, and the additions (a 4th run day, a longer
run, strides, hills, faster running) come one at a time, each in a week of its own whose
minutes do not rise. Rise weeks and addition weeks alternate while both are possible; the
phase ends when the target is reached and nothing more can be added. The numbers and their
sources are in protocol.toml's ``[return_to_sport]``.
"""

from __future__ import annotations

from typing import NamedTuple

from planner.core.models import INTENSITY_STEPS, RTS_STEPS, ReturnToSport

# Volume additions serve more running; intensity additions change one run of the week.
VOLUME_STEPS = ("fourth-run-day", "long-run")


class SportWeek(NamedTuple):
    """One week of the phase: how many runs, how long, and what it adds (None: nothing new)."""

    runs: int
    easy: int
    long: bool
    intensity: str | None
    step: str | None

    def long_minutes(self, rules: ReturnToSport) -> int:
        """Minutes of the week's longer run (the easy length when there is none)."""
        return self.easy * rules.long_run_pct // 100 if self.long else self.easy

    def minutes(self, rules: ReturnToSport) -> int:
        """Running minutes of the whole week."""
        return self.runs * self.easy + self.long_minutes(rules) - self.easy


def sport_weeks(rules: ReturnToSport, usual: int, runs: int, easy: int,
                can_add_day: bool) -> tuple[SportWeek, ...]:
    """The weeks of the phase, starting from Build's last week (`runs` runs of `easy` min).

    The first week adds nothing (the phase's own gate comes before it); a week never both rises
    and adds; the volume additions only come when the target is above Build's end, and the
    fourth run day only when the week has room for it (`can_add_day`). Strides, hills and speed
    wait until the weekly minutes reach `intensity_pct` of `usual`; if the plan's ceiling stops
    short of that they are left to the final clinician review. A target at or below Build's end
    gives a short phase at Build's volume: it never drops.
    """
    target = usual * rules.end_pct // 100
    week = SportWeek(runs, easy, False, None, None)
    pending = [s for s in RTS_STEPS if _applies(s, week, target, rules, can_add_day)]
    weeks: list[SportWeek] = []
    best = week.minutes(rules)
    while True:
        risen = _rise(week, best, target, rules)
        step = pending[0] if pending else None
        ready = step is not None and (step not in INTENSITY_STEPS
                                      or best * 100 >= usual * rules.intensity_pct)
        if weeks and ready and (weeks[-1].step is None or risen is None):
            week = _add(week, step, rules)
            pending.pop(0)
        elif risen is not None:
            week = risen
        elif not weeks:
            week = week._replace(step=None)  # a week at Build's volume: nothing new after the gate
        else:
            break  # at the target (or the ceiling), with nothing more that may be added
        weeks.append(week)
        best = max(best, week.minutes(rules))
    return tuple(weeks)


def _applies(step: str, start: SportWeek, target: int, rules: ReturnToSport,
             can_add_day: bool) -> bool:
    if step in VOLUME_STEPS and target <= start.minutes(rules):
        return False  # the runner's usual volume needs no more running than Build reached
    return can_add_day or step != "fourth-run-day"


def _largest_easy(week: SportWeek, limit: int, rules: ReturnToSport) -> int:
    """The longest easy run (whole minutes, at most the ceiling) whose week stays <= `limit`."""
    easy = min(rules.max_run_minutes, limit // week.runs)
    while easy > 1 and week._replace(easy=easy).minutes(rules) > limit:
        easy -= 1
    return easy


def _rise(week: SportWeek, best: int, target: int, rules: ReturnToSport) -> SportWeek | None:
    """The next week up (at most the limit over `best`, at most the target), or None."""
    limit = min(best * (100 + rules.max_increase_pct) // 100, target)
    easy = _largest_easy(week, limit, rules)
    return week._replace(easy=easy, step=None) if easy > week.easy else None


def _add(week: SportWeek, step: str, rules: ReturnToSport) -> SportWeek:
    """The week that adds `step` and holds the volume (runs shorten when one is added)."""
    held = week.minutes(rules)
    if step == "fourth-run-day":
        changed = week._replace(runs=week.runs + 1)
    elif step == "long-run":
        changed = week._replace(long=True)
    else:
        changed = week._replace(intensity=step)
    if step in VOLUME_STEPS:
        changed = changed._replace(easy=_largest_easy(changed, held, rules))
    return changed._replace(step=step)
