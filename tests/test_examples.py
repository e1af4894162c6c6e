"""The committed examples are exactly what the current code generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from planner.outputs import OUTPUT_NAMES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", EXAMPLES / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_worked_examples_are_committed():
    cases = _regenerate_module().load_cases()
    assert len(cases) >= 3
    for case in cases:
        for name in OUTPUT_NAMES:
            assert (EXAMPLES / case["folder"] / name).is_file(), (case["folder"], name)


@pytest.mark.parametrize("name", OUTPUT_NAMES)
def test_regenerating_reproduces_the_committed_files(tmp_path, monkeypatch, name):
    # A stamp in the environment must not leak into the examples.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folders = _regenerate_module().regenerate(tmp_path)
    for folder in folders:
        fresh = (folder / name).read_bytes()
        committed = (EXAMPLES / folder.name / name).read_bytes()
        assert fresh == committed, (
            f"examples/{folder.name}/{name} is stale: run 'python examples/regenerate.py'"
        )
