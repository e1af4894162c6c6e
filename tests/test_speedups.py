"""The speed-ups change nothing but speed.

- `planner.folding` must give exactly the bytes icalendar's own serialiser gives;
- the protocol cache must return what a fresh load returns, follow every edit of the file,
  survive damage and never unpickle anything but our own records;
- the template cache must give the same guides warm as cold, follow template edits and cost
  nothing but the speed-up when its folder is unusable or caching is switched off.
"""

from __future__ import annotations

import os
import pickle
import shutil
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser.string import _foldline  # icalendar's own folding, the reference

from .helpers import examples, make_plan, profiled
from planner.core.cache import PACKAGE_ROOT, package_stamp
from planner.guide import render
from planner.guide.context import build_context
from planner.calendar.options import CalendarOptions
from planner.errors import ProtocolError
from planner.calendar.folding import fold_line, fold_lines
from planner.calendar.ics import build_calendar, render_calendar
from planner.calendar.revision import revise
from planner.core.protocol import default_protocol_path, load_protocol

STAMP = datetime(2026, 11, 22, tzinfo=timezone.utc)
# Characters that meet every branch of the folding: 1-4 byte UTF-8, the escapes it keeps
# together (backslash, caret) and the TEXT separators.
FOLD_ALPHABET = st.sampled_from(list("ab ;,:\\^\"é·×–€😀🏃\u200f\u0301") + ["\\n", "^'"])


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A private, empty cache folder for this test."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("RTR_NO_CACHE", raising=False)
    return home / "rtr-planner"


# ---- folding -------------------------------------------------------------------------------


@settings(max_examples=examples(300, quick=100), deadline=None)
@given(st.lists(FOLD_ALPHABET, max_size=400).map("".join))
def test_fold_line_matches_icalendar(line: str) -> None:
    assert fold_line(line) == _foldline(line).encode("utf-8")


@pytest.mark.parametrize("length", [0, 1, 73, 74, 75, 76, 147, 148, 149, 500])
@pytest.mark.parametrize("filler", ["a", "é", "€", "😀", "a\\", "a^"])
def test_fold_line_boundaries_match_icalendar(length: int, filler: str) -> None:
    line = (filler * length)[:length]
    folded = fold_line(line)
    assert folded == _foldline(line).encode("utf-8")
    assert all(len(part) <= 74 for part in folded.split(b"\r\n "))


CALENDAR_OPTIONS = {
    "all-day": CalendarOptions(),
    "hostile-name": CalendarOptions(reminder=timedelta(hours=1),
                                    calendar_name='Zoë; "club", A\\B\nline 2 🏃'),
    "timed-sydney": CalendarOptions(time=time(6, 30), tz="Australia/Sydney",
                                    reminder=timedelta(minutes=30)),
}
BYTE_PLANS = [("metatarsal", 2), ("navicular", 4), ("sacrum", 1)]
# Every option with every plan in the full profile; the quick one pairs them off (each once).
BYTE_CASES = profiled([(o, *p) for o in CALENDAR_OPTIONS for p in BYTE_PLANS],
                      [(o, *p) for o, p in zip(CALENDAR_OPTIONS, BYTE_PLANS, strict=True)])


@pytest.mark.parametrize("name,site,grade", BYTE_CASES)
def test_calendar_bytes_equal_icalendar_to_ical(protocol, name, site, grade) -> None:
    options = CALENDAR_OPTIONS[name]
    plan = make_plan(protocol, site, grade, date(2027, 3, 1),
                     athlete='Ana "A" Díaz; \\ <b>x</b> \u202eRTL')
    revision = revise(plan, options, None, None)
    calendar = build_calendar(plan, STAMP, options, revision)
    assert render_calendar(plan, STAMP, options, revision) == calendar.to_ical()


def test_fold_lines_drops_empty_lines_and_ends_with_crlf() -> None:
    assert fold_lines(["BEGIN:X", "", "END:X", ""]) == b"BEGIN:X\r\nEND:X\r\n"


# ---- protocol cache ------------------------------------------------------------------------


def _copy_protocol(tmp_path: Path) -> Path:
    path = tmp_path / "protocol.toml"
    path.write_bytes(default_protocol_path().read_bytes())
    return path


def test_cached_protocol_equals_a_fresh_load(cache_home, monkeypatch) -> None:
    cold = load_protocol()
    entries = list((cache_home / "protocol").glob("*.pickle"))
    assert len(entries) == 1
    warm = load_protocol()
    assert warm == cold
    monkeypatch.setenv("RTR_NO_CACHE", "1")
    assert load_protocol() == warm


def test_edited_protocol_is_reloaded_not_served_from_cache(cache_home, tmp_path) -> None:
    path = _copy_protocol(tmp_path)
    assert load_protocol(path).version != "9.9.9-test"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('version = "', 'version = "9.9.9-test', 1), encoding="utf-8")
    assert load_protocol(path).version.startswith("9.9.9-test")


def test_broken_protocol_after_a_cached_good_one_is_still_refused(cache_home, tmp_path) -> None:
    path = _copy_protocol(tmp_path)
    load_protocol(path)
    path.write_text(path.read_text(encoding="utf-8") + "\n[[sites]\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid TOML"):
        load_protocol(path)


