"""The Markdown and HTML guides rendered from real plans (packaged protocol + engine).

What a physio hands over must carry every clinical element of the plan (pain rules, gates,
bone-health items, the sources it cites, the disclaimer), one table row per plan week, and
nothing a browser would fetch or run. Templates are strict: a hole in an override is an
error naming the template and the variable, never a silent blank.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from planner.core.engine import build_plan
from planner.core.filled import fill
from planner.errors import TemplateProblem
from planner.core.models import Plan, PlanRequest
from planner.core.protocol import load_protocol
from planner.guide.context import build_context
from planner.guide.filters import longdate, md_escape, md_guard, minutes
from planner.guide.render import (
    TEMPLATE_NAMES,
    packaged_templates_dir,
    render_html,
    render_markdown,
)
from planner.core import pain
from planner.guide.wording import DISCLAIMER

from .helpers import FULL_PROFILE, all_cases

PROTOCOL = load_protocol()
CLEARED = "Dr A. Surgeon, orthopaedics, 2026-01-05"
HOSTILE = '<script>alert(1)</script> & "x"'
# A low-risk cortical site, a no-hop femoral neck, a surgeon-led high-risk site, a trabecular
# site, and a start on a Wednesday with a Wednesday rest day (week 1 is one day long).
CASES = [
    ("metatarsal", 2, date(2026, 3, 2), {}),
    ("femoral-neck-compression", 2, date(2026, 12, 28), {}),
    ("navicular", 3, date(2028, 2, 29), {"cleared_by": CLEARED}),
    ("sacrum", 3, date(2026, 3, 7), {"rest_days": (0,)}),
    ("tibia-posteromedial", 1, date(2026, 3, 4), {"rest_days": (2,)}),
]
IMPORT_STEPS = (
    "Google Calendar",
    "Settings → Import & export → Import",
    "skipped by Google",
    "Google ignores reminders",
    "Apple Calendar",
    "File → Import",
    "Add All",
    "Outlook",
    "Add calendar → Upload from file",
    "File → Open & Export → Import/Export",
    "does not update",
    "new calendar",
)


def make_plan(site: str, grade: int, start: date, **kwargs) -> Plan:
    """Build a real plan; surgeon-led cases get a clearance unless one is given."""
    record = next(s for s in PROTOCOL.sites if s.id == site)
    if record.referral_for(grade):
        kwargs.setdefault("cleared_by", CLEARED)
    return build_plan(PlanRequest(site=site, grade=grade, start=start, **kwargs), PROTOCOL)


@pytest.fixture(scope="module", params=CASES, ids=[f"{c[0]}-g{c[1]}" for c in CASES])
def rendered(request) -> tuple[Plan, str, str]:
    """A real plan with its Markdown and HTML guides."""
    site, grade, start, kwargs = request.param
    plan = make_plan(site, grade, start, athlete="Ana", **kwargs)
    return plan, render_markdown(plan), render_html(plan)


class _Text(HTMLParser):
    """Collects the visible text of a page, the ids, the hrefs and the heading levels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.headings: list[int] = []
        self.open: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a":
            self.hrefs.append(values.get("href") or "")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self.in_style = tag == "style"
        self._break(tag)
        if tag not in {"meta", "br", "hr", "img", "link", "input"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-3:]}"
        self.open.pop()
        self.in_style = False
        self._break(tag)

    def _break(self, tag: str) -> None:
        # Block boundaries separate words; inline tags (a, strong, time) do not.
        if tag not in {"a", "strong", "em", "time", "span", "abbr"}:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.in_style:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


@functools.lru_cache(maxsize=16)
def parse_html(page: str) -> _Text:
    """Parse a rendered page, asserting every tag is closed in order (once per page: the
    module's guides are shared by many tests, which only read the result)."""
    parser = _Text()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    return parser


def squash(text: str) -> str:
    """Collapse whitespace, so text wrapped differently still compares equal."""
    return " ".join(text.split())


