"""The guide templates' filters: dates, durations, Markdown escaping and citation links.

Registered on the one Jinja environment by `planner.guide.render.make_env`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import jinja2
import markupsafe

from planner.core.names import MONTH_ABBR, WEEKDAY_ABBR
from planner.core.citations import citation_groups


# "&" only where it could start an entity ("&amp;", "&#60;"), so "O'Brien & Sons" stays as typed.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>|~]|&(?=#?\w+;))")


_MD_LEADING = re.compile(r"^([#+\-=!]|\d+(?=[.)]))")




def longdate(value: date) -> str:
    """Format a date as ``Mon 2 Mar 2026``, the same on every machine (no locale)."""
    return f"{WEEKDAY_ABBR[value.weekday()]} {value.day} {MONTH_ABBR[value.month - 1]} {value.year}"


def shortdate(value: date) -> str:
    """Format a date as ``2 Mar`` for narrow table cells."""
    return f"{value.day} {MONTH_ABBR[value.month - 1]}"


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
    """Make untrusted text (athlete name, clinician, clinic) inert inside Markdown.

    Inline markup characters and ``|`` are backslash-escaped so a name cannot break a
    table or add a link/emphasis/HTML tag (``&`` only before an entity name); a leading
    ``#``, ``-``, ``1.`` … is escaped so it cannot start a heading or list; line breaks
    become spaces. Apply it once, to the user's text alone: escaping escaped text doubles
    the backslashes.
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

    The engine writes the clinician's name into a gate criterion ("cleared by …") as a
    `Filled` text that knows its pieces: only the user's pieces are escaped, each once, so
    the protocol's own ``[R21]`` citations stay readable. Plain text (e.g. passed by a
    template override) has no pieces: every occurrence of an ``untrusted`` value (stripped)
    is escaped in one pass, longest first, so no value is escaped twice.
    """
    pieces = getattr(text, "pieces", None)
    if pieces is not None:
        return "".join(md_escape(piece) if user else piece for piece, user in pieces)
    # Stripped: the engine strips what it inserts, and surrounding spaces are not the user's.
    values = {value.strip() for value in filter(None, untrusted) if value.strip()}
    if not values:
        return text
    pattern = "|".join(re.escape(v) for v in sorted(values, key=lambda v: (-len(v), v)))
    return re.sub(pattern, lambda match: md_escape(match.group()), text)


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
    pieces, end = [], 0
    for match, keys in citation_groups(escaped):
        if all(k in listed for k in keys):  # keys are letters and digits: safe in an id
            pieces += [escaped[end:match.start()],
                       "[" + ", ".join(f'<a href="#ref-{k}">{k}</a>' for k in keys) + "]"]
            end = match.end()
    return markupsafe.Markup("".join(pieces) + escaped[end:])
