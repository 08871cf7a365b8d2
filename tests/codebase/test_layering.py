"""The core, the scenario language and the view model import no GUI stack.

Like bokeh's own tests/codebase/test_no_tornado_common.py: import the layer
in a fresh interpreter and look at what got imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("bokeh", "ipywidgets", "traitlets", "IPython", "jupyter_bokeh", "tornado")
LAYERS = ["mapviz.core", "mapviz.scenario", "mapviz.report", "mapviz.view", "mapviz.cli"]


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def _imported_by(module: str) -> set[str]:
    """Modules importing ``module`` adds to a bare interpreter (site hooks excluded)."""
    baseline = _modules_after("pass")
    return _modules_after(f"import importlib; importlib.import_module({module!r})") - baseline


@pytest.mark.parametrize("module", LAYERS)
def test_layer_imports_no_gui_stack(module: str) -> None:
    modules = _imported_by(module)
    leaked = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN)
    assert not leaked, f"{module} imports {leaked}"


def test_core_imports_only_stdlib_and_sortedcontainers() -> None:
    modules = _imported_by("mapviz.core")
    third_party = {
        m.split(".")[0] for m in modules
        if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith(("mapviz", "_"))
    }
    assert third_party <= {"sortedcontainers"}, third_party


def test_core_does_not_reach_into_later_layers() -> None:
    modules = _imported_by("mapviz.core")
    later = sorted(m for m in modules if m.startswith(("mapviz.view", "mapviz.render",
                                                       "mapviz.frontends", "mapviz.cli")))
    assert not later, later
