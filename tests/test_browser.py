"""The HTML guide in a real browser: headless Chromium driven by Playwright.

For the three worked examples' requests the page must load without console or page errors
and without fetching anything, fit a 390-px phone without sideways scrolling of the page, and
print to A4 and Letter with the diary on its own pages after the week-by-week table. A hostile
athlete name must stay text. Screenshots and PDFs land in tests/artifacts/ for a human look.

The full profile loads every example, prints each on both papers and keeps desktop and phone
screenshots. The quick profile (conftest.py) loads the last example and prints the middle one
on A4; the hostile-name check opens the first, so every example still opens in the browser.
Letter is printed in the full profile only, and screenshots too (they are for people; nothing
compares them).

guide.md goes through the same browser: rendered by markdown-it with raw HTML allowed (as many
Markdown viewers do), with hostile strings in every text option, nothing may run and no element,
attribute or link of the user's may appear.

Chromium is Debian's /usr/bin/chromium (CI installs it); Playwright only drives it, so
`playwright install` is never needed. A missing browser fails these tests rather than
skipping them, so a guide that breaks in a browser cannot pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pypdf import PdfReader

from planner.core.diary import diary_rows
from planner.core.engine import build_plan
from planner.core.models import Plan, PlanRequest
from planner.core.names import WEEKDAYS
from planner.guide.filters import longdate
from planner.guide.render import render_html

from .helpers import FULL_PROFILE, profiled

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
PHONE, DESKTOP = 390, 1280
# Sub-pixel rounding of a 390-px layout may report one or two pixels more.
OVERFLOW_TOLERANCE = 2


def _cases() -> list[dict]:
    spec = importlib.util.spec_from_file_location("regenerate", ROOT / "examples" / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_cases()


CASES = _cases()
FOLDERS = [c["folder"] for c in CASES]
PAPERS = ("A4", "Letter")
# Example folders to load at desktop and phone widths, and (folder, paper) pairs to print.
LOADS = profiled(FOLDERS, [FOLDERS[-1]])
PRINTS = profiled([(folder, paper) for folder in FOLDERS for paper in PAPERS],
                  [(FOLDERS[1], "A4")])


def example_plan(case: dict, protocol, athlete: str | None = None) -> Plan:
    """The plan of one worked example, as examples/regenerate.py requests it."""
    request = PlanRequest(
        site=case["site"], grade=case["grade"], start=case["start"],
        athlete=athlete or case["athlete"],
        rest_days=(WEEKDAYS.index(case.get("rest_day", "sunday")),),
    )
    return build_plan(request, protocol)


@dataclass
class Watch:
    """What a page did that it must not: errors, dialogs and requests beyond itself."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Fail with everything that went wrong, not just the first thing."""
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs
        assert self.requests == [], f"requests other than the page itself: {self.requests}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole module (launching costs about a second)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install chromium). They fail instead of skipping so CI cannot pass "
            "without checking the guide in a browser."
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_guide(browser: Browser, path: Path, width: int) -> tuple[Page, Watch]:
    """Open a guide file with every error, dialog and extra request recorded (and refused)."""
    url = path.as_uri()
    watch = Watch(url)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
    page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))

    def only_the_page(route, request) -> None:
        if request.url == url:
            route.continue_()
        else:
            watch.requests.append(request.url)
            route.abort()

    page.route("**/*", only_the_page)
    page.goto(url, wait_until="load")
    return page, watch


