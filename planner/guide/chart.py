"""The weekly load chart of the guide: an inline SVG drawn from the plan's weekly loads.

Everything here is pure and deterministic: the chart is an SVG string built from the plan alone
(no clock, no randomness, fixed number formatting), so the same plan always gives the same
bytes. Nothing is fetched and nothing runs in the browser. Every series is told apart by a
pattern as well as by colour, so a black-and-white printout still reads. The data it draws
comes from `planner.guide.tables`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import NamedTuple

from markupsafe import escape

from planner.core.models import Plan
from planner.guide.months import GATE_SYMBOL
from planner.guide.tables import SERIES, Series, WeekLoad, gate_days, present_series, weekly_load


# Chart geometry in viewBox units. The SVG scales to its container, so the viewBox is kept
# narrow enough that its text stays legible when a 390-px phone shrinks it to fit.
WIDTH = 480


LEFT, RIGHT = 50, 8


PLOT_HEIGHT = 190


ROW = 16


FONT = 13


LABEL_FONT = 12


INK = "#1b1f24"


def _num(value: float) -> str:
    """Fixed, locale-free number formatting (one decimal, no trailing zeros), so the SVG is
    byte-stable."""
    text = "%.1f" % value
    return text[:-2] if text[-1] == "0" else text


def _y_step(maximum: int) -> int:
    """A round tick step giving at most six gridlines above zero."""
    for step in (10, 15, 30, 60, 90, 120, 180, 240, 300, 600):
        if math.ceil(maximum / step) <= 6:
            return step
    return 60 * math.ceil(maximum / 360)


class _Axes(NamedTuple):
    """Maps plan time (in weeks from the first week's start) and minutes to viewBox units."""

    weeks: int
    y_max: int
    week_start: int
    top: float = 0

    @property
    def slot(self) -> float:
        return (WIDTH - LEFT - RIGHT) / self.weeks

    @property
    def bottom(self) -> float:
        return self.top + PLOT_HEIGHT

    def x(self, position: float) -> float:
        return LEFT + position * self.slot

    def y(self, minutes: float) -> float:
        return self.top + PLOT_HEIGHT * (1 - minutes / self.y_max)

    def position(self, plan: Plan, day: date) -> float:
        """Weeks from the start of plan week 1 to the start of ``day``."""
        week = next(d.week for d in plan.days if d.date == day)
        return week - 1 + ((day.weekday() - self.week_start) % 7) / 7


class _Label(NamedTuple):
    """A header label: left edge, text, bold or not, and the header row it lands in."""

    x: float
    text: str
    bold: bool
    row: int = 0


def _label_width(text: str, bold: bool) -> float:
    # No font metrics without a browser: estimate generously so labels never collide.
    return len(text) * LABEL_FONT * (0.72 if bold else 0.64)


def _stack(labels: list[_Label], first_row: int) -> list[_Label]:
    """Give each label the first row (from ``first_row``) where it clears the one before it.

    Labels are also pulled left to end inside the chart, so a short last phase keeps its name.
    """
    ends: list[float] = []
    placed = []
    for label in labels:
        width = _label_width(label.text, label.bold)
        x = min(label.x, WIDTH - RIGHT - width)
        row = next((i for i, end in enumerate(ends) if x >= end + 6), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = x + width
        placed.append(label._replace(x=x, row=first_row + row))
    return placed


def _header(plan: Plan, axes: _Axes) -> list[_Label]:
    """Phase names, then gate labels, each set in as few rows as avoid overlaps."""
    phases = _stack([_Label(axes.x(axes.position(plan, span.start)) + 3, span.name, True)
                     for span in plan.phases], 0)
    first_gate_row = 1 + max(label.row for label in phases)
    gates = _stack([_Label(axes.x(axes.position(plan, day.date)) + 2,
                           f"{GATE_SYMBOL} {day.gate.label}", False)
                    for day in gate_days(plan)], first_gate_row)
    return phases + gates


# Textures are drawn as plain vector strokes clipped by arithmetic, not as SVG <pattern>
# fills: Chromium's PDF output rasterises pattern fills (megabytes per chart), and a plain
# path keeps the page free of url() references.
TEXTURE_GAP = 6.0


class _Box(NamedTuple):
    """A rectangle in viewBox units: left, top, right, bottom."""

    x0: float
    y0: float
    x1: float
    y1: float


def _diagonals(box: _Box, rising: bool) -> list[str]:
    """Path commands for 45° lines on a fixed grid, cut to ``box``."""
    commands = []
    if rising:  # lines x + y = c
        first, last = box.x0 + box.y0, box.x1 + box.y1
    else:  # lines y - x = c
        first, last = box.y0 - box.x1, box.y1 - box.x0
    c = math.floor(first / TEXTURE_GAP) * TEXTURE_GAP
    while c <= last:
        if rising:
            a, b = max(box.x0, c - box.y1), min(box.x1, c - box.y0)
            ya, yb = c - a, c - b
        else:
            a, b = max(box.x0, box.y0 - c), min(box.x1, box.y1 - c)
            ya, yb = a + c, b + c
        if b - a > 0.5:
            commands.append(f"M{_num(a)} {_num(ya)}L{_num(b)} {_num(yb)}")
        c += TEXTURE_GAP
    return commands


def _horizontals(box: _Box) -> list[str]:
    """Path commands for horizontal lines on a fixed grid inside ``box``."""
    y = math.ceil((box.y0 + 1) / TEXTURE_GAP) * TEXTURE_GAP
    commands = []
    while y < box.y1 - 1:
        commands.append(f"M{_num(box.x0)} {_num(y)}H{_num(box.x1)}")
        y += TEXTURE_GAP
    return commands


def _dots(box: _Box) -> list[str]:
    """Zero-length path segments (drawn as round dots) inside ``box``: rows on a fixed grid,
    columns centred in the box so even a narrow bar shows at least one column."""
    columns = max(1, int((box.x1 - box.x0 - 2) // TEXTURE_GAP))
    pitch = (box.x1 - box.x0) / columns
    xs = [box.x0 + pitch * (i + 0.5) for i in range(columns)]
    commands = []
    y = math.ceil((box.y0 + 2) / TEXTURE_GAP) * TEXTURE_GAP
    while y <= box.y1 - 2:
        commands += [f"M{_num(x)} {_num(y)}h0" for x in xs]
        y += TEXTURE_GAP
    return commands


def _texture(pattern: str, box: _Box) -> list[str]:
    """Path commands of one series' texture inside ``box`` (none for a solid fill)."""
    if pattern == "diagonal":
        return _diagonals(box, rising=True)
    if pattern == "crosshatch":
        return _diagonals(box, rising=True) + _diagonals(box, rising=False)
    if pattern == "dots":
        return _dots(box)
    if pattern == "horizontal":
        return _horizontals(box)
    return []


def _swatch(series: Series, box: _Box, stroke: float) -> str:
    """A filled, textured and outlined rectangle for one series (bar segment or legend)."""
    width, height = box.x1 - box.x0, box.y1 - box.y0
    parts = [f'<rect x="{_num(box.x0)}" y="{_num(box.y0)}" width="{_num(width)}" '
             f'height="{_num(height)}" fill="{series.colour}"/>']
    texture = _texture(series.pattern, box)
    if texture:
        cap = ' stroke-linecap="round" stroke-width="2.6"' if series.pattern == "dots" else \
            ' stroke-width="1.1"'
        parts.append(f'<path d="{"".join(texture)}" stroke="{series.ink}" fill="none"{cap}/>')
    parts.append(f'<rect x="{_num(box.x0)}" y="{_num(box.y0)}" width="{_num(width)}" '
                 f'height="{_num(height)}" fill="none" stroke="{INK}" stroke-width="{stroke}"/>')
    return "".join(parts)


def _text(x: float, y: float, label: str, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>'
            f"{escape(label)}</text>")


def _phase_bands(plan: Plan, axes: _Axes) -> list[str]:
    """Alternating shaded bands behind the bars, one per phase, from the header down."""
    out = []
    for index, span in enumerate(plan.phases):
        left = axes.x(axes.position(plan, span.start))
        right = axes.x(axes.position(plan, span.end) + 1 / 7)
        shade = "#e9eef4" if index % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{_num(left)}" y="2" width="{_num(right - left)}" '
                   f'height="{_num(axes.bottom - 2)}" fill="{shade}">'
                   f"<title>{escape(span.name)} phase</title></rect>")
    return out


def _header_text(labels: list[_Label]) -> list[str]:
    weight = {True: ' font-weight="700"', False: ""}
    return [_text(label.x, 2 + ROW * (label.row + 1) - 3, label.text, "start",
                  f' font-size="{LABEL_FONT}"{weight[label.bold]}') for label in labels]


def _grid(axes: _Axes, step: int) -> list[str]:
    """Horizontal gridlines with minute labels, and the y-axis title."""
    out = []
    for minutes in range(0, axes.y_max + 1, step):
        y = axes.y(minutes)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(y)}" y2="{_num(y)}" '
                   f'stroke="{"#1b1f24" if minutes == 0 else "#aab3be"}" stroke-width="1"/>')
        out.append(_text(LEFT - 5, y + 4, str(minutes), "end"))
    middle = axes.top + PLOT_HEIGHT / 2
    out.append(_text(13, middle, "Minutes per week", "middle",
                     f' transform="rotate(-90 13 {_num(middle)})"'))
    return out


def _bars(loads: list[WeekLoad], axes: _Axes) -> list[str]:
    """One stacked bar per plan week, outlined so touching segments stay apart in grey."""
    out = []
    width = axes.slot * 0.66
    for load in loads:
        left = axes.x(load.week - 1) + (axes.slot - width) / 2
        out.append(f"<g><title>{escape(_bar_title(load))}</title>")
        base = 0
        for series, value in zip(SERIES, load.minutes):
            if value:
                box = _Box(left, axes.y(base + value), left + width, axes.y(base))
                out.append(_swatch(series, box, 0.5))
            base += value
        out.append("</g>")
    return out


def _bar_title(load: WeekLoad) -> str:
    """Hover text of one bar: the week's minutes per series."""
    parts = [f"{s.label.lower()} {value} min" for s, value in zip(SERIES, load.minutes) if value]
    return f"Week {load.week}: " + ", ".join(parts) + f"; total {load.total} min"


def _week_labels(loads: list[WeekLoad], axes: _Axes) -> list[str]:
    """Week numbers under the bars (every other one when the weeks get narrow)."""
    every = 1 if axes.slot >= 15 else 2
    out = [_text(axes.x(load.week - 0.5), axes.bottom + 15, str(load.week))
           for load in loads if (load.week - 1) % every == 0]
    out.append(_text(LEFT + (WIDTH - LEFT - RIGHT) / 2, axes.bottom + 33, "Plan week"))
    return out


def _gate_lines(plan: Plan, axes: _Axes, top: float) -> list[str]:
    """A dashed line from the gate's header label down through the plot, per gate."""
    out = []
    for day in gate_days(plan):
        x = _num(axes.x(axes.position(plan, day.date)))
        out.append(f'<line x1="{x}" x2="{x}" y1="{_num(top)}" y2="{_num(axes.bottom)}" '
                   f'stroke="{INK}" stroke-width="1.3" stroke-dasharray="4 3">'
                   f"<title>{escape(day.gate.name)}</title></line>")
    return out


def _legend(series: list[Series], top: float) -> list[str]:
    """Swatches with the same patterns as the bars, and the gate line, three to a row."""
    out = []
    items: list[tuple[str, Series | None]] = [(s.label, s) for s in series]
    items.append((f"{GATE_SYMBOL} gate check", None))
    for index, (label, swatch) in enumerate(items):
        row, col = divmod(index, 3)
        x, y = 8 + col * 158, top + row * 21
        if swatch:
            out.append(_swatch(swatch, _Box(x, y - 11, x + 14, y + 3), 0.8))
        else:
            out.append(f'<line x1="{x + 7}" x2="{x + 7}" y1="{_num(y - 13)}" y2="{_num(y + 5)}" '
                       f'stroke="{INK}" stroke-width="1.3" stroke-dasharray="4 3"/>')
        out.append(_text(x + 20, y + 1, label, "start"))
    return out


def chart_description(plan: Plan, loads: list[WeekLoad]) -> str:
    """Plain-language summary of the chart for screen readers (the SVG's ``<desc>``)."""
    runs = [load for load in loads if load.of("run")]
    names = [s.label.lower() for s in present_series(loads)]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    text = f"Stacked bars of the minutes of {listed} in each of the {len(loads)} plan weeks."
    if runs:
        peak = max(runs, key=lambda load: load.of("run"))
        text += (f" Weekly running starts in week {runs[0].week} at {runs[0].of('run')} "
                 f"minutes and peaks at {peak.of('run')} minutes in week {peak.week}.")
    week_of = {day.date: day.week for day in plan.days}
    spans = [f"{span.name} weeks {week_of[span.start]}–{week_of[span.end]}"
             for span in plan.phases]
    text += " Phases: " + "; ".join(spans) + "."
    gates = [f"{day.gate.name} in week {day.week}" for day in gate_days(plan)]
    if gates:
        text += " Gate checks: " + "; ".join(gates) + "."
    return text + " The same numbers are in the table that follows the chart."


def load_chart_svg(plan: Plan) -> str:
    """The weekly load chart as an inline, accessible SVG element (no script, no fetch).

    Stacked bars per plan week (running, walking, impact prep, cross-training, strength),
    phase bands and gate markers on one time axis, axis titles and a legend. The element has
    ``role="img"`` with a ``<title>`` and a ``<desc>``; its text is escaped.
    """
    loads = weekly_load(plan)
    busiest = max(load.total for load in loads) or 60
    step = _y_step(busiest)
    axes = _Axes(len(loads), step * math.ceil(busiest / step), plan.request.week_start)
    header = _header(plan, axes)
    rows = 1 + max(label.row for label in header)
    axes = axes._replace(top=2 + ROW * rows + 8)
    series = present_series(loads)
    legend_top = axes.bottom + 56
    height = legend_top + 21 * math.ceil((len(series) + 1) / 3)
    gate_top = 2 + ROW * min((label.row for label in header if not label.bold), default=0)
    title = f"Weekly training minutes, plan weeks 1 to {len(loads)}"
    return "\n".join([
        f'<svg class="load-chart" viewBox="0 0 {WIDTH} {_num(height)}" role="img" '
        f'aria-labelledby="load-title load-desc" font-size="{FONT}" fill="{INK}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif">',
        f'<title id="load-title">{escape(title)}</title>',
        f'<desc id="load-desc">{escape(chart_description(plan, loads))}</desc>',
        *_phase_bands(plan, axes), *_grid(axes, step), *_bars(loads, axes),
        *_gate_lines(plan, axes, gate_top), *_header_text(header), *_week_labels(loads, axes),
        *_legend(series, legend_top), "</svg>",
    ])


class LazyChart:
    """The load chart SVG, drawn only when a template prints it.

    Drawing it is the costliest part of the context and only the HTML guide shows it; Jinja
    calls ``__html__`` when autoescaping (the SVG is already escaped) and ``str`` otherwise.
    """

    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._svg: str | None = None

    def __html__(self) -> str:
        """The SVG element, built once."""
        if self._svg is None:
            self._svg = load_chart_svg(self._plan)
        return self._svg

    __str__ = __html__
