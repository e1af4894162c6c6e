"""The guide's visuals: weekly load chart, month calendar, pain diary, print and phone styles.

The chart must say the same as the week table (its bars add up to each week's total), the
calendar must show every plan day once in the runner's week order, and the diary must list
every training day with the columns diary.csv will use. All of it has to survive a
black-and-white printer and a 390-px phone.
"""

from __future__ import annotations

from planner.core import pain  # noqa: E402

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.guide.chart import load_chart_svg
from planner.guide.context import build_context
from planner.guide.months import GATE_SYMBOL, KIND_SYMBOLS, month_grids
from planner.guide.tables import SERIES, day_split, present_series, text_bar, weekly_load
from planner.guide.wording import diary_key
from planner.core.diary import DIARY_COLUMNS, DiaryRow, diary_rows
from planner.core.models import Plan
from planner.guide.filters import longdate
from planner.guide.render import render_html, render_markdown
from .helpers import all_cases, make_plan

SVG = "{http://www.w3.org/2000/svg}"
# The three worked examples' requests, and a long plan that starts mid-week on a Sunday week.
CASES = [
    ("metatarsal", 2, date(2026, 3, 2), {}),
    ("tibia-posteromedial", 3, date(2026, 3, 2), {"rest_days": (2,)}),
    ("femoral-neck-compression", 2, date(2026, 3, 2), {}),
    ("femoral-neck-compression", 4, date(2026, 3, 4), {"rest_days": (2,), "week_start": 6}),
]


@pytest.fixture(scope="module", params=CASES, ids=[f"{c[0]}-g{c[1]}-{c[2]}" for c in CASES])
def plan(request, protocol) -> Plan:
    """A real plan from the packaged protocol."""
    site, grade, start, kwargs = request.param
    return make_plan(protocol, site, grade, start, athlete="Ana", **kwargs)


def parse_svg(plan: Plan) -> ET.Element:
    """The chart as an XML tree (it must be well-formed to be parsed at all)."""
    markup = load_chart_svg(plan).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
    return ET.fromstring(markup)


def section(page: str, section_id: str) -> str:
    """The HTML of one ``<section id=…>`` of the guide."""
    start = page.index(f'<section id="{section_id}"')
    return page[start:page.index("</section>", start)]


# ---- weekly load -----------------------------------------------------------------------------


def test_day_split_accounts_for_every_minute_of_every_plan(protocol):
    for site, grade in all_cases(protocol):
        built = make_plan(protocol, site, grade, date(2026, 3, 4), rest_days=(2,))
        for day in built.days:
            split = day_split(day)
            assert sum(split.values()) == day.total_minutes, day
            assert min(split.values()) >= 0
            assert split["run"] == day.run_minutes and split["walk"] == day.walk_minutes


def test_weekly_load_matches_the_week_table(plan):
    loads = weekly_load(plan)
    weeks = build_context(plan)["weeks"]
    assert [load.week for load in loads] == list(range(1, plan.weeks + 1))
    for load, row in zip(loads, weeks, strict=True):
        assert load.total == row["total_minutes"]
        assert load.of("run") == row["run_minutes"]
        days = [d for d in plan.days if d.week == load.week]
        cross = sum(d.total_minutes - d.walk_minutes for d in days if d.kind == "cross")
        assert load.of("cross") == cross
        assert (load.start, load.end) == (days[0].date, days[-1].date)


def test_chart_is_accessible_svg(plan):
    root = parse_svg(plan)
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert set(root.get("aria-labelledby").split()) == {"load-title", "load-desc"} <= ids
    assert root.find(f"{SVG}title").text.startswith("Weekly training minutes")
    desc = root.find(f"{SVG}desc").text
    assert all(span.name in desc for span in plan.phases)
    assert all(day.gate.name in desc for day in plan.days if day.gate)


def test_chart_has_one_stacked_bar_per_week_scaled_to_its_total(plan):
    root = parse_svg(plan)
    bars = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    loads = weekly_load(plan)
    assert len(bars) == len(loads)
    heights, rects = {}, {}
    for bar, load in zip(bars, loads):
        assert bar.find(f"{SVG}title").text.startswith(f"Week {load.week}: ")
        heights[load.week] = sum(float(r.get("height")) for r in bar.iter(f"{SVG}rect"))
        rects[load.week] = len(list(bar.iter(f"{SVG}rect")))
    busiest = max(loads, key=lambda load: load.total)
    scale = heights[busiest.week] / busiest.total
    for load in loads:
        # Each height is written to 0.1: up to 0.05 off per rectangle, in this bar and in the
        # busiest one that sets the scale.
        slack = 0.05 * (rects[load.week] + rects[busiest.week])
        assert heights[load.week] == pytest.approx(load.total * scale, abs=slack)


