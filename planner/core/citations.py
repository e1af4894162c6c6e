"""Citations: the one syntax for naming sources in protocol data, and its one parser.

A source key is a capital letter followed by letters and digits (``R22``, ``R32a``, ``S3``).
Protocol texts cite inline with a bracket group, ``[R22, R23]``; a ``source`` field holds the
keys alone, ``R22`` or ``R22, R23``. Keys are separated by commas (the written style), and a
semicolon, slash or plain space is read the same way, so however a clinician separates them,
every key is seen: the loader refuses any that is not in ``[references]``, and the guide
links and lists exactly the keys it finds here.

A bracket group whose first word looks like a key is a citation; if the rest is not a list of
keys (``[R22 and R23]``), the loader refuses it instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

KEY = re.compile(r"[A-Z][A-Za-z0-9]*")
SEPARATORS = re.compile(r"[\s,;/]+")
GROUP = re.compile(r"\[([^\[\]]+)\]")


def split_keys(field: str) -> tuple[str, ...] | None:
    """The keys of a source field or of a bracket group's inside, in order; None when it is
    not a list of keys (a word that is not a key, or nothing at all)."""
    tokens = [token for token in SEPARATORS.split(field) if token]
    if not tokens or not all(KEY.fullmatch(token) for token in tokens):
        return None
    return tuple(tokens)


def looks_cited(inside: str) -> bool:
    """True when a bracket group's inside starts like a citation (its first word is a key)."""
    first = next((t for t in SEPARATORS.split(inside) if t), "")
    return KEY.fullmatch(first) is not None


def citation_groups(text: str) -> Iterator[tuple[re.Match[str], tuple[str, ...]]]:
    """Each well-formed citation group in `text` with its keys, in order of appearance."""
    for match in GROUP.finditer(text):
        keys = split_keys(match.group(1))
        if keys is not None:
            yield match, keys


def cited_keys(texts: Iterable[str]) -> Iterator[str]:
    """Every key cited inline in `texts`, in order of appearance (repeats included)."""
    for text in texts:
        for _, keys in citation_groups(text):
            yield from keys


def source_keys(field: str, known: set[str]) -> tuple[str, ...]:
    """The keys of a source field that are in `known`, each once, in order.

    The loader has already refused unknown keys; `known` keeps a guide rendered from an
    unvalidated protocol from showing a citation with no reference entry.
    """
    return tuple(dict.fromkeys(k for k in split_keys(field) or () if k in known))


def text_problems(text: str, known: set[str]) -> list[str]:
    """What is wrong with the inline citations of one text: malformed groups, unknown keys."""
    problems = []
    for match in GROUP.finditer(text):
        inside = match.group(1)
        if not looks_cited(inside):
            continue
        keys = split_keys(inside)
        if keys is None:
            problems.append(f"cites {match.group(0)}, which is not a list of source keys "
                            "(write [R1, R2])")
            continue
        problems += [f"cites [{key}], which is not in [references]"
                     for key in keys if key not in known]
    return problems


def field_problems(field: str, known: set[str]) -> list[str]:
    """What is wrong with a source field: not a list of keys, or a key that is unknown."""
    keys = split_keys(field)
    if keys is None:
        return [f"source '{field}' is not a list of source keys"]
    return [f"source '{key}' is not in [references]" for key in keys if key not in known]