def cited_keys(plan: Plan) -> set[str]:
    """Every reference key the plan cites, found independently of the renderer."""
    known = {ref.key for ref in plan.protocol.references}
    texts = [*plan.pain_rules, plan.site.timeline_note, *(d.details for d in plan.days)]
    texts += [text for span in plan.phases for text in (span.aim, *span.gate)]
    texts += [text for text, _ in plan.protocol.bone_health]
    fields = [src for _, src in plan.protocol.bone_health]
    fields += [plan.grade.source, plan.site.full_return_source, *plan.site.timeline_sources]
    for text in texts:
        fields += re.findall(r"\[([^\[\]]+)\]", text)
    return {key for field in fields for key in re.split(r"[\s,;]+", field) if key in known}


# ---- content -------------------------------------------------------------------------------


def test_both_guides_carry_the_disclaimer_and_red_flags(rendered):
    plan, md, page = rendered
    text = parse_html(page).text
    red_flags = squash(pain.red_flag(plan.protocol, plan.site.id))
    for doc in (squash(md), text):
        assert DISCLAIMER in doc
        assert red_flags in doc
        assert "not a diagnosis" in doc
        assert "Medical disclaimer" in doc


def test_every_cited_reference_is_listed(rendered):
    plan, md, page = rendered
    parsed = parse_html(page)
    keys = cited_keys(plan)
    assert keys, "a plan always cites its sources"
    refs_md = md.split("## References", 1)[1]
    for key in keys:
        assert f"**[{key}]**" in refs_md
        assert f"ref-{key}" in parsed.ids
    internal = [h[1:] for h in parsed.hrefs if h.startswith("#")]
    assert internal and set(internal) <= parsed.ids


def test_references_show_citation_and_url(rendered):
    plan, md, page = rendered
    for ref in (r for r in plan.protocol.references if r.key in cited_keys(plan)):
        assert ref.citation in md
        assert html.escape(ref.citation, quote=True).replace("&#x27;", "&#39;") in page
        if ref.url:
            assert f"<{ref.url}>" in md
            assert f'href="{html.escape(ref.url)}"' in page


def test_pain_rules_bone_health_and_gates_are_all_there(rendered):
    plan, md, page = rendered
    text = parse_html(page).text
    flat_md = squash(md)
    expected = [*plan.pain_rules, *(t for t, _ in plan.protocol.bone_health)]
    expected += [c for span in plan.phases for c in (span.aim, span.gate_name, *span.gate)]
    for item in expected:
        assert squash(item) in flat_md
        assert squash(item) in text


def test_bone_health_items_show_their_source_key(rendered):
    plan, md, page = rendered
    text = parse_html(page).text
    for item, source in plan.protocol.bone_health:
        # A source field may name several keys ("R28b, R27"); each is shown as its own [key].
        cited = " ".join(f"[{key.strip()}]" for key in source.split(","))
        assert f"- [ ] {item} {cited}" in md
        assert f"{item} {cited}" in text


def test_calendar_import_instructions_for_google_apple_outlook(rendered):
    _, md, page = rendered
    text = parse_html(page).text
    for step in IMPORT_STEPS:
        assert step in md
        assert step in text


def test_one_table_row_per_plan_week(rendered):
    plan, md, page = rendered
    md_rows = re.findall(r"^\| (\d+) \| \d+ \w{3} – \d+ \w{3} \|", md, flags=re.MULTILINE)
    html_rows = re.findall(r'<th scope="row" class="num">(\d+)</th>', page)
    expected = [str(n) for n in range(1, plan.weeks + 1)]
    assert md_rows == expected
    assert html_rows == expected


def test_week_rows_add_up_the_days(rendered):
    plan, _, _ = rendered
    weeks = build_context(plan)["weeks"]
    assert sum(w["run_minutes"] for w in weeks) == sum(d.run_minutes for d in plan.days)
    assert sum(w["total_minutes"] for w in weeks) == sum(d.total_minutes for d in plan.days)
    cells = [c for w in weeks for c in w["cells"] if c is not None]
    assert [c["date"] for c in cells] == [d.date for d in plan.days]


