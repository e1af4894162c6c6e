"""Clinic branding without forking: --templates override folders, --clinic files, and
`rtr templates list|copy`, all through the real command and the real renderer.

A broken override or a bad clinic file must stop the run with one line that names the
template (and line/variable) or the file (and key), and write nothing.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.guide.clinic import Clinic, load_clinic, logo_type
from planner.errors import ClinicError
from planner.guide.render import TEMPLATE_NAMES, packaged_templates_dir

from .helpers import run_rtr

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CLINIC = ROOT / "examples" / "clinic" / "clinic.toml"
START = (date.today() + timedelta(days=3)).isoformat()


run = run_rtr


def plan(capsys, out: Path, *extra: str) -> tuple[int, str, str]:
    """`rtr plan` for a fixed metatarsal grade 2 runner into `out`."""
    return run(capsys, "plan", "--site", "metatarsal", "--grade", "2", "--start", START,
               "--name", "Ana", "--out", str(out), *extra)


def guides(folder: Path) -> tuple[str, str]:
    """(guide.md, guide.html) of an output folder."""
    return ((folder / "guide.md").read_text(encoding="utf-8"),
            (folder / "guide.html").read_text(encoding="utf-8"))


@pytest.fixture
def default(tmp_path, capsys) -> tuple[str, str]:
    """The guides rendered with no overrides and no clinic."""
    assert plan(capsys, tmp_path / "default")[0] == 0
    return guides(tmp_path / "default")


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built by hand (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        """One PNG chunk with its length and CRC."""
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x0a\x5c\x8a")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- --templates ----------------------------------------------------------------------------


def test_override_folder_is_searched_first(tmp_path, capsys, default):
    overrides = tmp_path / "clinic-templates"
    write(overrides / "guide.md.j2", "# {{ athlete|md }}: clinic handout\n")
    code, _, err = plan(capsys, tmp_path / "out", "--templates", str(overrides))
    assert (code, err) == (0, "")
    md, page = guides(tmp_path / "out")
    assert md == "# Ana: clinic handout\n"
    assert page == default[1]  # guide.html has no override, so it is the built-in one


def test_one_partial_override_changes_only_that_partial(tmp_path, capsys, default):
    overrides = tmp_path / "t"
    builtin_css = (packaged_templates_dir() / "partials" / "style.css.j2").read_text(encoding="utf-8")
    write(overrides / "partials" / "style.css.j2", builtin_css + "body { font-family: Georgia, serif; }\n")
    assert plan(capsys, tmp_path / "out", "--templates", str(overrides))[0] == 0
    md, page = guides(tmp_path / "out")
    assert md == default[0]
    added = "body { font-family: Georgia, serif; }\n"
    assert page.count(added) == 1
    assert page.replace(added, "", 1) == default[1]


def test_an_override_can_extend_the_builtin_guide_and_replace_one_block(tmp_path, capsys, default):
    overrides = tmp_path / "t"
    write(overrides / "guide.html.j2", '{% extends "builtin/guide.html.j2" %}\n'
          "{% block footer %}{{ super() }}<p>Harbour Sports Physio: call us any time.</p>\n"
          "{% endblock %}\n")
    write(overrides / "guide.md.j2", '{% extends "builtin/guide.md.j2" %}\n')
    assert plan(capsys, tmp_path / "out", "--templates", str(overrides))[0] == 0
    md, page = guides(tmp_path / "out")
    assert md == default[0]  # extending without changes is the built-in guide, byte for byte
    footer = re.search(r"<footer.*?</footer>\n(.*?)\n", page, re.S)
    assert footer and footer.group(1) == "<p>Harbour Sports Physio: call us any time.</p>"
    assert page.replace("<p>Harbour Sports Physio: call us any time.</p>\n", "") == default[1]


BROKEN = [
    # (file, content, words the one-line error must contain)
    ("guide.html.j2", "<p>{% if %}</p>\n", ["guide.html.j2", "line 1"]),
    ("guide.md.j2", "Hi {{ athlete }}\n\n{{ clinic_phone }}\n", ["guide.md.j2", "line 3", "clinic_phone"]),
    ("partials/week_table.html.j2", "{{ weeks[0].colour }}\n", ["partials/week_table.html.j2", "line 1", "colour"]),
    ("guide.md.j2", '{% include "partials/letterhead.md.j2" %}\n', ["partials/letterhead.md.j2", "not found"]),
    # Without --clinic, `clinic` is None: an unguarded clinic.name says so.
    ("partials/style.css.j2", "h1 { color: red; }\n/* {{ clinic.name }} */\n",
     ["partials/style.css.j2", "line 2", "'name'", "clinic is None", "{% if clinic %}"]),
]


@pytest.mark.parametrize(("name", "content", "words"), BROKEN, ids=["syntax", "undefined", "attribute", "include", "no-clinic"])
def test_broken_override_is_one_line_exit_1_and_nothing_written(tmp_path, capsys, name, content, words):
    overrides = tmp_path / "t"
    write(overrides / name, content)
    code, out, err = plan(capsys, tmp_path / "out", "--templates", str(overrides))
    assert code == 1
    assert out == ""
    assert err.startswith("Error: template ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_templates_folder_must_exist_and_be_a_folder(tmp_path, capsys, kind):
    target = tmp_path / "nope"
    if kind == "file":
        write(target, "not a folder")
    code, _, err = plan(capsys, tmp_path / "out", "--templates", str(target))
    assert code == 2
    assert err.startswith("Error: Invalid value for '--templates'") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


# ---- --clinic -------------------------------------------------------------------------------


def test_example_clinic_brands_both_guides(tmp_path, capsys, default):
    code, _, err = plan(capsys, tmp_path / "out", "--clinic", str(EXAMPLE_CLINIC))
    assert (code, err) == (0, "")
    md, page = guides(tmp_path / "out")
    clinic = load_clinic(EXAMPLE_CLINIC)
    header = page[page.index("<header>"):page.index("</header>")]
    assert f'<p class="clinic-name">{clinic.name}</p>' in header
    assert f'<p class="clinic-contact">{clinic.contact}</p>' in header
    logo = re.search(r'<img class="clinic-logo" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="">', header)
    assert logo, header
    assert base64.b64decode(logo.group(1)) == (EXAMPLE_CLINIC.parent / "logo.svg").read_bytes()
    assert "http" not in header.replace(logo.group(0), "")
    assert re.findall(r'\bsrc="([^"]{0,5})', page) == ["data:"]  # the one image is inline
    assert ":root { --accent: #0a5c8a; }" in page
    assert "h2 { border-bottom-color: var(--accent); }" in page
    assert md.startswith("**Harbour Sports Physio** · 02 9130 0000 · clinic@harbour-physio.example"
                         " · 12 Beach Rd, Bondi\n\n# Return-to-run plan for Ana\n")
    assert "data:" not in md
    # Below the header line the Markdown guide is unchanged.
    assert md.split("\n", 2)[2] == default[0]


def test_clinic_with_only_a_name_and_a_png_logo(tmp_path, capsys):
    write(tmp_path / "brand" / "clinic.toml", 'name = "Kim & <Co> | Physio"\nlogo = "img/mark.svg"\n')
    # The type comes from the bytes: a PNG named .svg is embedded as a PNG.
    (tmp_path / "brand" / "img").mkdir()
    (tmp_path / "brand" / "img" / "mark.svg").write_bytes(tiny_png())
    assert plan(capsys, tmp_path / "out", "--clinic", str(tmp_path / "brand" / "clinic.toml"))[0] == 0
    md, page = guides(tmp_path / "out")
    assert '<p class="clinic-name">Kim &amp; &lt;Co&gt; | Physio</p>' in page
    assert 'src="data:image/png;base64,' + base64.b64encode(tiny_png()).decode() + '"' in page
    assert '<p class="clinic-contact">' not in page and ":root { --accent:" not in page
    assert md.startswith("**Kim & \\<Co\\> \\| Physio**\n\n# Return")


def test_logo_types_are_read_from_magic_numbers():
    assert logo_type(tiny_png()) == "image/png"
    assert logo_type(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "image/jpeg"
    assert logo_type(b'<?xml version="1.0"?>\n<!-- mark -->\n<svg viewBox="0 0 1 1"/>') == "image/svg+xml"
    assert logo_type(b"GIF89a\x01\x00") is None
    assert logo_type(b"<html><svg></svg></html>") is None
    assert logo_type(b"") is None


BAD_CLINICS = [
    # (clinic.toml text, extra files, words the error must contain)
    ('name = "Harbour\n', {}, ["not valid TOML"]),
    ('contact = "02 9130 0000"\n', {}, ["'name'", "missing"]),
    ('name = "   "\n', {}, ["'name'", "empty"]),
    ("name = 42\n", {}, ["'name'", "string"]),
    ('name = "H"\ncolour = "#000000"\n', {}, ["unknown key 'colour'"]),
    ('name = "H"\ncontact = ["a", "b"]\n', {}, ["'contact'", "string"]),
    ('name = "H"\nlogo = "missing.png"\n', {}, ["'logo'", "missing.png", "not found"]),
    ('name = "H"\nlogo = "big.png"\n', {"big.png": b"\x89PNG\r\n\x1a\n" + b"\0" * (512 * 1024)}, ["'logo'", "512 KB"]),
    ('name = "H"\nlogo = "logo.png"\n', {"logo.png": b"GIF89a\x01\x00\x01\x00"}, ["'logo'", "not a PNG, JPEG or SVG"]),
    ('name = "H"\nlogo = "pics"\n', {"pics/x.png": b"\x89PNG\r\n\x1a\n"}, ["'logo'", "it is a folder, not an ordinary file"]),
    ('name = "H"\naccent = "blue"\n', {}, ["'accent'", "'blue'", "hex colour"]),
    ('name = "H"\naccent = "#12345"\n', {}, ["'accent'", "hex colour"]),
    ('name = "H"\naccent = "#ffd700"\n', {}, ["'accent'", "too light", "4.5:1"]),
]


@pytest.mark.parametrize(("toml", "files", "words"), BAD_CLINICS)
def test_bad_clinic_file_is_one_line_exit_2_naming_file_and_key(tmp_path, capsys, toml, files, words):
    clinic_file = write(tmp_path / "clinic.toml", toml)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    code, out, err = plan(capsys, tmp_path / "out", "--clinic", str(clinic_file))
    assert code == 2 and out == ""
    assert err.startswith(f"Error: Invalid value for '--clinic': {clinic_file}: "), err
    assert err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ClinicError):
        load_clinic(clinic_file)


def test_missing_clinic_file_is_a_usage_error(tmp_path, capsys):
    code, _, err = plan(capsys, tmp_path / "out", "--clinic", str(tmp_path / "none.toml"))
    assert code == 2 and err.startswith("Error: Invalid value for '--clinic'") and err.count("\n") == 1


def test_load_clinic_normalises_values(tmp_path):
    path = write(tmp_path / "c.toml", 'name = """  Harbour\n Physio """\naccent = "#0AF"\n')
    with pytest.raises(ClinicError, match="too light"):
        load_clinic(path)
    write(path, 'name = "  Harbour  Physio "\naccent = "#03A"\n')
    assert load_clinic(path) == Clinic(name="Harbour Physio", accent="#0033aa")


# ---- rtr templates --------------------------------------------------------------------------


def test_templates_list_prints_the_builtin_names(capsys):
    code, out, err = run(capsys, "templates", "list")
    assert (code, err) == (0, "")
    assert out.splitlines() == list(TEMPLATE_NAMES)


def test_templates_help_explains_list_copy_and_use(capsys):
    code, out, _ = run(capsys, "templates", "--help")
    assert code == 0
    for words in ("list", "copy", "--templates"):
        assert words in out


def test_templates_copy_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    dest = tmp_path / "clinic" / "templates"
    code, out, _ = run(capsys, "templates", "copy", str(dest))
    assert code == 0 and "Copied 13 templates" in out
    for name in TEMPLATE_NAMES:
        assert (dest / name).read_bytes() == (packaged_templates_dir() / name).read_bytes()
    write(dest / "partials" / "style.css.j2", "/* ours */\n")
    write(dest / "notes.txt", "keep me")
    code, out, err = run(capsys, "templates", "copy", str(dest))
    assert code == 1 and out == ""
    assert err.startswith(f"Error: {dest} already has guide.md.j2 and 12 more") and err.count("\n") == 1
    assert (dest / "partials" / "style.css.j2").read_text() == "/* ours */\n"
    assert run(capsys, "templates", "copy", str(dest), "--force")[0] == 0
    assert (dest / "partials" / "style.css.j2").read_bytes() == (packaged_templates_dir() / "partials" / "style.css.j2").read_bytes()
    assert (dest / "notes.txt").read_text() == "keep me"


def test_templates_copy_into_a_file_is_refused(tmp_path, capsys):
    target = write(tmp_path / "file", "x")
    code, _, err = run(capsys, "templates", "copy", str(target))
    assert code == 1 and "is a file" in err and err.count("\n") == 1


def test_copied_templates_reproduce_the_default_guides_byte_for_byte(tmp_path, capsys, default):
    dest = tmp_path / "copy"
    assert run(capsys, "templates", "copy", str(dest))[0] == 0
    assert plan(capsys, tmp_path / "out", "--templates", str(dest))[0] == 0
    assert guides(tmp_path / "out") == default
    # And with a clinic, the copies brand the guide exactly as the built-in templates do.
    assert plan(capsys, tmp_path / "a", "--templates", str(dest), "--clinic", str(EXAMPLE_CLINIC))[0] == 0
    assert plan(capsys, tmp_path / "b", "--clinic", str(EXAMPLE_CLINIC))[0] == 0
    assert guides(tmp_path / "a") == guides(tmp_path / "b")


def test_readme_documents_every_template_variable_and_block():
    from planner.guide.records import GuideContext

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Clinic branding"):readme.index("## The plan")]
    for key in GuideContext.__annotations__:
        assert f"`{key}`" in section, key
    for template in ("guide.html.j2", "guide.md.j2"):
        source = (packaged_templates_dir() / template).read_text(encoding="utf-8")
        for block in re.findall(r"{% block (\w+) %}", source):
            row = next(line for line in section.splitlines() if line.startswith(f"| `{template}`"))
            assert f"`{block}`" in row, (template, block)