def pdf_pages(page: Page, paper: str, name: str) -> list[str]:
    """Print the page to PDF on ``paper``, keep the file, return each page's text."""
    data = page.pdf(format=paper)
    (ARTIFACTS / name).write_bytes(data)
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def guides(tmp_path_factory, protocol) -> dict[str, tuple[Plan, Path]]:
    """{folder: (plan, guide file)} of the worked examples, rendered once by the current code."""
    rendered = {}
    for case in CASES:
        plan = example_plan(case, protocol)
        path = tmp_path_factory.mktemp(case["folder"]) / "guide.html"
        path.write_text(render_html(plan), encoding="utf-8")
        rendered[case["folder"]] = plan, path
    return rendered


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot for a human look (full profile only: slow, and unchecked)."""
    if FULL_PROFILE:
        page.screenshot(path=ARTIFACTS / name, full_page=True)


def test_every_example_opens_in_the_browser():
    assert len(CASES) >= 3
    # test_hostile_athlete_name_stays_text opens the first example's plan.
    assert {FOLDERS[0], *LOADS, *(folder for folder, _ in PRINTS)} == set(FOLDERS)
    assert PRINTS and {paper for _, paper in PRINTS} <= set(PAPERS)
    assert {paper for _, paper in PRINTS} == set(PAPERS) or not FULL_PROFILE


@pytest.mark.parametrize("folder", LOADS)
def test_guide_loads_cleanly_and_fits_desktop_and_phone(browser, guides, folder):
    _, path = guides[folder]
    page, watch = open_guide(browser, path, DESKTOP)
    assert page.locator("svg.load-chart").bounding_box()["width"] > 300
    screenshot(page, f"{folder}-{DESKTOP}.png")
    page.set_viewport_size({"width": PHONE, "height": 900})
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE + OVERFLOW_TOLERANCE, f"page is {scroll_width}px wide on a phone"
    chart = page.locator("svg.load-chart").bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= PHONE, "chart scales to fit"
    screenshot(page, f"{folder}-{PHONE}.png")
    watch.assert_clean()
    page.context.close()


@pytest.mark.parametrize("folder,paper", PRINTS)
def test_guide_prints_with_the_diary_after_the_week_table(browser, guides, folder, paper):
    plan, path = guides[folder]
    page, watch = open_guide(browser, path, DESKTOP)
    texts = pdf_pages(page, paper, f"{folder}-{paper}.pdf")
    assert_diary_printed(texts, plan, paper)
    watch.assert_clean()
    page.context.close()


def assert_diary_printed(texts: list[str], plan: Plan, paper: str) -> None:
    """A sensible page count, and diary pages (header on each) after the week table."""
    assert 4 <= len(texts) <= 40, f"{paper}: {len(texts)} pages"
    weeks = next(i for i, t in enumerate(texts) if "Week-by-week plan" in t)
    diary = next(i for i, t in enumerate(texts) if "Pain and symptom diary" in t and i > weeks)
    rows = diary_rows(plan)
    first, last = longdate(rows[0].date), longdate(rows[-1].date)
    assert any(first in t for t in texts[diary:]), f"{paper}: {first} not on a diary page"
    assert last in texts[-1], f"{paper}: the diary runs to the last page"
    # The diary's header row repeats on every printed diary page.
    assert all("Session planned" in t for t in texts[diary:]), paper


def test_hostile_athlete_name_stays_text(browser, tmp_path, protocol):
    plan = example_plan(CASES[0], protocol, athlete=HOSTILE)
    path = tmp_path / "guide.html"
    path.write_text(render_html(plan), encoding="utf-8")
    page, watch = open_guide(browser, path, DESKTOP)
    page.wait_for_timeout(200)
    assert page.locator("h1").inner_text() == f"Return-to-run plan for {HOSTILE}"
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 0
    assert HOSTILE in page.locator("#diary").inner_text()
    watch.assert_clean()
    page.context.close()


# ---- guide.md through a real Markdown renderer ----------------------------------------------
#
# Many Markdown viewers pass raw HTML through (CommonMark allows it), so guide.md must carry no
# tag, attribute or link of the user's. markdown-it renders it with raw HTML on, as such a
# viewer would, and the page is loaded like the HTML guide: every dialog and request recorded.

# Each would run script, make an element or a javascript: link if it reached the page as markup.
MD_PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "<script>document.title='pwned'</script>",
    "<svg onload=alert(1)>",
    "<iframe srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
    "<details open ontoggle=alert(1)>x</details>",
    "<pwned-element id=pwned></pwned-element>",
    "<style>body{display:none}</style>",
    "[click](javascript:alert(1))",
    "![x](x\" onerror=\"alert(1))",
    "<javascript:alert(1)>",
    "\\<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)> ",
    "&lt;img src=x onerror=alert(1)&gt; &#60;b&#62;",
    "a\n\n<img src=x onerror=alert(1)>",
    "`</code><img src=x onerror=alert(1)>`",
    "<!-- --><img src=x onerror=alert(1)>",
    "*<b onmouseover=alert(1)>x</b>*",
    "| <img src=x onerror=alert(1)> |",
    "# <img src=x onerror=alert(1)>",
    "1. <a href=javascript:alert(1)>x</a>",
]
# (name, cleared-by) pairs where one holds the other: the name used to be escaped first,
# which broke the exact match on the clinician and left their tag raw.
MD_PAIRS = [
    ("Ana & Kim", "Dr Lee (for Ana & Kim) <img src=x onerror=alert(1)>"),
    ("<", "\\<img src=x onerror=alert(1)>"),
    ("Kim", "Kim <img src=x onerror=alert(1)> Kim"),
    # The engine strips the clinician's name, so the raw one was not found in the criterion.
    ("Kim", "<img src=x onerror=alert(1)> "),
]
# Cases are (--name, --cleared-by, other): "other" goes into every other text option that may
# reach guide.md (the clinic's name and contact) and into --calendar-name, which only the
# calendar carries. The full profile puts each payload into every field at once; the quick one
# runs the pairs and a rotation that puts each payload into one field or another.
_ROTATED = [(MD_PAYLOADS[i], MD_PAYLOADS[(i + 1) % len(MD_PAYLOADS)],
             MD_PAYLOADS[(i + 2) % len(MD_PAYLOADS)]) for i in range(0, len(MD_PAYLOADS), 3)]
_PAIRED = [(n, c, p) for (n, c), p in zip(MD_PAIRS, MD_PAYLOADS)]
MD_CASES = profiled([(p, p, p) for p in MD_PAYLOADS] + _PAIRED + _ROTATED, _PAIRED + _ROTATED)


def test_every_markdown_payload_is_tried():
    assert {text for case in MD_CASES for text in case} >= set(MD_PAYLOADS)
    assert all(case in MD_CASES for case in _PAIRED)


def markdown_page(markdown: str) -> str:
    """guide.md as a Markdown viewer that allows raw HTML shows it (GFM tables on)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    return f'<!doctype html><html><head><meta charset="utf-8"><title>guide</title></head><body>{body}</body></html>'


