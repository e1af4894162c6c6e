"""The cache is only ever a speed-up, and nothing read from it can run code or change a plan.

- the protocol cache holds JSON data that is validated again on every load: it returns what a
  fresh load returns, follows every edit of the file, survives damage, and a forged entry that
  carries the right key but a timeline the validator refuses leaves the plan as it was;
- nothing in the cache is ever unpickled: a pickle planted in every cache file runs nothing;
- compiled templates (code by nature) are read only from the current user's own ordinary files
  in folders that nobody else can write to: planted in a folder that is group-writable, owned
  by another user, reached through a symbolic link, or as a FIFO, a forged entry is never run;
- a whole `rtr plan` run over a cache planted that way writes the same six files as a run with
  caching switched off.
"""

from __future__ import annotations

import json
import marshal
import os
import pickle
import shutil
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic

from .helpers import make_plan
from planner.core.cache import PACKAGE_ROOT, package_stamp
from planner.core.protocol import default_protocol_path, load_protocol
from planner.errors import ProtocolError
from planner.guide import render
from planner.guide.context import build_context

ROOT_ONLY = "giving a folder to another user needs root (CI runs as root)"


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A private, empty cache folder for this test (the rtr-planner folder inside it)."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("RTR_NO_CACHE", raising=False)
    return home / "rtr-planner"


class _Exploit:
    """Unpickling this creates a file: proof that a planted pickle ran."""

    def __init__(self, target: Path) -> None:
        self.target = str(target)

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def _forged_code(target: Path) -> bytes:
    """Marshalled code that creates `target` when Jinja runs it as a compiled template."""
    return marshal.dumps(compile(f"import pathlib\npathlib.Path({str(target)!r}).touch()\n",
                                 "<forged>", "exec"))


def _copy_protocol(tmp_path: Path) -> Path:
    path = tmp_path / "protocol.toml"
    path.write_bytes(default_protocol_path().read_bytes())
    return path


def _protocol_entry(cache_home: Path) -> Path:
    (entry,) = (cache_home / "protocol").iterdir()
    return entry


# ---- the protocol cache: data, validated on every load --------------------------------------


def test_cached_protocol_equals_a_fresh_load_and_is_plain_json(cache_home, monkeypatch) -> None:
    cold = load_protocol()
    entry = _protocol_entry(cache_home)
    stored = json.loads(entry.read_bytes())
    assert set(stored) == {"key", "protocol"} and stored["protocol"]["sites"]
    assert load_protocol() == cold
    monkeypatch.setenv("RTR_NO_CACHE", "1")
    assert load_protocol() == cold


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


@pytest.mark.parametrize("damage", [b"", b"{", b"[1, 2]", b'{"key": 1}', b"\xff\xfe",
                                    b"[" * 100_000, b'{"key": "x", "protocol": {}}'])
def test_damaged_protocol_entry_is_ignored_and_replaced(cache_home, damage) -> None:
    fresh = load_protocol()
    entry = _protocol_entry(cache_home)
    good = entry.read_bytes()
    entry.write_bytes(damage)
    assert load_protocol() == fresh
    assert entry.read_bytes() == good


def _forge_first_run_week(entry: Path, week: int, first_run_range: list[int] | None = None) -> None:
    """Rewrite the cached metatarsal grade 2 so the first run comes in `week`, keeping the key."""
    stored = json.loads(entry.read_bytes())
    (site,) = [s for s in stored["protocol"]["sites"] if s["id"] == "metatarsal"]
    site["protection"][1]["first_run_weeks"] = week
    if first_run_range is not None:
        site["protection"][1]["first_run_range"] = first_run_range
    entry.write_text(json.dumps(stored), encoding="utf-8")


def test_forged_protocol_entry_with_the_right_key_cannot_change_a_plan(cache_home) -> None:
    """The attack the trust review reproduced: metatarsal grade 2 running in week 2 instead of
    week 5, outside the published 3-6 weeks. The entry's key matches, so only validating the
    cached data again stops it."""
    fresh = load_protocol()
    before = make_plan(fresh, "metatarsal", 2, date(2027, 1, 4))
    _forge_first_run_week(_protocol_entry(cache_home), 2)
    loaded = load_protocol()
    assert loaded == fresh
    assert make_plan(loaded, "metatarsal", 2, date(2027, 1, 4)).first_run == before.first_run


