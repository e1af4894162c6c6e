"""Render a Plan as a Markdown or HTML guide for the injured runner.

One environment factory (strict, autoescaping only HTML templates), one function that builds
what templates receive, and one resolver for the packaged ``templates/`` folder, which lives
beside ``planner/`` in a checkout and inside it (``planner/templates``) in a wheel.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import jinja2

from planner.core.cache import package_stamp
from planner.core.models import Plan
from planner.errors import TemplateProblem
from planner.guide.clinic import Clinic
from planner.guide.context import build_context
from planner.guide.overrides import OverrideLoader
from planner.guide.filters import (
    cite,
    isodate,
    link_citations,
    longdate,
    md_cell,
    md_escape,
    md_guard,
    minutes,
    shortdate,
)
from planner.guide.records import GuideContext
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


# Names a plain dict answers as attributes (``items``, ``keys``, ``get`` …): for these Jinja's
# own order (attribute first, then key) is kept, so an override template sees what it did.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class GuideEnvironment(jinja2.Environment):
    """A Jinja environment that reads ``x.y`` on a plain dict as its key directly.

    The guide contexts are TypedDicts (plain dicts), so Jinja's `getattr` raised and caught an
    AttributeError for each of the ~6,000 ``x.y`` lookups of a plan before trying the key
    (issue 12). For a plain dict that attribute lookup can only succeed for a name the dict
    class defines, so skipping it for the other names gives the same result, faster.
    """

    def getattr(self, obj, attribute):
        """``obj.attribute`` in a template: a dict's key unless the name is a dict attribute."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (TypeError, LookupError, AttributeError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _env_settings() -> str:
    """What compiled templates depend on besides their source: Jinja and the package's code
    (which holds the options above and the filters), so the cache never serves stale code."""
    return f"jinja2 {jinja2.__version__} {package_stamp()}"


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
    env = GuideEnvironment(
        # The prefix loader comes first so "builtin/…" always means the packaged template,
        # even if an override folder happens to hold a "builtin" folder.
        # Overrides are the user's files, read by OverrideLoader (ordinary files only, capped).
        loader=jinja2.ChoiceLoader([builtin, OverrideLoader(extra_dirs),
                                    jinja2.FileSystemLoader(packaged_templates_dir())]),
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
        message = f"undefined variable: {exc.message}{_clinic_hint(exc.message, clinic)}"
        raise TemplateProblem(_where(exc, name), message) from exc
    except TemplateProblem:
        raise
    except RecursionError as exc:
        raise TemplateProblem(_where(exc, name), "includes, extends or calls itself without "
                              "end") from None
    except Exception as exc:  # an override is code: whatever it raises is the template's fault
        raise TemplateProblem(_where(exc, name), f"{type(exc).__name__}: {exc}") from None


def _where(exc: BaseException, name: str) -> str:
    """``path/guide.md.j2, line 3``: the template frame an error was raised in, else `name`."""
    where, line = _failing_template(exc.__traceback__)
    return f"{where or name}{f', line {line}' if line else ''}"


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

