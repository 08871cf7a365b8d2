"""What a live view is showing: a script, a kernel model, and the storyboard they make.

A session starts from a scenario (or from nothing, for a live command box),
takes typed lines one at a time, and can replay everything under another
kernel model.  It imports no GUI stack: the notebook widget is a thin
adapter over it, and tests drive it directly.

>>> from mapviz.scenario import load_scenario
>>> session = Session(load_scenario("hole-sigbus"))
>>> session.run("munmap").result
'ok'
>>> switch = session.switch("mainline")
>>> [(row.command, row.cells["map-direct-v5"].result, row.cells["mainline"].result)
...  for row in switch.rows if row.differs]
[('mwrite 64k 4k', 'SIGBUS', 'ok')]
>>> switch.differing
(8,)
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.compare import Row, line_up
from mapviz.core.simulation import Simulation, extent_runs
from mapviz.core.trace import Step
from mapviz.errors import ScenarioError
from mapviz.scenario import DEFAULT_KERNEL, KERNEL_MODELS, FsConfig, Note, Scenario, parse_line
from mapviz.scenario.syntax import Item
from mapviz.view import Storyboard

TYPED = "<typed>"
"""The source name of lines typed live (error messages read ``<typed>:LINE: ...``)."""
TYPED_NOTE = "Typed live, after the scenario's own steps."


@dataclass(frozen=True, slots=True)
class Switch:
    """What replaying under another kernel model changed, step by step."""

    before: str
    after: str
    rows: tuple[Row, ...]
    """One row per step, with a cell for each model (see :mod:`mapviz.compare`)."""

    @property
    def differing(self) -> tuple[int, ...]:
        """The step numbers (1-based, as the views count them) whose result changed."""
        return tuple(number for number, row in enumerate(self.rows, start=1) if row.differs)


class Session:
    """A scenario plus the lines typed after it, run under one kernel model.

    Parameters
    ----------
    scenario
        Where to start; its items are replayed whenever the model changes.
    kernel
        The kernel model to run under (default: the scenario's own).

    Raises
    ------
    ScenarioError
        The scenario cannot run (checked once, here).
    MapvizError
        An unknown kernel model.
    """

    def __init__(self, scenario: Scenario, kernel: str | None = None) -> None:
        self.scenario = scenario
        self.kernel = _known(kernel or scenario.kernel)
        self.typed: list[Item] = []
        self._lead: Note | None = None
        # Typed lines are numbered on after the scenario's text, so every step
        # keeps a line of its own (the comparison lines steps up by line).
        self.next_line = scenario.text.count("\n") + 2 if scenario.text else 1
        self.typed_from = self.next_line  # steps from this line on were typed
        self.board = self._build(self.kernel, replay=self.kernel != scenario.kernel)

    @classmethod
    def live(cls, kernel: str = DEFAULT_KERNEL, fs: FsConfig | None = None) -> Session:
        """An empty session: nothing but a filesystem, waiting for typed commands."""
        fs = fs or FsConfig()
        title = f"Live: type xfs_io commands ({fs.describe()})"
        return cls(Scenario(name="live", source=TYPED, text="", title=title, kernel=kernel, fs=fs))

    @property
    def steps(self) -> list[Step]:
        return self.board.steps

    @property
    def expectations(self) -> dict[int, str]:
        """Each ``%expect`` result, by the line of the step it is about."""
        return {step.line: step.expect for step in self.board.sim.steps if step.expect is not None}

    @property
    def items(self) -> tuple[Item, ...]:
        """Everything applied so far: the scenario's items, then the typed ones."""
        return (*self.scenario.items, *self.typed)

    def run(self, text: str) -> Step | None:
        """Parse and apply one typed line; the step it made (None for a directive).

        Raises
        ------
        ScenarioError
            The line is malformed or cannot be given now; nothing changed.
        """
        item = parse_line(text, line=self.next_line, fs=self.scenario.fs, source=TYPED)
        if item is None:
            return None
        # The views carry a scenario's last %note on to the steps after it; a
        # typed command must not inherit words written for another step, so the
        # first one gets a note of its own.  (If that command is refused, the
        # note waits for the next one, as a %note does.)
        if self._lead is None and self._has_notes():
            self._lead = Note(item.line, TYPED_NOTE)
            self.board.apply(self._lead)
        try:
            step = self.board.apply(item)
        except ScenarioError as error:
            raise error.at(TYPED) from None  # the line was typed, not read from the file
        self.next_line += 1
        if self._lead is not None and self._lead not in self.typed:
            self.typed.append(self._lead)
        self.typed.append(item)
        return step

    def _has_notes(self) -> bool:
        return any(isinstance(item, Note) for item in self.scenario.items)

    def switch(self, kernel: str) -> Switch:
        """Replay every item under ``kernel`` and say which steps changed.

        Under the new model a command that cannot even be issued because an
        earlier one failed there becomes a ``skipped`` step, so the steps stay
        lined up with the old run.
        """
        kernel = _known(kernel)
        before, old = self.kernel, self.board
        board = self._build(kernel, replay=True)
        self.kernel, self.board = kernel, board
        if before == kernel:
            return Switch(before, kernel, line_up({kernel: board.sim}))
        return Switch(before, kernel, line_up({before: old.sim, kernel: board.sim}))

    def _build(self, kernel: str, *, replay: bool) -> Storyboard:
        sim = Simulation(
            self.scenario.fs,
            kernel,
            source=self.scenario.source,
            replay=replay,
            record_files=False,  # the views draw scenes; see Storyboard.from_scenario
        )
        board = Storyboard(sim, self.scenario.title)
        # The scenario's runs of %extent lines load as one step each, as when it
        # was first run; typed lines were applied one at a time, and still are.
        for item in (*extent_runs(self.scenario.items), *self.typed):
            board.apply(item)
        # What is typed from now on must be possible: an error, never "skipped".
        sim.replay = False
        sim.strict = True
        return board


def _known(kernel: str) -> str:
    if kernel not in KERNEL_MODELS:
        raise ScenarioError(
            TYPED, 0, f'unknown kernel model "{kernel}" (models: {", ".join(KERNEL_MODELS)})'
        )
    return kernel
