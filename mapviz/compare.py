"""One scenario under several kernel models, step by step: the data behind ``mapviz compare``.

:func:`compare_models` runs the scenario once per model and lines the steps
up by scenario line, so a front end can show a step-by-model table (the
command line's text table, ``--json``, and the HTML page of
:mod:`mapviz.render.compare_page`, which takes the ``--json`` document).
Nothing here draws anything.  Each model runs the scenario with its ``%note``
lines as they read under that model (SCENARIO.md, "Scoped notes"), and each
cell tells the step's whole story there (:func:`story`).

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
           "mainline":      {"result": "ok",     "why": null,
                             "story": "ok · blocks allocated on fault",
                             "note": "(written for map-direct-v5) A store into ..."},
           "map-direct-v5": {"result": "SIGBUS", "why": "...",
                             "story": "SIGBUS", "note": "A store into ..."}}}
      ],
      "differing": 1                       # how many steps differ
    }

``result`` is ``ok``, an errno name, ``SIGBUS``/``SIGSEGV`` or ``skipped``;
``why`` is null exactly when ``result`` is ``ok``.  ``story`` (added in
this copy, schema still 1: a new key only) is the whole step under that model
in a few words (:func:`story`): the result, ``after N s`` when the simulated
clock moved during the step, then what else happened (``mapping revoked``,
``block map sealed`` ...), e.g. ``ok after 45 s · mapping revoked``.
``note`` (also added) is the ``%note`` narration shown with the step under
that model, or null: scoped as SCENARIO.md's ``%note`` says
(:func:`mapviz.scenario.directives.note_under`).  Steps are the scenario's
steps in order: xfs_io commands, ``%swapon``/``%swapoff``, and the directives
that do something in a model (``%sleep``, ``%extent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mapviz.core.events import Event, EventKind
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
    story: str = ""
    """The step in a few words (:func:`story`); ``result`` alone if not told."""
    note: str | None = None
    """The ``%note`` narration shown with the step under this model."""

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "why": self.why,
            "story": self.story or self.result,
            "note": self.note,
        }


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
    # Simulation.from_scenario gives each model the notes as they read under it (%note).
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
        cells = {
            model: _cell(by_line[model].get(line), simulations[model].steps)
            for model in simulations
        }
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


def _cell(step: Step | None, steps: Sequence[Step]) -> Cell:
    if step is None:  # cannot happen: every model makes a step per scenario step
        return Cell("-", "this model made no step for this line")
    before = steps[step.index - 1] if step.index > 0 else None
    return Cell(step.result, step.why, story(step, before), step.note)


# What a step did besides its result, in a learner's words: the events that make one
# model's run of a step differ from another's.  Faults, page-cache traffic and the
# block changes every model makes alike are the picture's to show, not the table's.
_TOLD = {
    EventKind.SEAL: "block map sealed",
    EventKind.UNSEAL: "seal lifted",
    EventKind.LEASE: "lease taken",
    EventKind.LEASE_BREAK: "lease broken",
    EventKind.LEASE_RELEASE: "lease released",
    EventKind.REVOKE: "mapping revoked",
    EventKind.METADATA_SYNC: "metadata synced",
    EventKind.SWAPON: "block map pinned for swap",
    EventKind.SWAPOFF: "swap pin lifted",
    EventKind.COW: "copied on write",
}


def story(step: Step, before: Step | None = None) -> str:
    """What ``step`` did, in a few words: its result, how long it waited, what else happened.

    ``before`` is the step run just before it (same simulation), whose
    simulated clock tells whether this one waited.  The words come from the
    step's events (:data:`_TOLD`, plus two that depend on their company: a
    fault that allocated blocks, and page-table entries torn down by
    something other than ``munmap``, a fault or a revoke), in the order they
    happened; a lease break that ended in a revoke is told as the revoke.

    Examples
    --------
    >>> from mapviz.core.simulation import Simulation
    >>> from mapviz.scenario import load_scenario
    >>> run = Simulation.from_scenario(load_scenario("lease-break"))
    >>> punch = next(s for s in run.steps if s.command == "fpunch 16k 4k")
    >>> story(punch, run.steps[punch.index - 1])
    'ok after 45 s · mapping revoked'
    """
    kinds = {event.kind for event in step.events}
    told: list[str] = []
    for event in step.events:
        words = _told(event, kinds)
        if words is not None and words not in told:
            told.append(words)
    head = step.result
    waited = step.clock - (before.clock if before is not None else 0.0)
    if waited > 0 and step.name != "sleep":  # %sleep's own text says how long
        head += f" after {waited:g} s"
    return " · ".join([head, *told])


def _told(event: Event, kinds: set[EventKind]) -> str | None:
    kind = event.kind
    if kind is EventKind.LEASE_BREAK and EventKind.REVOKE in kinds:
        return None  # "mapping revoked" says the break ran out
    if kind is EventKind.ALLOC and EventKind.FAULT in kinds:
        return "blocks allocated on fault"
    if kind is EventKind.ZAP_PAGE and not kinds & {
        EventKind.FAULT,
        EventKind.MUNMAP,
        EventKind.REVOKE,
    }:
        owner = event.virtual.process if event.virtual is not None else "a process"
        return f"{owner}'s pages unmapped"
    return _TOLD.get(kind)