def test_key_dates_are_shown(rendered):
    plan, md, page = rendered
    dates = {plan.start, plan.first_run, plan.end, *(span.start for span in plan.phases)}
    dates |= {m.date for m in plan.milestones}
    for day in dates:
        assert longdate(day) in md
        assert f'datetime="{day.isoformat()}"' in page


def test_summary_names_site_grade_risk_and_timeline(rendered):
    plan, md, page = rendered
    text = parse_html(page).text
    for item in (
        plan.site.name,
        plan.grade.name,
        plan.grade.description,
        f"{plan.site.risk}-risk site",
        f"{plan.site.bone} bone",
        plan.site.timeline_note,
        f"{plan.weeks} weeks",
    ):
        assert squash(item) in squash(md)
        assert squash(item) in text


def test_cleared_by_note_only_when_cleared():
    plan = make_plan("navicular", 3, date(2026, 3, 2), cleared_by="Dr Okafor | 2026-02-01")
    md, page = render_markdown(plan), render_html(plan)
    assert "> **Cleared for conservative rehabilitation by:** Dr Okafor \\| 2026-02-01" in md
    assert (
        "Cleared for conservative rehabilitation by: Dr Okafor | 2026-02-01"
        in parse_html(page).text
    )
    plain = make_plan("metatarsal", 2, date(2026, 3, 2))
    assert "Cleared for conservative" not in render_markdown(plain)
    assert "Cleared for conservative" not in render_html(plain)


def test_week_columns_follow_the_week_start_not_the_start_weekday():
    # Start on a Wednesday: week 1 leaves the days before it blank.
    plan = make_plan("metatarsal", 2, date(2026, 3, 4), rest_days=(2,))
    context = build_context(plan)
    assert context["weekday_headers"] == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    first = context["weeks"][0]["cells"]
    assert [c is None for c in first] == [True, True] + [False] * 5
    assert all(None not in week["cells"] for week in context["weeks"][1:-1])
    sunday = make_plan("metatarsal", 2, date(2026, 3, 4), week_start=6)
    context = build_context(sunday)
    assert context["weekday_headers"] == ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    assert [c is None for c in context["weeks"][0]["cells"]] == [True] * 3 + [False] * 4


# ---- safety and escaping -------------------------------------------------------------------


def test_html_is_self_contained():
    page = render_html(make_plan("metatarsal", 2, date(2026, 3, 2)))
    lowered = page.lower()
    for forbidden in (
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "src=",
        "@import",
        "url(",
        "@font-face",
    ):
        assert forbidden not in lowered
    assert not re.search(r'<(link|script|img)[^>]*\b(href|src)="http', lowered)
    parsed = parse_html(page)
    references = {ref.url for ref in PROTOCOL.references if ref.url}
    external = [h for h in parsed.hrefs if not h.startswith("#")]
    assert external and set(external) <= references


def test_html_document_shape():
    page = render_html(make_plan("sacrum", 3, date(2026, 3, 2)))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page and "break-inside: avoid" in page
    assert '<div class="table-wrap"' in page and "overflow-x: auto" in page
    assert "<caption" in page
    levels = parse_html(page).headings
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_html_escapes_the_athlete_name():
    page = render_html(
        make_plan("metatarsal", 2, date(2026, 3, 2), athlete=HOSTILE, cleared_by=HOSTILE)
    )
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in page
    assert f"Return-to-run plan for {HOSTILE}" in parse_html(page).text


def test_markdown_escapes_the_athlete_name():
    name = "# Ana | [click](http://x) <b>*bold*</b>"
    plan = make_plan("metatarsal", 2, date(2026, 3, 2), athlete=name, cleared_by="- Dr | X")
    md = render_markdown(plan)
    escaped = r"\# Ana \| \[click\](http://x) \<b\>\*bold\*\</b\>"
    assert f"# Return-to-run plan for {escaped}\n" in md
    assert f"- **Runner:** {escaped}\n" in md
    assert r"by:** \- Dr \| X" in md
    assert "<b>" not in md and "[click]" not in md


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Ana", "Ana"),
        ("Ana-María O'Neil", "Ana-María O'Neil"),
        ("a|b", r"a\|b"),
        ("# head", r"\# head"),
        ("1. first", r"1\. first"),
        ("- item", r"\- item"),
        ("<img src=x>", r"\<img src=x\>"),
        ("line\nbreak | x", r"line break \| x"),
        ("`code` _em_ [l](u) & ~s~", r"\`code\` \_em\_ \[l\](u) & \~s\~"),
        # "&" is escaped only where it would start an entity, so "O'Brien & Sons" stays as typed.
        ("O'Brien & Sons", "O'Brien & Sons"),
        ("&lt;img&gt; &#60; &#x3C;", r"\&lt;img\&gt; \&#60; \&#x3C;"),
    ],
)
def test_md_escape(raw, escaped):
    assert md_escape(raw) == escaped