# ---- nothing is ever unpickled ----------------------------------------------------------------


def _compiled_entries(cache_home: Path) -> list[Path]:
    entries = sorted((cache_home / "templates").glob("*.jinja"))
    assert len(entries) >= 4  # both guides and the partials they include
    return entries


def _guides(plan, extra_dirs=()) -> tuple[str, str]:
    env = render.make_env(extra_dirs)  # a new environment: no templates compiled in memory
    context = build_context(plan)
    return (env.get_template(render.MARKDOWN_TEMPLATE).render(context),
            env.get_template(render.HTML_TEMPLATE).render(context))


def test_pickle_planted_in_every_cache_file_runs_nothing(protocol, cache_home, tmp_path) -> None:
    plan = make_plan(protocol, "tibia-posteromedial", 3, date(2027, 1, 4))
    fresh, cold = load_protocol(), _guides(plan)
    target = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(target))
    planted = [_protocol_entry(cache_home), *_compiled_entries(cache_home)]
    for entry in planted:
        # Jinja's own format: its magic, then a pickle (which its cache would load).
        entry.write_bytes(bc_magic + payload if entry.suffix == ".jinja" else payload)
    assert load_protocol() == fresh
    assert _guides(plan) == cold
    assert not target.exists()


# ---- compiled templates: only the user's own files in private folders -----------------------


def _forge_templates(cache_home: Path, target: Path) -> None:
    """Replace every compiled template's code with code that creates `target`, keeping each
    entry's valid header, so only the folder and file checks stand in the way."""
    for entry in _compiled_entries(cache_home):
        format_line, magic, checksum, _ = entry.read_bytes().split(b"\n", 3)
        entry.write_bytes(b"\n".join([format_line, magic, checksum, _forged_code(target)]))


def _group_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWGRP | stat.S_IWOTH)


def _give_away(path: Path) -> None:
    os.chown(path, 65534, 65534)  # "nobody"


def _templates_moved_behind_a_link(home: Path, spare: Path) -> None:
    (home / "templates").rename(spare / "planted")
    (home / "templates").symlink_to(spare / "planted", target_is_directory=True)


def _entries_as_links_or_fifos(home: Path, spare: Path) -> None:
    for i, entry in enumerate(_compiled_entries(home)):
        moved = spare / f"forged-{i}"
        entry.rename(moved)
        if i % 2:
            os.mkfifo(entry)  # opened for reading, a FIFO would wait for a writer forever
        else:
            entry.symlink_to(moved)


# Each attack gets the rtr-planner cache folder and a spare folder outside it.
FOLDER_ATTACKS = {
    "templates folder writable by group and others":
        lambda home, spare: _group_writable(home / "templates"),
    "rtr-planner folder writable by group and others": lambda home, spare: _group_writable(home),
    "entries writable by group and others":
        lambda home, spare: [_group_writable(e) for e in (home / "templates").iterdir()],
    "templates folder owned by another user":
        lambda home, spare: _give_away(home / "templates"),
    "rtr-planner folder owned by another user": lambda home, spare: _give_away(home),
    "entries owned by another user":
        lambda home, spare: [_give_away(e) for e in (home / "templates").iterdir()],
    "templates folder that is a symlink": _templates_moved_behind_a_link,
    "entries that are links or fifos": _entries_as_links_or_fifos,
}


@pytest.mark.parametrize("attack", FOLDER_ATTACKS)
def test_forged_template_in_an_untrusted_place_never_runs(protocol, cache_home, tmp_path,
                                                          attack) -> None:
    if "another user" in attack and os.geteuid() != 0:
        pytest.skip(ROOT_ONLY)
    plan = make_plan(protocol, "fibula", 2, date(2027, 1, 4))
    cold = _guides(plan)
    target = tmp_path / "pwned"
    _forge_templates(cache_home, target)
    spare = tmp_path / "spare"
    spare.mkdir()
    FOLDER_ATTACKS[attack](cache_home, spare)
    assert _guides(plan) == cold
    assert not target.exists()


