"""The playground's Python: scenario text in, the page's data out, as JSON.

This module runs in Pyodide inside a Web Worker (``js/worker.js`` calls
:func:`run` and :func:`compare`).  It imports the simulator, the view and the
renderer's pure half (:mod:`mapviz.render.page_data`), never Bokeh or numpy:
neither exists there.  Everything it returns is a JSON string, so the worker
hands the page plain data.

>>> import json
>>> answer = json.loads(run("%title t\\nopen -f data\\npwrite 0 4k\\n", "mainline", "light"))
>>> answer["ok"], answer["view"]["frames"], answer["view"]["kernel"]
(True, 3, 'mainline')
>>> bad = json.loads(run("open -f data\\npwrite 0 4q\\n", "", "light"))
>>> bad["ok"], bad["error"]["line"], bad["error"]["text"].startswith("scenario:2: ")
(False, 2, True)
>>> json.loads(run("open -f data\\nmwrite 0 4k\\n", "", "light"))["ok"]  # skipped, as xfs_io
True
>>> json.loads(run("open -f data\\nmwrite 0 4k\\n", "", "light", typed=2))["error"]["line"]
2
"""

from __future__ import annotations

import json
from typing import Any

from mapviz.compare import compare_models, comparison_json
from mapviz.errors import MapvizError, ScenarioError
from mapviz.render.page_data import view_data
from mapviz.render.theme import theme_named
from mapviz.scenario import KERNEL_MODELS, parse_line, parse_scenario
from mapviz.view.storyboard import Storyboard

SOURCE = "scenario"
"""What the playground's errors call the text being edited: ``scenario:12: message``."""


def run(text: str, kernel: str, theme: str, name: str = SOURCE, typed: int = 0) -> str:
    """Simulate ``text`` under ``kernel`` ("" for the scenario's own ``%kernel``), ``name`` it
    in the header (a bundled scenario's name, say), and return
    ``{"ok": true, "view": page_data.view_data(...), "failures": [...]}``, or ``{"ok": false,
    "error": {"line", "message", "text"}}`` for the first line that is wrong (line 0: the
    scenario as a whole).

    ``typed``: the line of a command just typed into the command box (its last line), which
    must be possible, as in a notebook's command box (``Session``): one xfs_io would not
    issue is an error on that line, not a ``skipped`` step.
    """
    try:
        lines = text.split("\n")
        before = "\n".join(lines[: typed - 1]) + "\n" if typed else text
        scenario = parse_scenario(before, source=SOURCE, name=SOURCE)
        model = _model(kernel or scenario.kernel)
        board = Storyboard.from_scenario(scenario, model)
        if typed:
            item = parse_line(lines[typed - 1], line=typed, fs=scenario.fs, source=SOURCE)
            if item is not None:
                board.sim.replay = False
                board.sim.strict = True
                board.apply(item)
        view = board.view()
        failures = [
            f"{SOURCE}:{step.line}: expected {step.expect}, got {step.result} (`{step.command}`)"
            for step in board.sim.failures
        ]
        data = view_data(view, theme_named(theme), name=name)
    except MapvizError as error:
        return json.dumps({"ok": False, "error": _error(error)})
    return json.dumps({"ok": True, "view": data, "failures": failures, "models": KERNEL_MODELS})


def compare(text: str) -> str:
    """``mapviz compare --json`` of ``text`` under every model (the playground's grid), or
    the same error document as :func:`run`."""
    try:
        scenario = parse_scenario(text, source=SOURCE, name=SOURCE)
        document = comparison_json(compare_models(scenario, record_files=False))
    except MapvizError as error:
        return json.dumps({"ok": False, "error": _error(error)})
    return json.dumps({"ok": True, "comparison": document})


def _model(kernel: str) -> str:
    if kernel not in KERNEL_MODELS:
        raise ScenarioError(
            SOURCE, 0, f'unknown kernel model "{kernel}" (models: {", ".join(KERNEL_MODELS)})'
        )
    return kernel


def _error(error: MapvizError) -> dict[str, Any]:
    if isinstance(error, ScenarioError):
        return {"line": error.line, "message": error.message, "text": str(error)}
    return {"line": 0, "message": str(error), "text": str(error)}