def test_markdown_is_not_html_escaped():
    md = render_markdown(make_plan("metatarsal", 2, date(2026, 3, 2)))
    assert "&#39;" not in md and "&amp;" not in md and "&lt;" not in md


# ---- templates and determinism -------------------------------------------------------------


def test_packaged_templates_hold_every_template_the_renderer_uses():
    folder = packaged_templates_dir()
    shipped = {p.relative_to(folder).as_posix() for p in folder.rglob("*.j2")}
    assert shipped == set(TEMPLATE_NAMES)


def test_output_is_byte_identical_across_renders():
    first = make_plan("metatarsal", 2, date(2026, 3, 2), athlete="Ana")
    again = make_plan("metatarsal", 2, date(2026, 3, 2), athlete="Ana")
    assert render_markdown(first).encode() == render_markdown(again).encode()
    assert render_html(first).encode() == render_html(again).encode()
    assert render_markdown(first).endswith("\n") and render_html(first).endswith("</html>\n")


def test_override_placed_first_is_used(tmp_path: Path):
    (tmp_path / "guide.md.j2").write_text("Clinic copy for {{ athlete|md }}\n", encoding="utf-8")
    (tmp_path / "guide.html.j2").write_text("<p>{{ athlete }}</p>\n", encoding="utf-8")
    plan = make_plan("metatarsal", 2, date(2026, 3, 2), athlete="Ana | <b>")
    assert render_markdown(plan, [tmp_path]) == "Clinic copy for Ana \\| \\<b\\>\n"
    # An override HTML template is autoescaped like the built-in one.
    assert render_html(plan, [tmp_path]) == "<p>Ana | &lt;b&gt;</p>\n"


def test_override_partial_is_used_inside_the_builtin_guide(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "week_table.md.j2").write_text(
        "CLINIC TABLE {{ weeks|length }}\n", encoding="utf-8"
    )
    plan = make_plan("metatarsal", 2, date(2026, 3, 2))
    md = render_markdown(plan, [tmp_path])
    assert f"CLINIC TABLE {plan.weeks}\n" in md
    assert "## Pain rules" in md


def test_undefined_variable_names_template_and_variable(tmp_path: Path):
    (tmp_path / "guide.md.j2").write_text(
        "Hi {{ athlete }} {{ no_such_thing }}\n", encoding="utf-8"
    )
    plan = make_plan("metatarsal", 2, date(2026, 3, 2))
    with pytest.raises(TemplateProblem) as caught:
        render_markdown(plan, [tmp_path])
    assert "guide.md.j2" in str(caught.value)
    assert "no_such_thing" in str(caught.value)