def test_chart_marks_phases_gates_axes_and_legend(plan):
    root = parse_svg(plan)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for span in plan.phases:
        assert f"{span.name} phase" in titles
        assert span.name in texts
    for day in (d for d in plan.days if d.gate):
        assert day.gate.name in titles
        assert f"{GATE_SYMBOL} {day.gate.label}" in texts
    assert "Plan week" in texts and "Minutes per week" in texts
    assert "0" in texts and "1" in texts
    used = {s.label for s in present_series(weekly_load(plan))}
    assert used and used <= set(texts)
    assert not ({s.label for s in SERIES} - used) & set(texts), "no legend for an empty series"


def test_chart_tells_series_apart_without_colour(plan):
    svg = load_chart_svg(plan)
    root = parse_svg(plan)
    assert {s.pattern for s in SERIES} == {"solid", "diagonal", "crosshatch", "dots", "horizontal"}
    # Every textured series has its texture drawn in its own darker ink, as plain vectors.
    textures = {p.get("stroke") for p in root.iter(f"{SVG}path")}
    used = present_series(weekly_load(plan))
    assert {s.ink for s in used if s.pattern != "solid"} <= textures
    for forbidden in ("<script", "href", "<image", "<foreignobject", "http", "url(", "<pattern"):
        assert forbidden not in svg.lower()


@given(
    x=st.floats(0, 400), y=st.floats(0, 300), width=st.floats(0.5, 40), height=st.floats(0.5, 300),
    series=st.sampled_from(SERIES),
)
def test_textures_stay_inside_their_bar(x, y, width, height, series):
    from planner.guide.chart import _Box, _swatch

    box = _Box(x, y, x + width, y + height)
    drawn = _swatch(series, box, 0.5)
    path = re.search(r'<path d="([^"]*)"', drawn)
    if series.pattern == "solid":
        assert path is None
    if path:
        assert path.group(1)
        # Absolute commands only: M x y, L x y, H x, and h0 for a dot.
        numbers = re.findall(r"([MLH])(-?[\d.]+)(?: (-?[\d.]+))?", path.group(1))
        assert numbers
        for command, first, second in numbers:
            assert box.x0 - 0.06 <= float(first) <= box.x1 + 0.06
            if command != "H":
                assert box.y0 - 0.06 <= float(second) <= box.y1 + 0.06


def test_chart_is_deterministic(protocol):
    first = make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))
    again = make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))
    assert load_chart_svg(first) == load_chart_svg(again)


def test_hopless_site_shows_its_double_leg_plyometrics_in_legend_and_table(protocol):
    # No hop test at the femoral neck, but low-level double-leg plyometrics before running.
    plan = make_plan(protocol, "femoral-neck-compression", 2, date(2026, 3, 2))
    assert {d.stage for d in plan.days if d.kind == "impact"} == {"impact-double"}
    assert "Impact prep" in load_chart_svg(plan)
    assert "Impact prep" in section(render_html(plan), "load")


@pytest.mark.parametrize(
    ("value", "maximum", "bar"),
    [(0, 100, ""), (100, 100, "█" * 20), (50, 100, "█" * 10), (1, 1000, "▏"),
     (7, 117, "█▎")],
)
def test_text_bar(value, maximum, bar):
    assert text_bar(value, maximum) == bar