def write_guide_md(capsys, folder: Path, name: str, cleared_by: str, other: str) -> str:
    """Run `rtr plan` with the text options set; return guide.md."""
    from .helpers import run_rtr

    toml = folder / "clinic.toml"
    folder.mkdir()
    toml.write_text(f"name = {json.dumps(other)}\ncontact = {json.dumps(other)}\n", encoding="utf-8")
    start = (date.today() + timedelta(days=7)).isoformat()
    code, _, err = run_rtr(capsys, "plan", "--site", "metatarsal", "--grade", "2", "--start", start,
                           "--name", name, "--cleared-by", cleared_by, "--calendar-name", other,
                           "--clinic", str(toml), "--out", str(folder / "out"))
    assert code == 0, err
    return (folder / "out" / "guide.md").read_text(encoding="utf-8")


DOM_SHAPE = """() => {
  const shape = new Set();
  for (const el of document.querySelectorAll('*')) {
    shape.add(el.localName);
    for (const a of el.attributes) shape.add(el.localName + '@' + a.name);
  }
  return {shape: [...shape].sort(), title: document.title,
          hrefs: [...document.querySelectorAll('[href]')].map(e => e.getAttribute('href'))};
}"""


class MarkdownViewer:
    """One browser page that opens rendered Markdown files in turn, recording like open_guide
    (a page per file costs a new browser context, ten times the load itself)."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(viewport={"width": DESKTOP, "height": 900})
        self.page = self.context.new_page()
        self.watch = Watch("")
        self.page.on("console", lambda m: m.type == "error" and self.watch.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.watch.page_errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.watch.dialogs.append(d.message), d.dismiss()))
        self.page.route("**/*", self._only_the_page)

    def _only_the_page(self, route, request) -> None:
        if request.url == self.watch.url:
            route.continue_()
        else:
            self.watch.requests.append(request.url)
            route.abort()

    def open(self, path: Path, markdown: str) -> tuple[Page, Watch, dict]:
        """Render ``markdown`` into ``path`` and open it; return the page, what it did and the
        DOM's shape (element and attribute names, title, link targets)."""
        path.write_text(markdown_page(markdown), encoding="utf-8")
        self.watch = Watch(path.as_uri())
        self.page.goto(self.watch.url, wait_until="load")
        return self.page, self.watch, self.page.evaluate(DOM_SHAPE)


