"""Trusted wording with user text filled in, remembering which pieces are the user's.

The engine writes the clinician's name into protocol wording ("… cleared by {cleared_by}.").
Each renderer must escape that name for its own format, exactly once, and leave the
protocol's own wording (with its ``[R21]`` citations) as it is. Searching the finished text
for the name cannot do that reliably (the name may be changed on the way in, overlap other
user text, or occur in the wording by chance), so the text carries its pieces instead.
"""

from __future__ import annotations

import string


class Filled(str):
    """A ``str`` (so every consumer reads it as the plain text) that also keeps ``pieces``:
    ``(text, from_user)`` pairs which, joined, give the text itself."""

    pieces: tuple[tuple[str, bool], ...]

    def __new__(cls, pieces: tuple[tuple[str, bool], ...]) -> Filled:
        """Join ``pieces`` into the text and keep them."""
        text = super().__new__(cls, "".join(piece for piece, _ in pieces))
        text.pieces = tuple(pieces)
        return text


def fill(template: str, **user: str) -> Filled:
    """Format ``template`` like ``str.format`` with user text, keeping track of the pieces.

    Only plain ``{name}`` fields are allowed (no conversion or format spec): the protocol's
    wording is data, and a field such as ``{x!r}`` would change the user's text.
    """
    pieces: list[tuple[str, bool]] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            pieces.append((literal, False))
        if field is not None:
            if spec or conversion or field not in user:
                raise ValueError(f"unsupported field {{{field}}} in {template!r}")
            pieces.append((user[field], True))
    return Filled(tuple(pieces))
