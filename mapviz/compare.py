"""One scenario under several kernel models, step by step: the data behind ``mapviz compare``.

:func:`compare_models` runs the scenario once per model and lines the steps
up by scenario line, so a front end can show a step-by-model table (the
command line's text table, ``--json``, and later the HTML view with one
shared step control).  Nothing here draws anything: the HTML renderer reads
:attr:`ModelComparison.simulations` for each model's frames and
:attr:`ModelComparison.rows` for the table.

Under a model other than the scenario's own, a command that cannot even be
issued because an earlier one failed there (an ``mread`` after a refused
``mmap``) is a ``skipped`` step, not an error (``Simulation`` replays).

``--json`` (:func:`comparison_json`) is stable, ``"schema": 1``::

    {
      "schema": 1,
      "scenario": "hole-sigbus",          # name
      "title": "...",
      "kernel": "map-direct-v5",          # the scenario's own %kernel
      "fs": {"type": "xfs", "blocksize": 4096, "size": 67108864,
             "dax": true, "reflink": true},
      "models": ["mainline", "map-direct-v5"],   # column order
      "steps": [
        {"line": 22,                       # scenario line: the step's key
         "command": "mwrite 64k 4k",
         "process": "app",
         "expect": "SIGBUS",               # the scenario's %expect, or null
         "differs": true,                  # results not all the same
         "results": {
           "mainline":      {"result": "ok",     "why": null},
           "map-direct-v5": {"result": "SIGBUS", "why": "..."}}}
      ],
      "differing": 1                       # how many steps differ
    }

``result`` is ``ok``, an errno name, ``SIGBUS``/``SIGSEGV`` or ``skipped``;
``why`` is null exactly when ``result`` is ``ok``.  Steps are the
scenario's steps in order: xfs_io commands, ``%swapon``/``%swapoff``, and
the directives that do something in a model (``%sleep``, ``%extent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mapviz.core.simulation import Simulation
from mapviz.core.trace import Step
from mapviz.errors import MapvizError
from mapviz.scenario.syntax import KERNEL_MODELS, Command, Expect, Scenario

SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Cell:
    """How one model ended one step."""

    result: str
    why: str | None

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "why": self.why}


@dataclass(frozen=True, slots=True)
class Row:
    """One scenario step under every model: the table's row."""

    line: int
    command: str
    process: str
    expect: str | None
    cells: Mapping[str, Cell]
    """By model name, in the comparison's column order."""

    @property
    def differs(self) -> bool:
        """The models do not all end this step the same way."""
        return len({cell.result for cell in self.cells.values()}) > 1

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "command": self.command,
            "process": self.process,
            "expect": self.expect,
            "differs": self.differs,
            "results": {model: cell.to_json() for model, cell in self.cells.items()},
        }


@dataclass(frozen=True, slots=True)
class ModelComparison:
    """A scenario run under several models, with its steps lined up."""

    scenario: Scenario
    models: tuple[str, ...]
    simulations: Mapping[str, Simulation]
    rows: tuple[Row, ...]

    @property
    def differing(self) -> tuple[Row, ...]:
        """The rows where the models differ."""
        return tuple(row for row in self.rows if row.differs)

    def step(self, model: str, line: int) -> Step | None:
        """The step ``model`` made for scenario ``line`` (for a view's shared step control)."""
        return next((s for s in self.simulations[model].steps if s.line == line), None)


def parse_models(names: Sequence[str] | None) -> tuple[str, ...]:
    """The models to compare: ``names`` without repeats, or every model when none are given.

    Raises
    ------
    MapvizError
        An unknown model name.

    Examples
    --------
    >>> parse_models(["map-direct-v5", "mainline", "map-direct-v5"])
    ('map-direct-v5', 'mainline')
    >>> parse_models(None) == KERNEL_MODELS
    True
    """
    if not names:
        return KERNEL_MODELS
    unknown = [name for name in names if name not in KERNEL_MODELS]
    if unknown:
        raise MapvizError(
            f'mapviz compare: unknown kernel model "{unknown[0]}" '
            f"(models: {', '.join(KERNEL_MODELS)})"
        )
    return tuple(dict.fromkeys(names))


def compare_models(
    scenario: Scenario, models: Iterable[str] | None = None, *, record_files: bool = True
) -> ModelComparison:
    """Run ``scenario`` under each model (default: all four) and line the steps up.

    ``record_files`` keeps every file's view after each step, as a
    side-by-side view needs; the table alone does not.

    Raises
    ------
    ScenarioError
        The scenario is wrong as a script under its own model (replays
        under other models turn such steps into ``skipped``).
    """
    chosen = parse_models(list(models) if models is not None else None)
    simulations = {
        model: Simulation.from_scenario(scenario, kernel=model, record_files=record_files)
        for model in chosen
    }
    rows = line_up(simulations, _expectations(scenario))
    return ModelComparison(scenario, chosen, simulations, rows)


def line_up(
    simulations: Mapping[str, Simulation], expects: Mapping[int, str] | None = None
) -> tuple[Row, ...]:
    """The steps of runs of one script under several models, as rows keyed by script line.

    ``simulations`` maps a model name to its run (columns in that order);
    ``expects`` gives the ``%expect`` of a line.  The notebook widget uses
    this to mark the steps a model switch changed.

    Examples
    --------
    >>> from mapviz.scenario import load_scenario
    >>> scenario = load_scenario("hole-sigbus")
    >>> runs = {model: Simulation.from_scenario(scenario, kernel=model)
    ...         for model in ("mainline", "map-direct-v5")}
    >>> [(row.command, row.cells["mainline"].result, row.cells["map-direct-v5"].result)
    ...  for row in line_up(runs) if row.differs]
    [('mwrite 64k 4k', 'ok', 'SIGBUS')]
    """
    expects = expects or {}
    lines: dict[int, Step] = {}
    for sim in simulations.values():
        for step in sim.steps:
            lines.setdefault(step.line, step)
    by_line = {model: {s.line: s for s in sim.steps} for model, sim in simulations.items()}
    rows = []
    for line in sorted(lines):
        first = lines[line]
        cells = {model: _cell(by_line[model].get(line)) for model in simulations}
        rows.append(Row(line, first.command, first.process, expects.get(line), cells))
    return tuple(rows)


def comparison_json(comparison: ModelComparison) -> dict[str, Any]:
    """The comparison as the documented ``--json`` structure (module docstring)."""
    scenario = comparison.scenario
    fs = scenario.fs
    return {
        "schema": SCHEMA,
        "scenario": scenario.name,
        "title": scenario.title,
        "kernel": scenario.kernel,
        "fs": fs.to_json(),
        "models": list(comparison.models),
        "steps": [row.to_json() for row in comparison.rows],
        "differing": len(comparison.differing),
    }


def _expectations(scenario: Scenario) -> dict[int, str]:
    """Scenario line of each step -> the ``%expect`` written after it."""
    found: dict[int, str] = {}
    last: int | None = None
    for item in scenario.items:
        if isinstance(item, Command):
            last = item.line
        elif isinstance(item, Expect) and last is not None:
            found[last] = "EOPNOTSUPP" if item.result == "ENOTSUP" else item.result
    return found


def _cell(step: Step | None) -> Cell:
    if step is None:  # cannot happen: every model makes a step per scenario step
        return Cell("-", "this model made no step for this line")
    return Cell(step.result, step.why)
