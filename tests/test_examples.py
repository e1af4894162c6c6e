"""The committed examples are exactly what the current code generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from planner.files.folder import OUTPUT_NAMES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", EXAMPLES / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> list[Path]:
    """The examples regenerated once for all the outputs, into a temporary folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(tmp_path_factory.mktemp("home")))  # as conftest's _isolate_home
        # A stamp in the environment must not leak into the examples.
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        return _regenerate_module().regenerate(tmp_path_factory.mktemp("examples"))


def test_three_worked_examples_are_committed():
    cases = _regenerate_module().load_cases()
    assert len(cases) >= 3
    for case in cases:
        for name in OUTPUT_NAMES:
            assert (EXAMPLES / case["folder"] / name).is_file(), (case["folder"], name)


@pytest.mark.parametrize("name", OUTPUT_NAMES)
def test_regenerating_reproduces_the_committed_files(regenerated, name):
    assert len(regenerated) >= 3
    for folder in regenerated:
        fresh = (folder / name).read_bytes()
        committed = (EXAMPLES / folder.name / name).read_bytes()
        assert fresh == committed, (
            f"examples/{folder.name}/{name} is stale: run 'python examples/regenerate.py'"
        )
