"""Checks on free text a user types (names, clinician text, calendar names)."""

from __future__ import annotations

import unicodedata

from planner.errors import RequestError


def check_text(param: str, value: str) -> None:
    """Refuse control characters other than line feed and tab in user text.

    They cannot be written as iCalendar TEXT (RFC 5545 §3.3.11), so a calendar holding one is
    rejected by strict parsers; a line break must be a plain line feed.
    """
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\t"), None)
    if bad is not None:
        raise RequestError(param, f"contains the control character U+{ord(bad):04X}; remove it "
                                  "(line breaks are fine).")
