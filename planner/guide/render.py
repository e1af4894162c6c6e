"""Render a Plan as a Markdown or HTML guide for the injured runner.

One environment factory (strict, autoescaping only HTML templates), one function that builds
what templates receive, and one resolver for the packaged ``templates/`` folder, which lives
beside ``planner/`` in a checkout and inside it (``planner/templates``) in a wheel.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType

import jinja2
import markupsafe

from planner.guide.clinic import Clinic
from planner.errors import OutputError, TemplateProblem
from planner.guide.context import CITATION, GuideContext, build_context
from planner.guide.context import WEEKDAY_ABBR as _WEEKDAYS
from planner.core.models import Plan
from planner.core.cache import code_stamp
from planner.guide.template_cache import template_cache

MARKDOWN_TEMPLATE = "guide.md.j2"
HTML_TEMPLATE = "guide.html.j2"
TEMPLATE_NAMES = (
    MARKDOWN_TEMPLATE,
    HTML_TEMPLATE,
    "partials/week_table.md.j2",
    "partials/week_table.html.j2",
    "partials/style.css.j2",
    "partials/load_chart.md.j2",
    "partials/load_chart.html.j2",
    "partials/month_grid.md.j2",
    "partials/month_grid.html.j2",
    "partials/diary.md.j2",
    "partials/diary.html.j2",
    "partials/clinic.md.j2",
    "partials/clinic.html.j2",
)
# An override can extend the built-in guide it replaces: {% extends "builtin/guide.html.j2" %}.
BUILTIN_PREFIX = "builtin"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>|&~])")
_MD_LEADING = re.compile(r"^([#+\-=!]|\d+(?=[.)]))")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# ---- template files and environment ------------------------------------------------------


def packaged_templates_dir() -> Path:
    """Return the folder holding the built-in guide templates.

    A wheel ships them as ``planner/templates``; an editable or source checkout imports
    ``planner`` from the tree, where they sit in the top-level ``templates/`` folder.

    Raises:
        TemplateProblem: neither place holds a templates folder (a broken install).
    """
    package = Path(__file__).resolve().parent.parent
    installed = package / "templates"
    if installed.is_dir():
        return installed
    checkout = package.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise TemplateProblem("templates/", "built-in templates not found; reinstall rtr-planner")


def _autoescape(name: str | None) -> bool:
    # select_autoescape(["html"]) only matches names *ending* in .html, and ours end in .j2.
    return name is not None and ".html" in name


def _search_path(extra_dirs: Sequence[Path]) -> list[Path]:
    return [*map(Path, extra_dirs), packaged_templates_dir()]


_ENV_OPTIONS = dict(
    undefined=jinja2.StrictUndefined,
    autoescape=_autoescape,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _env_settings() -> str:
    """What compiled templates depend on besides their source: Jinja and this module's code
    (which holds the options above), so the template cache never serves stale code."""
    return f"jinja2 {jinja2.__version__} render.py {code_stamp(__file__)}"


def make_env(extra_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """Build the one Jinja environment every guide is rendered with.

    Args:
        extra_dirs: folders searched before the built-in templates, so a clinic can
            override ``guide.md.j2``, ``guide.html.j2`` or a partial without forking. The
            built-in ones stay reachable as ``builtin/<name>``, so an override can
            ``{% extends "builtin/guide.html.j2" %}`` and replace only some blocks.

    Undefined variables raise (a blank would silently drop a clinical instruction), and
    only templates whose name contains ``.html`` are autoescaped.
    """
    builtin = jinja2.PrefixLoader({BUILTIN_PREFIX: jinja2.FileSystemLoader(packaged_templates_dir())})
    env = jinja2.Environment(
        # The prefix loader comes first so "builtin/…" always means the packaged template,
        # even if an override folder happens to hold a "builtin" folder.
        loader=jinja2.ChoiceLoader([builtin, jinja2.FileSystemLoader(_search_path(extra_dirs))]),
        bytecode_cache=template_cache(_env_settings()),
        **_ENV_OPTIONS,
    )
    env.filters.update(
        longdate=longdate,
        shortdate=shortdate,
        isodate=isodate,
        minutes=minutes,
        md=md_escape,
        cell=md_cell,
        mdguard=md_guard,
        cite=cite,
        linkcites=link_citations,
    )
    return env


# ---- filters -------------------------------------------------------------------------------


def longdate(value: date) -> str:
    """Format a date as ``Mon 2 Mar 2026``, the same on every machine (no locale)."""
    return f"{_WEEKDAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def shortdate(value: date) -> str:
    """Format a date as ``2 Mar`` for narrow table cells."""
    return f"{value.day} {_MONTHS[value.month - 1]}"


def isodate(value: date) -> str:
    """Format a date as ``2026-03-02`` (for HTML ``<time datetime>``)."""
    return value.isoformat()


def minutes(value: int) -> str:
    """Format a duration: ``0 min``, ``45 min``, ``1 h``, ``2 h 05 min``."""
    hours, mins = divmod(int(value), 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h" if not mins else f"{hours} h {mins:02d} min"


def md_escape(value: object) -> str:
    """Make untrusted text (athlete name, clinician) inert inside Markdown.

    Inline markup characters and ``|`` are backslash-escaped so a name cannot break a
    table or add a link/emphasis/HTML tag; a leading ``#``, ``-``, ``1.`` … is escaped so
    it cannot start a heading or list; line breaks become spaces.
    """
    text = " ".join(str(value).split())
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LEADING.sub(_escape_leading, text, count=1)


def _escape_leading(match: re.Match[str]) -> str:
    # "1." starts a list, but "\1" is no escape in CommonMark: escape the dot instead.
    marker = match.group(1)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


def md_guard(text: str, *untrusted: str | None) -> str:
    """Escape, inside trusted protocol wording, the spots where user text was inserted.

    The engine writes the clinician's name into a gate criterion ("cleared by …"); only
    that part is escaped, so the protocol's own ``[R21]`` citations stay readable.
    """
    for value in filter(None, untrusted):
        text = text.replace(value, md_escape(value))
    return text


def md_cell(value: object) -> str:
    """Keep trusted text (protocol wording) on one line and ``|``-safe inside a table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def cite(keys: Iterable[str]) -> str:
    """Format source keys as ``[R22] [R23]``."""
    return " ".join(f"[{key}]" for key in keys)


