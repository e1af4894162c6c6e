"""rtr-planner: return-to-run plans after a bone stress injury.

The Python API is the command line's own seam (see `planner.app`)::

    from planner import PlanRequest, plan_folder
    result = plan_folder(PlanRequest(site="metatarsal", grade=2, start=date(2027, 1, 4)), out)

The names below are imported on first use, not with the package, so ``rtr --help`` and the
short commands do not pay for the engine, the calendar and the guide.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.app import Result, plan_folder
    from planner.calendar.options import CalendarOptions
    from planner.core.engine import build_plan
    from planner.core.models import Plan, PlanRequest
    from planner.core.protocol import load_protocol
    from planner.errors import PlannerError
    from planner.files.plan_json import read_request

_EXPORTS = {
    "plan_folder": "planner.app",
    "Result": "planner.app",
    "PlanRequest": "planner.core.models",
    "Plan": "planner.core.models",
    "CalendarOptions": "planner.calendar.options",
    "build_plan": "planner.core.engine",
    "load_protocol": "planner.core.protocol",
    "read_request": "planner.files.plan_json",
    "PlannerError": "planner.errors",
}

__all__ = [
    "CalendarOptions", "Plan", "PlanRequest", "PlannerError", "Result", "__version__",
    "build_plan", "load_protocol", "plan_folder", "read_request",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name == "__version__":
        from importlib.metadata import version

        return version("rtr-planner")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, for completion and `help(planner)`."""
    return sorted(__all__)