def test_damaged_cache_entry_is_ignored_and_replaced(cache_home) -> None:
    fresh = load_protocol()
    (entry,) = (cache_home / "protocol").glob("*.pickle")
    entry.write_bytes(b"\x80\x05garbage")
    assert load_protocol() == fresh
    assert pickle.loads(entry.read_bytes())[1] == fresh


class _Exploit:
    """Unpickling this would create a file; the cache must refuse it."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_cache_never_unpickles_foreign_classes(cache_home, tmp_path) -> None:
    fresh = load_protocol()
    (entry,) = (cache_home / "protocol").glob("*.pickle")
    target = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps(_Exploit(str(target))))
    assert load_protocol() == fresh
    assert not target.exists()


def test_unusable_cache_folder_costs_only_speed(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("RTR_NO_CACHE", raising=False)
    assert load_protocol().sites


def test_no_cache_switch_writes_nothing(cache_home, monkeypatch) -> None:
    monkeypatch.setenv("RTR_NO_CACHE", "1")
    load_protocol()
    assert not cache_home.exists()


PACKAGE_MODULES = sorted(PACKAGE_ROOT.rglob("*.py"))


@pytest.mark.parametrize("module", PACKAGE_MODULES,
                         ids=[str(m.relative_to(PACKAGE_ROOT)) for m in PACKAGE_MODULES])
def test_editing_any_module_invalidates_both_caches(module, cache_home, tmp_path) -> None:
    """Validation or rendering code may move between modules, so every module of the package
    is part of both caches' keys: a cached protocol is reloaded and validated again, and
    cached templates are recompiled, after an edit anywhere."""
    path = _copy_protocol(tmp_path)
    load_protocol(path)
    (entry,) = (cache_home / "protocol").glob("*.pickle")
    stored = entry.read_bytes()
    settings = render._env_settings()
    stat = os.stat(module)
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    try:
        assert render._env_settings() != settings
        assert load_protocol(path) == load_protocol(path)
        assert entry.read_bytes() != stored  # the entry was rebuilt under the new key
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_package_stamp_covers_every_module_and_no_cache_files() -> None:
    names = [name for name, _, _ in package_stamp()]
    assert package_stamp() == package_stamp() and len(set(names)) == len(PACKAGE_MODULES)
    assert {"app.py", os.path.join("core", "protocol.py"), os.path.join("guide", "filters.py"),
            os.path.join("calendar", "ics.py")} <= set(names)
    assert not any("__pycache__" in name for name in names)


# ---- template cache ------------------------------------------------------------------------


def _guides(plan, extra_dirs=()) -> tuple[str, str]:
    env = render.make_env(extra_dirs)  # a new environment: no templates compiled in memory
    context = build_context(plan)
    return (env.get_template(render.MARKDOWN_TEMPLATE).render(context),
            env.get_template(render.HTML_TEMPLATE).render(context))


def test_warm_template_cache_renders_identical_guides(protocol, cache_home) -> None:
    plan = make_plan(protocol, "tibia-posteromedial", 3, date(2027, 1, 4))
    cold = _guides(plan)
    compiled = list((cache_home / "templates").glob("*.jinja"))
    assert len(compiled) >= 4  # both guides and the partials they include
    assert _guides(plan) == cold


def test_damaged_template_cache_is_recompiled(protocol, cache_home) -> None:
    plan = make_plan(protocol, "fibula", 2, date(2027, 1, 4))
    cold = _guides(plan)
    for entry in (cache_home / "templates").glob("*.jinja"):
        entry.write_bytes(b"not bytecode")
    assert _guides(plan) == cold


def test_edited_override_template_is_not_served_from_cache(protocol, cache_home, tmp_path) -> None:
    plan = make_plan(protocol, "fibula", 2, date(2027, 1, 4))
    override = tmp_path / "overrides"
    override.mkdir()
    page = override / "guide.md.j2"
    page.write_text("first {{ athlete }}\n", encoding="utf-8")
    assert _guides(plan, (override,))[0].startswith("first ")
    page.write_text("second {{ athlete }}\n", encoding="utf-8")
    assert _guides(plan, (override,))[0].startswith("second ")


def test_unusable_template_cache_still_renders(protocol, cache_home) -> None:
    plan = make_plan(protocol, "fibula", 1, date(2027, 1, 4))
    cold = _guides(plan)
    env = render.make_env()
    folder = cache_home / "templates"
    shutil.rmtree(folder)
    folder.write_text("a file where the cache folder was", encoding="utf-8")
    context = build_context(plan)
    warmless = (env.get_template(render.MARKDOWN_TEMPLATE).render(context),
                env.get_template(render.HTML_TEMPLATE).render(context))
    assert warmless == cold


def test_template_cache_off_writes_nothing(protocol, cache_home, monkeypatch) -> None:
    monkeypatch.setenv("RTR_NO_CACHE", "1")
    plan = make_plan(protocol, "fibula", 1, date(2027, 1, 4))
    _guides(plan)
    assert not cache_home.exists()