def test_undefined_attribute_in_a_partial_names_the_partial(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "week_table.html.j2").write_text(
        "{{ weeks[0].no_such_field }}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateProblem) as caught:
        render_html(make_plan("metatarsal", 2, date(2026, 3, 2)), [tmp_path])
    assert "week_table.html.j2" in str(caught.value)
    assert "no_such_field" in str(caught.value)


def test_missing_and_broken_templates_raise_template_problem(tmp_path: Path):
    plan = make_plan("metatarsal", 2, date(2026, 3, 2))
    (tmp_path / "guide.md.j2").write_text('{% include "partials/nope.md.j2" %}\n', encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"partials/nope\.md\.j2.*not found"):
        render_markdown(plan, [tmp_path])
    (tmp_path / "guide.html.j2").write_text("{% if %}\n", encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"guide\.html\.j2.*line 1"):
        render_html(plan, [tmp_path])


PLANNABLE = set(all_cases(PROTOCOL))


def test_every_site_and_grade_renders():
    # The quick profile renders one grade per site, rotating: every site and every grade.
    for i, site in enumerate(PROTOCOL.sites):
        for grade in (1, 2, 3, 4) if FULL_PROFILE else (1 + i % 4,):
            if (site.id, grade) not in PLANNABLE:
                continue
            plan = make_plan(site.id, grade, date(2026, 3, 2) + timedelta(days=grade))
            md, page = render_markdown(plan), render_html(plan)
            assert md.count("\n| ") >= plan.weeks and '<table class="weeks">' in page


# ---- filters -------------------------------------------------------------------------------


def test_longdate_is_locale_free():
    assert longdate(date(2026, 3, 2)) == "Mon 2 Mar 2026"
    assert longdate(date(2028, 2, 29)) == "Tue 29 Feb 2028"


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0 min"), (45, "45 min"), (60, "1 h"), (125, "2 h 05 min")]
)
def test_minutes(value, text):
    assert minutes(value) == text


def test_clearance_written_into_gate_wording_is_escaped_in_markdown():
    # The engine copies cleared_by into a gate criterion; it must stay inert there too.
    plan = make_plan("navicular", 3, date(2026, 3, 2), cleared_by="[x](http://evil) <i>|")
    md = render_markdown(plan)
    assert "[x](http://evil)" not in md and "<i>" not in md
    assert r"cleared by \[x\](http://evil) \<i\>\|" in md
    assert "[R21]" in md


def test_guides_describe_the_runners_week_and_treadmill():
    plan = make_plan("tibia-posteromedial", 1, date(2026, 3, 4), run_days=(0, 2, 4),
                     rest_days=(5, 6), cross=("rower", "pool"), bodyweight_support=True)
    sentence = ("Rest every Saturday and Sunday; bone-loading sessions on Monday, Wednesday "
                "and Friday, never two days in a row. Preferred cross-training: rower, pool, "
                "where the phase allows it.")
    md, page = render_markdown(plan), parse_html(render_html(plan)).text
    for doc in (squash(md), page):
        assert sentence in doc
        assert "from 50% to 100% of body weight, then on the ground" in doc
    plain = render_markdown(make_plan("tibia-posteromedial", 1, date(2026, 3, 2)))
    assert "Anti-gravity treadmill:" not in plain
    assert ("Rest every Sunday; bone-loading sessions on Tuesday, Thursday and Saturday, never "
            "two days in a row until the return-to-sport gate that adds Monday as a 4th run "
            "day.") in squash(plain)


def test_both_guides_from_one_context_match_the_separate_renders():
    from planner.guide.render import render_guides

    plan = make_plan("navicular", 3, date(2028, 2, 29), cleared_by=CLEARED)
    assert render_guides(plan) == (render_markdown(plan), render_html(plan))


def test_mdguard_escapes_only_the_users_pieces_once():
    text = fill("Cleared by {cleared_by} [R21].", cleared_by="Ana & Kim <b>[x]</b>")
    assert text == "Cleared by Ana & Kim <b>[x]</b> [R21]."
    assert md_guard(text, "Ana & Kim", text.pieces[1][0]) == (
        r"Cleared by Ana & Kim \<b\>\[x\]\</b\> [R21].")


def test_mdguard_on_plain_text_escapes_each_value_once_longest_first():
    # The clinician's text holds the name: replacing the name first used to break the match.
    text = "by Dr <i>Lee</i> (for <) and <"
    assert md_guard(text, "<", "Dr <i>Lee</i> (for <) ") == r"by Dr \<i\>Lee\</i\> (for \<) and \<"


def test_fill_refuses_fields_it_cannot_track():
    with pytest.raises(ValueError):
        fill("{cleared_by!r}", cleared_by="x")
    with pytest.raises(ValueError):
        fill("{other}", cleared_by="x")