def test_markdown_load_table_has_a_bar_per_running_week(plan):
    md = render_markdown(plan)
    part = md.split("## Weekly training load", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| [^|]+ \| ([^|]+) \| [^|]+ \| ([^|]*) \|$", part, re.MULTILINE)
    assert [int(week) for week, _, _ in rows] == list(range(1, plan.weeks + 1))
    for (week, running, bar), load in zip(rows, weekly_load(plan)):
        assert bool(bar.strip()) == bool(load.of("run")), week
        assert (running.strip() == "–") == (not load.of("run"))
    assert max(bar.count("█") for _, _, bar in rows) == 20


def test_html_chart_has_a_table_alternative(plan):
    load = section(render_html(plan), "load")
    assert '<figure class="chart">' in load and 'role="img"' in load
    assert "<details" in load and "<summary>" in load
    rows = re.findall(r'<th scope="row" class="wk">(\d+)</th>', load)
    assert rows == [str(n) for n in range(1, plan.weeks + 1)]


# ---- month calendar ----------------------------------------------------------------------------


def test_month_grids_show_every_plan_day_once_in_week_order(plan):
    headers = build_context(plan)["weekday_headers"]
    grids = month_grids(plan, headers)
    months = {(d.date.year, d.date.month) for d in plan.days}
    assert len(grids) == len(months)
    seen = []
    for grid in grids:
        assert grid["headers"] == headers
        for row in grid["rows"]:
            assert len(row) == 7 and any(row)
            for column, cell in enumerate(row):
                if cell:
                    assert (cell["date"].weekday() - plan.request.week_start) % 7 == column
                    seen.append(cell["date"])
    assert seen == [d.date for d in plan.days]


def test_month_grid_cells_carry_kind_symbol_and_gate(plan):
    grids = month_grids(plan, build_context(plan)["weekday_headers"])
    cells = {c["date"]: c for g in grids for row in g["rows"] for c in row if c}
    for day in plan.days:
        assert cells[day.date]["symbol"] == KIND_SYMBOLS[day.kind]
        assert cells[day.date]["gate"] == (day.gate.name if day.gate else None)


def test_sunday_week_start_puts_sunday_first(protocol):
    plan = make_plan(protocol, "metatarsal", 2, date(2026, 3, 4), week_start=6)
    grid = month_grids(plan, build_context(plan)["weekday_headers"])[0]
    assert grid["headers"][0] == "Sun"
    first_row = grid["rows"][0]
    # 4 March 2026 is a Wednesday: Sun, Mon, Tue blank (before the plan), then the plan.
    assert [c is None for c in first_row] == [True, True, True, False, False, False, False]
    assert grid["title"] == "March 2026"


def test_html_calendar_reads_in_black_and_white(plan):
    page = render_html(plan)
    months = section(page, "months")
    assert months.count('<table class="month"') == len({(d.date.year, d.date.month)
                                                        for d in plan.days})
    cells = re.findall(r'<td class="k-(\w+)[^"]*" title="([^"]+)">(.*?)</td>', months)
    assert len(cells) == len(plan.days)
    for (kind, title, inner), day in zip(cells, plan.days):
        assert kind == day.kind and title.startswith(longdate(day.date))
        symbol = re.search(r'<span class="sym" aria-hidden="true">(.*?)</span><span', inner)
        assert symbol and symbol.group(1).endswith(KIND_SYMBOLS[day.kind])
        assert ("◆" in symbol.group(1)) == bool(day.gate)
    for symbol in KIND_SYMBOLS.values():
        assert symbol in months.split('<div class="months">')[0]
    assert "today" not in months.lower()


def test_markdown_calendar_has_a_table_per_month(plan):
    md = render_markdown(plan)
    part = md.split("## Month by month", 1)[1].split("\n## ", 1)[0]
    assert "**Key:** R run or walk/run · I impact prep · X cross-training" in part
    grids = month_grids(plan, build_context(plan)["weekday_headers"])
    for grid in grids:
        assert f"**{grid['title']}**" in part
    header = "| " + " | ".join(build_context(plan)["weekday_headers"]) + " |"
    assert part.count(header) == len(grids)
    for day in plan.days:
        mark = ("◆" if day.gate else "") + KIND_SYMBOLS[day.kind]
        assert f"| {day.date.day} {mark} |" in part


# ---- pain diary ----------------------------------------------------------------------------------


def test_diary_columns_are_the_csv_columns():
    assert DIARY_COLUMNS == ("date", "session", "done", "pain_during_0_10",
                             "pain_next_morning_0_10", "notes")
    assert DiaryRow._fields == DIARY_COLUMNS


def test_diary_rows_are_the_training_days_with_blanks_to_fill(plan):
    rows = diary_rows(plan)
    training = [d for d in plan.days if d.kind != "rest"]
    assert [r.date for r in rows] == [d.date for d in training]
    assert [r.session for r in rows] == [d.title for d in training]
    assert all(r[2:] == ("", "", "", "") for r in rows)


def test_diary_rows_write_as_csv(protocol):
    plan = make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DIARY_COLUMNS)
    writer.writerows(diary_rows(plan))
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(DIARY_COLUMNS)
    assert lines[1] == "2026-03-02,Cross-train: bike 30 min,,,,"
    assert diary_rows(plan)[0]._asdict()["date"] == date(2026, 3, 2)