def test_cache_folders_are_private_and_entries_are_the_users_own(protocol, cache_home) -> None:
    load_protocol()
    _guides(make_plan(protocol, "fibula", 1, date(2027, 1, 4)))
    for folder in (cache_home, cache_home / "protocol", cache_home / "templates"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for entry in [_protocol_entry(cache_home), *_compiled_entries(cache_home)]:
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert entry.stat().st_uid == os.geteuid()


def test_a_planted_cache_changes_no_byte_of_a_whole_run(tmp_path) -> None:
    """`rtr plan`, run as the user runs it, over a cache where every file holds a pickle
    exploit, the protocol entry a forged timeline and every template a forged code object in a
    group-writable folder: the same six files as with caching off, and nothing ran."""
    home = tmp_path / "cache"
    args = [sys.executable, "-m", "planner", "plan", "--site", "metatarsal", "--grade", "2",
            "--start", "2027-01-04", "--name", "Ana"]
    env = {**os.environ, "XDG_CACHE_HOME": str(home), "SOURCE_DATE_EPOCH": "1800000000"}
    env.pop("RTR_NO_CACHE", None)
    subprocess.run([*args, "--out", str(tmp_path / "warm-up")], env=env, check=True,
                   capture_output=True)
    target = tmp_path / "pwned"
    _forge_first_run_week(_protocol_entry(home / "rtr-planner"), 2)
    _forge_templates(home / "rtr-planner", target)
    _group_writable(home / "rtr-planner" / "templates")
    # Both runs write to the same, new folder (a plan's identity depends on its folder).
    subprocess.run([*args, "--out", str(tmp_path / "plan")], env=env, check=True,
                   capture_output=True)
    (tmp_path / "plan").rename(tmp_path / "planted")
    subprocess.run([*args, "--out", str(tmp_path / "plan")], env={**env, "RTR_NO_CACHE": "1"},
                   check=True, capture_output=True)
    (tmp_path / "plan").rename(tmp_path / "uncached")
    names = sorted(p.name for p in (tmp_path / "uncached").iterdir())
    assert len(names) == 6 and sorted(p.name for p in (tmp_path / "planted").iterdir()) == names
    for name in names:
        assert (tmp_path / "planted" / name).read_bytes() == \
            (tmp_path / "uncached" / name).read_bytes(), name
    assert not target.exists()


# ---- a speed-up and nothing else --------------------------------------------------------------


def test_unusable_cache_folder_costs_only_speed(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("RTR_NO_CACHE", raising=False)
    assert load_protocol().sites


def test_no_cache_switch_writes_nothing(protocol, cache_home, monkeypatch) -> None:
    monkeypatch.setenv("RTR_NO_CACHE", "1")
    load_protocol()
    _guides(make_plan(protocol, "fibula", 1, date(2027, 1, 4)))
    assert not cache_home.exists()


PACKAGE_MODULES = sorted(PACKAGE_ROOT.rglob("*.py"))


@pytest.mark.parametrize("module", PACKAGE_MODULES,
                         ids=[str(m.relative_to(PACKAGE_ROOT)) for m in PACKAGE_MODULES])
def test_editing_any_module_invalidates_compiled_templates(module) -> None:
    """Rendering code may move between modules, so every module of the package is part of the
    compiled templates' key. (The protocol needs no such key: it is validated on every load.)"""
    settings = render._env_settings()
    st = os.stat(module)
    os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    try:
        assert render._env_settings() != settings
    finally:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_package_stamp_covers_every_module_and_no_cache_files() -> None:
    names = [name for name, _, _ in package_stamp()]
    assert package_stamp() == package_stamp() and len(set(names)) == len(PACKAGE_MODULES)
    assert {"app.py", os.path.join("core", "protocol.py"), os.path.join("guide", "filters.py"),
            os.path.join("calendar", "ics.py")} <= set(names)
    assert not any("__pycache__" in name for name in names)


def test_warm_template_cache_renders_identical_guides(protocol, cache_home) -> None:
    plan = make_plan(protocol, "tibia-posteromedial", 3, date(2027, 1, 4))
    cold = _guides(plan)
    entries = _compiled_entries(cache_home)
    assert all(e.read_bytes().startswith(b"rtr-planner compiled template") for e in entries)
    assert _guides(plan) == cold


def test_damaged_template_cache_is_recompiled(protocol, cache_home) -> None:
    plan = make_plan(protocol, "fibula", 2, date(2027, 1, 4))
    cold = _guides(plan)
    for entry in _compiled_entries(cache_home):
        entry.write_bytes(entry.read_bytes()[:-40])
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
