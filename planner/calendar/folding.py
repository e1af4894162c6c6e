"""Fold iCalendar content lines at 75 octets, byte for byte as icalendar 7 does, but faster.

icalendar builds and escapes every property; only its last step, folding each content line,
walks the text one character at a time and encodes each one separately, which is nearly half
of the time `Calendar.to_ical()` takes on a plan (about 19 of 42 ms for 120 events). This
module folds whole lines at once on their UTF-8 bytes. The result is the same bytes as
icalendar's ``Contentlines.to_ical()``: lines of at most 74 octets, never split inside a
character, and, like icalendar since its issue #1501, never right after a backslash or a caret
so an escape such as ``\\n`` or ``^'`` stays on one line. The tests compare the two.
"""

from __future__ import annotations

from collections.abc import Iterable

LIMIT = 74  # octets per physical line, CRLF excluded (icalendar folds before reaching 75)
SEPARATOR = b"\r\n "
_ESCAPE_BYTES = (ord("\\"), ord("^"))


def fold_line(line: str) -> bytes:
    """One content line, folded and encoded as UTF-8 (no trailing CRLF)."""
    data = line.encode("utf-8")
    if len(data) <= LIMIT:
        return data
    pieces = []
    start = 0
    while len(data) - start > LIMIT:
        cut = start + LIMIT
        # Step back to the first byte of a character (UTF-8 continuation bytes are 10xxxxxx).
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        # Keep an escape together with the character it escapes (the line must keep >1 char).
        if data[cut - 1] in _ESCAPE_BYTES and cut - 1 > start:
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return SEPARATOR.join(pieces)


def fold_lines(lines: Iterable[str]) -> bytes:
    """Content lines joined with CRLF, each folded, ending in CRLF; empty lines dropped."""
    return b"\r\n".join(fold_line(line) for line in lines if line) + b"\r\n"
