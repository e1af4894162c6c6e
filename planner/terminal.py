"""Where the command line meets the operating system's text: arguments, paths and printing.

No click here, so the rules can be read (and tested) on their own:

- `text_arguments`: every argument must be UTF-8 text. Python decodes the command line with
  the locale's encoding and hides undecodable bytes as surrogates; under ``LC_ALL=C`` (with
  ``PYTHONUTF8=0``) that turns a perfectly good "Zoë" into surrogates too. The original bytes
  are recovered and decoded as UTF-8, and an argument that is not UTF-8 is refused, so no
  surrogate ever reaches the guide, the calendar or an encoder.
- `os_path`: the form of a (UTF-8) path argument the operating system functions expect, and
  `path_text` the way back, for printing.
- `print_plainly`: printing never fails on a character the terminal's encoding lacks
  (``PYTHONIOENCODING=latin-1``, the C locale); "–" becomes "-", "ë" becomes "e", anything
  else "?". The files themselves are always UTF-8 and unaffected.
- `release_stdout`: after a write to standard output failed (``/dev/full``, a closed pipe),
  point it at the null device so the interpreter's last flush cannot fail again and turn a
  clean exit into exit code 120 with a second message.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata

_PLAIN = {"–": "-", "—": "-", "−": "-", "·": "-", "•": "*", "‘": "'", "’": "'", "“": '"',
          "”": '"', "…": "...", "×": "x", "≥": ">=", "≤": "<=", "→": "->", "\u00a0": " "}
ERRORS = "rtr-plain"


class NotText(ValueError):
    """An argument is not UTF-8 text; `index` is its place in the argument list."""

    def __init__(self, index: int, shown: str):
        self.index = index
        self.shown = shown
        super().__init__(f"argument {index + 1} ({shown!r}) is not valid UTF-8 text")


def text_arguments(args: list[str]) -> list[str]:
    """The arguments as real text, each decoded from its original bytes as UTF-8.

    Raises:
        NotText: the first argument whose bytes are not UTF-8.
    """
    found = []
    for index, arg in enumerate(args):
        try:
            arg.encode("utf-8")
            found.append(arg)
            continue
        except UnicodeEncodeError:  # surrogates: bytes the locale's encoding could not decode
            pass
        try:
            found.append(os.fsencode(arg).decode("utf-8"))
        except UnicodeError:
            raise NotText(index, _shown(arg)) from None
    return found


def _shown(arg: str) -> str:
    """`arg` as printable text, with U+FFFD where its bytes are not UTF-8."""
    try:
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate surrogateescape did not make (an API caller's)
        raw = arg.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def os_path(text: str) -> str:
    """The file name the operating system gets for the UTF-8 path `text`.

    Under a UTF-8 locale this is `text` itself; under the C locale it is the same bytes in the
    form Python's file functions encode back exactly.
    """
    try:
        return os.fsdecode(text.encode("utf-8"))
    except UnicodeError:
        return text


def path_text(path: os.PathLike[str] | str) -> str:
    """A path as text to print: its bytes read as UTF-8 (the inverse of `os_path`)."""
    return os.fsencode(path).decode("utf-8", "replace")


def _plain(error: UnicodeError) -> tuple[str | bytes, int]:
    """Codec error handler: the nearest plain character for one the encoding lacks."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    char = error.object[error.start]
    if "\udc80" <= char <= "\udcff":  # a byte of a file name that is not text: write it back
        return bytes([ord(char) - 0xDC00]), error.start + 1
    folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return _PLAIN.get(char) or folded or "?", error.start + 1


def print_plainly() -> None:
    """Make standard output and error replace characters their encoding cannot show."""
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _plain)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERRORS)
            except (OSError, ValueError):  # a stream that cannot change; leave it be
                pass


def release_stdout() -> None:
    """Send what is left for standard output to the null device (see the module docstring)."""
    try:
        fileno = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        return
    try:
        os.dup2(null, fileno)
    finally:
        os.close(null)