def test_html_diary_has_a_row_per_training_day_and_the_rules(plan):
    page = render_html(plan)
    diary = section(page, "diary")
    assert page.index('id="diary"') > page.index('<table class="weeks">')
    assert '<h2 id="h-diary">Pain and symptom diary</h2>' in diary
    rows = re.findall(
        r'<tr class="k-\w+[^"]*"><td class="nowrap"><time datetime="([\d-]+)">', diary
    )
    assert rows == [r.date.isoformat() for r in diary_rows(plan)]
    assert diary.count("☐") == len(rows)
    assert diary.count("<thead>") == len({d.phase for d in plan.days})
    for header in ("Date", "Session planned", "Done", "Pain during", "Pain next morning", "Notes"):
        assert f">{header}" in diary
    text = html.unescape(re.sub(r"<[^>]+>", "", diary))
    assert '<a href="#pain">Pain rules</a>' in diary
    for line in diary_key(plan.protocol, plan.site.id):
        assert line in text


@pytest.mark.parametrize("site", ["metatarsal", "femoral-neck-compression", "sacrum"])
def test_diary_key_agrees_with_the_pain_rules(protocol, site):
    """The key restates the site's rules from the table, in the table's order, nothing else."""
    key = diary_key(protocol, site)
    table = pain.rules_for(protocol, site)
    assert [line for line in key if "(rule " in line] == [
        f"{r.short} (rule {r.id})" for r in table]
    assert "first line that fits decides" in " ".join(key)


def test_markdown_diary_rows(plan):
    md = render_markdown(plan)
    part = md.split("## Pain and symptom diary", 1)[1]
    rows = re.findall(r"^\| (\w{3} \d+ \w{3} \d{4}) \| (.+?) \| ☐ \|  \|  \|  \|$", part, re.M)
    assert [r[0] for r in rows] == [longdate(r.date) for r in diary_rows(plan)]
    assert part.count("| Date | Session planned | Done | Pain during (0-10) |") == len(
        {d.phase for d in plan.days})


# ---- print and phone styles ------------------------------------------------------------------


def _css(page: str) -> str:
    return page[page.index("<style>"):page.index("</style>")]


def _print_css(page: str) -> str:
    css = _css(page)
    return css[css.index("@media print"):]


def test_print_stylesheet_fits_a4_and_letter_and_keeps_rows_whole(protocol):
    css = _print_css(render_html(make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))))
    margin = re.search(r"@page \{ margin: (\d+)mm (\d+)mm; \}", css)
    assert margin, "a fixed @page margin"
    top, side = map(int, margin.groups())
    # Letter is the shorter page, A4 the narrower: both keep a usable 180 x 250 mm.
    assert 279 - 2 * top >= 240 and 210 - 2 * side >= 180
    assert not re.search(r"[{;]\s*size:", css), "the page size is the printer's choice"
    assert re.search(r"tr, [^{]*\{ break-inside: avoid", css)
    assert "thead { display: table-header-group; }" in css
    assert re.search(r"#weeks, #diary \{ break-before: page", css)
    assert ".diary-phase + .diary-phase { break-before: page" in css


def test_phone_layout_scrolls_tables_inside_wrappers(plan):
    page = render_html(plan)
    css = _css(page)
    assert ".table-wrap { position: relative; overflow-x: auto;" in css
    assert re.search(r"\.load-chart \{[^}]*width: 100%[^}]*height: auto", css)
    for table in ("weeks", "diary", "load"):
        for match in re.finditer(f'<table class="{table}"', page):
            opening = page.rfind("<div", 0, match.start())
            assert page[opening:match.start()].startswith('<div class="table-wrap" role="region"')
    labelled = re.findall(r'role="region" aria-labelledby="([^"]+)"', page)
    assert labelled and all(f'id="{label}"' in page for label in labelled)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, two: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_meet_wcag_aa(protocol):
    css = _css(render_html(make_plan(protocol, "metatarsal", 2, date(2026, 3, 2))))
    colours = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", css))
    backgrounds = re.findall(r"\.k-\w+ \{ background: (#[0-9a-f]{6})", css)
    backgrounds += re.findall(r"\.key-\d \{ background: (#[0-9a-f]{6})", css)
    backgrounds += ["#ffffff", "#fff4e6", "#e8edf2", "#eaf2fb", "#f3f6f9"]
    assert len(backgrounds) >= 15
    for background in backgrounds:
        for name in ("ink", "muted", "warn", "accent"):
            assert _contrast(colours[name], background) >= 4.5, (name, background)


def test_html_sets_language_and_has_no_clock(protocol):
    page = render_html(make_plan(protocol, "metatarsal", 2, date(2026, 3, 2)))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "today" not in re.sub(r"<[^>]+>", "", page).lower()
