"""Clinic branding for the guides: a small TOML file read into a frozen `Clinic`.

Pure core (no click): `load_clinic` reads and checks the file and raises `ClinicError`
with the file and the key on any problem. The logo is read here, checked by its bytes'
magic numbers (never its name) and kept as a ``data:`` URI, so the HTML guide stays one
self-contained file that makes no network request.

Example ``clinic.toml``::

    name = "Bondi Sports Physio"                      # required
    contact = "02 9130 0000 · hello@bondi.example"    # optional, one line
    logo = "logo.svg"                                 # optional, relative to this file
    accent = "#0a5c8a"                                # optional CSS hex colour
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import NamedTuple

from planner.errors import ClinicError
from planner.core.userfile import UnusableFile, read_user_file

KEYS = ("name", "contact", "logo", "accent")
LOGO_LIMIT = 512 * 1024
# Four short keys fit in well under 1 KB; the cap keeps a device or a huge file from being read.
TOML_LIMIT = 64 * 1024
TEXT_LIMIT = 200
# The accent colours links and headings on white, so it must pass WCAG AA for text.
MIN_CONTRAST = 4.5
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


class Clinic(NamedTuple):
    """What the guide templates receive as ``clinic``.

    Attributes:
        name: the clinic's name, one line.
        contact: a line such as phone, email or address, or None.
        logo: the logo as a ``data:image/...;base64,...`` URI, or None.
        accent: a lower-case ``#rrggbb`` colour for headings and borders, or None.
    """

    name: str
    contact: str | None = None
    logo: str | None = None
    accent: str | None = None


def load_clinic(path: Path) -> Clinic:
    """Read and check a clinic TOML file.

    Raises:
        ClinicError: the file cannot be read or parsed, has an unknown key, no ``name``, a
            logo that is missing, too large or not PNG/JPEG/SVG, or a bad ``accent``.
    """
    path = Path(path)
    data = _read_toml(path)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ClinicError(f"{path}: unknown key '{unknown[0]}'; use {', '.join(KEYS)}.")
    name = _text(path, data, "name")
    if name is None:
        raise ClinicError(f"{path}: key 'name' is missing; add e.g. name = \"Bondi Sports Physio\".")
    logo = _text(path, data, "logo")
    accent = _text(path, data, "accent")
    return Clinic(
        name=name,
        contact=_text(path, data, "contact"),
        logo=None if logo is None else logo_data_uri(path, path.parent / logo),
        accent=None if accent is None else check_accent(path, accent),
    )


def _read_toml(path: Path) -> dict[str, object]:
    import tomllib  # only with --clinic; most runs never need it

    try:
        return tomllib.loads(read_user_file(path, TOML_LIMIT).decode("utf-8"))
    except OSError as exc:
        raise ClinicError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise ClinicError(f"{path}: is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ClinicError(f"{path}: is not valid TOML ({exc}).") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ClinicError(f"{path}: is not valid TOML (nested too deeply).") from None


def _text(path: Path, data: dict[str, object], key: str) -> str | None:
    """A one-line string value, or None when the key is absent."""
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, str):
        raise ClinicError(f"{path}: key '{key}' must be a string in quotes, e.g. {key} = \"…\".")
    # Line breaks would break the Markdown header line; collapse them like the athlete's name.
    text = " ".join(value.split())
    if not text:
        raise ClinicError(f"{path}: key '{key}' is empty; give a value or leave the key out.")
    if len(text) > TEXT_LIMIT:
        raise ClinicError(f"{path}: key '{key}' is longer than {TEXT_LIMIT} characters.")
    return text


def logo_type(data: bytes) -> str | None:
    """The logo's MIME type from its first bytes: PNG, JPEG or SVG; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        return None
    # An SVG is XML text: an optional declaration, comments or doctype, then an <svg> root.
    head = re.sub(r"^(?:<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>|\s)*", "", text, flags=re.S)
    return "image/svg+xml" if re.match(r"<svg[\s>]", head) else None


def logo_data_uri(toml_path: Path, logo_path: Path) -> str:
    """Read a logo file and return it as a base64 ``data:`` URI.

    Raises:
        ClinicError: the file is missing, larger than 512 KB, or not PNG/JPEG/SVG.
    """
    try:
        data = read_user_file(logo_path, LOGO_LIMIT)
    except FileNotFoundError:
        raise ClinicError(f"{toml_path}: key 'logo': file {logo_path} not found (the path "
                          "is relative to the clinic file).") from None
    except UnusableFile as exc:
        hint = "; use a smaller PNG, JPEG or SVG" if exc.too_large else ""
        raise ClinicError(f"{toml_path}: key 'logo': cannot use {logo_path} ({exc}){hint}.") from None
    except OSError as exc:
        raise ClinicError(f"{toml_path}: key 'logo': cannot read {logo_path} "
                          f"({exc.strerror or exc}).") from None
    mime = logo_type(data)
    if mime is None:
        raise ClinicError(f"{toml_path}: key 'logo': {logo_path} is not a PNG, JPEG or SVG "
                          "image (checked by its content, not its name).")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def check_accent(toml_path: Path, value: str) -> str:
    """Return a valid accent as lower-case ``#rrggbb``.

    Raises:
        ClinicError: not a ``#rgb``/``#rrggbb`` colour, or too light to read on white.
    """
    if not HEX_COLOUR.fullmatch(value):
        raise ClinicError(f"{toml_path}: key 'accent': '{value}' is not a CSS hex colour; "
                          "use #rrggbb or #rgb, e.g. accent = \"#0a5c8a\".")
    digits = value[1:].lower()
    colour = "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))
    ratio = contrast_on_white(colour)
    if ratio < MIN_CONTRAST:
        raise ClinicError(f"{toml_path}: key 'accent': '{value}' is too light to read on white "
                          f"(contrast {ratio:.1f}:1, needs {MIN_CONTRAST}:1); use a darker shade.")
    return colour


def contrast_on_white(colour: str) -> float:
    """WCAG 2 contrast ratio of a ``#rrggbb`` colour against white (1 to 21)."""
    def channel(hex_pair: str) -> float:
        """sRGB channel to linear light."""
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