@jinja2.pass_context
def link_citations(context: jinja2.runtime.Context, text: str) -> markupsafe.Markup:
    """Escape ``text`` for HTML and turn ``[R22, R23]`` into links to the reference list.

    Only groups whose every key is in the guide's reference list are linked, so a link
    never points at a missing anchor.
    """
    listed = {ref.key for ref in context["references"]}
    escaped = str(markupsafe.escape(text))

    def link(match: re.Match[str]) -> str:
        keys = [k.strip() for k in re.split(r"[,;]", match.group(1))]
        if not all(k in listed and _SAFE_KEY.fullmatch(k) for k in keys):
            return match.group(0)
        return "[" + ", ".join(f'<a href="#ref-{k}">{k}</a>' for k in keys) + "]"

    return markupsafe.Markup(CITATION.sub(link, escaped))


# ---- rendering -----------------------------------------------------------------------------


def render_markdown(plan: Plan, extra_dirs: Sequence[Path] = (), clinic: Clinic | None = None) -> str:
    """Render the plan as a Markdown guide (GitHub-flavoured tables).

    Args:
        plan: the dated plan.
        extra_dirs: override folders searched before the built-in templates.
        clinic: the clinic whose name and contact head the guide, or None.

    Raises:
        TemplateProblem: a template is missing, malformed or uses an undefined variable.
    """
    return _render(MARKDOWN_TEMPLATE, build_context(plan, clinic), extra_dirs, clinic)


def render_html(plan: Plan, extra_dirs: Sequence[Path] = (), clinic: Clinic | None = None) -> str:
    """Render the plan as one self-contained HTML page (inline CSS, no scripts).

    Args:
        plan: the dated plan.
        extra_dirs: override folders searched before the built-in templates.
        clinic: the clinic whose logo, name, contact and accent colour brand the guide, or None.

    Raises:
        TemplateProblem: a template is missing, malformed or uses an undefined variable.
    """
    return _render(HTML_TEMPLATE, build_context(plan, clinic), extra_dirs, clinic)


def render_guides(plan: Plan, extra_dirs: Sequence[Path] = (),
                  clinic: Clinic | None = None) -> tuple[str, str]:
    """Render both guides, (Markdown, HTML), from one template context built once.

    Same arguments and errors as :func:`render_markdown` and :func:`render_html`.
    """
    context = build_context(plan, clinic)
    return (_render(MARKDOWN_TEMPLATE, context, extra_dirs, clinic),
            _render(HTML_TEMPLATE, context, extra_dirs, clinic))


@functools.lru_cache(maxsize=8)
def _cached_env(extra_dirs: tuple[Path, ...]) -> jinja2.Environment:
    """One environment per override search path, so templates are compiled once per process
    (Jinja still reloads a template whose file changed)."""
    return make_env(extra_dirs)


def _render(name: str, context: GuideContext, extra_dirs: Sequence[Path],
            clinic: Clinic | None) -> str:
    env = _cached_env(tuple(Path(d) for d in extra_dirs))
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        missing = exc.name if isinstance(exc.name, str) else name
        where = ", ".join(str(d) for d in _search_path(extra_dirs))
        raise TemplateProblem(missing, f"not found in {where}") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateProblem(where, f"line {exc.lineno}: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        where, line = _failing_template(exc.__traceback__)
        at = f", line {line}" if line else ""
        message = f"undefined variable: {exc.message}{_clinic_hint(exc.message, clinic)}"
        raise TemplateProblem(f"{where or name}{at}", message) from exc


def _clinic_hint(message: str | None, clinic: Clinic | None) -> str:
    # Reading clinic.name without --clinic reads an attribute of None; say which None it is.
    if clinic is None and message and message.startswith("'None' has no attribute"):
        return (" (clinic is None when no --clinic file is given: guard clinic details "
                "with {% if clinic %})")
    return ""


def _failing_template(tb: TracebackType | None) -> tuple[str | None, int | None]:
    # Jinja rewrites tracebacks so template frames carry the template file and line; the
    # last one is where the undefined name was used (it may be a partial, not the top one).
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


# ---- copying the built-in templates ---------------------------------------------------------


def copy_templates(dest: Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates into ``dest`` (created if needed) as a clinic's start.

    Nothing is copied if any target file exists, unless ``force``; other files in ``dest``
    are never touched.

    Raises:
        OutputError: ``dest`` is a file, a target exists without ``force``, or writing fails.
    """
    source = packaged_templates_dir()
    if dest.exists() and not dest.is_dir():
        raise OutputError(f"{dest} is a file, not a folder; choose another folder.")
    existing = [name for name in TEMPLATE_NAMES if (dest / name).exists()]
    if existing and not force:
        more = f" and {len(existing) - 1} more template file(s)" if len(existing) > 1 else ""
        raise OutputError(f"{dest} already has {existing[0]}{more}; use --force to replace "
                          "them, or choose another folder.")
    written = []
    try:
        for name in TEMPLATE_NAMES:
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((source / name).read_bytes())
            written.append(target)
    except OSError as exc:
        raise OutputError(f"cannot write to {dest}: {exc.strerror or exc}.") from exc
    return written