@pytest.fixture(scope="module")
def md_viewer(browser) -> Iterator[MarkdownViewer]:
    """The module's one Markdown viewer page."""
    viewer = MarkdownViewer(browser)
    yield viewer
    viewer.context.close()


@pytest.fixture(scope="module")
def clean_markdown_shape(md_viewer, tmp_path_factory) -> set[str]:
    """The elements and attributes guide.md makes with ordinary text in every field."""
    folder = tmp_path_factory.mktemp("clean-md")
    plan = make_plan_for_md("Ana Müller")
    from planner.guide.clinic import Clinic
    from planner.guide.render import render_markdown

    markdown = render_markdown(plan, clinic=Clinic(name="O'Brien & Sons", contact="02 9130 0000"))
    _, watch, dom = md_viewer.open(folder / "guide.html", markdown)
    watch.assert_clean()
    return set(dom["shape"])


def make_plan_for_md(name: str) -> Plan:
    """An ordinary cleared plan for the Markdown checks."""
    from planner.core.protocol import load_protocol

    request = PlanRequest(site="metatarsal", grade=2, start=date(2026, 12, 7), athlete=name,
                          cleared_by="Dr Lee, 2026-12-01")
    return build_plan(request, load_protocol())


@pytest.mark.parametrize("name,cleared_by,other", MD_CASES)
def test_no_payload_in_a_text_option_runs_in_rendered_markdown(
        md_viewer, clean_markdown_shape, tmp_path, capsys, name, cleared_by, other):
    # A clearance must end in its date; the payload is the clinician's part before it.
    cleared_by = f"{cleared_by}, {date.today():%Y-%m-%d}"
    markdown = write_guide_md(capsys, tmp_path / "run", name, cleared_by, other)
    page, watch, dom = md_viewer.open(tmp_path / "guide.html", markdown)
    # Nothing ran (no dialog, no error, no title change, no request for an injected image) ...
    watch.assert_clean()
    assert dom["title"] == "guide"
    # ... and nothing of the user's became an element, an attribute or a link.
    assert set(dom["shape"]) <= clean_markdown_shape, set(dom["shape"]) - clean_markdown_shape
    assert all(h.startswith(("#ref-", "https://", "http://")) for h in dom["hrefs"]), dom["hrefs"]
    # Each field still reads as typed (line breaks become spaces; --cleared-by is stripped).
    text = page.locator("body").inner_text()
    assert page.locator("h1").inner_text() == "Return-to-run plan for " + " ".join(name.split())
    assert f"Cleared for conservative rehabilitation by: {' '.join(cleared_by.split())}" in text
    assert f"cleared by {' '.join(cleared_by.split())}. Follow" in text
    assert " ".join(other.split()) in page.locator("p").first.inner_text()


@pytest.mark.parametrize("name", ["Ana Müller", "O'Brien & Sons", "Zoë-Jane d'Arcy (ÅSA)"])
def test_an_ordinary_name_reads_as_typed_in_guide_md(md_viewer, tmp_path, name):
    from planner.guide.clinic import Clinic
    from planner.guide.render import render_markdown

    markdown = render_markdown(make_plan_for_md(name), clinic=Clinic(name=name))
    # Plain in the Markdown source, too: nothing in these names needs a backslash.
    assert f"# Return-to-run plan for {name}\n" in markdown
    assert f"**{name}**\n" in markdown
    page, watch, _ = md_viewer.open(tmp_path / "guide.html", markdown)
    assert page.locator("h1").inner_text() == f"Return-to-run plan for {name}"
    watch.assert_clean()
