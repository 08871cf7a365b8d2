"""A storyboard: a simulation plus the scene after every step, turned into frames.

It can be built from a whole scenario or grown one item at a time (the
notebook's live command box); the layout is planned over every scene taken
so far, so frames stay comparable while a user scrubs.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.core.simulation import Simulation
from mapviz.core.trace import Step
from mapviz.scenario.syntax import Item, Scenario
from mapviz.view.frames import Frame, Layout, build_frame, plan_layout
from mapviz.view.scene import Scene, shown_extents, take_scene


@dataclass(frozen=True, slots=True)
class View:
    """Everything a renderer needs: the layout and one frame per step (plus the start)."""

    title: str
    kernel: str
    fs: str
    layout: Layout
    frames: tuple[Frame, ...]
    blocksize: int = 4096
    """The filesystem block size in bytes (device ``d0``/``d1`` are bytes; labels count blocks)."""


class Storyboard:
    """Runs items on a :class:`Simulation` and keeps the scene after each step.

    Built on a simulation that already ran (a real file replayed by
    ``Simulation.from_file``), its frame 0 is that state and only later steps
    become frames: the history before it is not shown.
    """

    def __init__(self, sim: Simulation, title: str) -> None:
        self.sim = sim
        self.title = title
        self._first = len(sim.steps)
        self._shown = shown_extents()
        self.scenes: list[Scene] = [self._scene()]

    @classmethod
    def from_scenario(cls, scenario: Scenario, kernel: str | None = None) -> Storyboard:
        model = kernel or scenario.kernel
        sim = Simulation(scenario.fs, model, source=scenario.source,
                         replay=model != scenario.kernel)
        board = cls(sim, scenario.title)
        for item in scenario.items:
            board.apply(item)
        return board

    def apply(self, item: Item) -> Step | None:
        """Apply one item; a step adds a scene (``ScenarioError`` changes nothing)."""
        step = self.sim.apply(item)
        if step is not None:
            self.scenes.append(self._scene())
        return step

    @property
    def steps(self) -> list[Step]:
        """The steps shown as frames 1, 2, ..."""
        return self.sim.steps[self._first :]

    def view(self) -> View:
        """All frames (frame 0 is the start, frame k the state after step k)."""
        layout = plan_layout(self.scenes)
        frames = [build_frame(layout, 0, self.scenes[0], None)]
        for index, step in enumerate(self.steps, start=1):
            frames.append(build_frame(layout, index, self.scenes[index], step,
                                      before=self.scenes[index - 1]))
        return View(self.title, self.sim.kernel, self.sim.fs.describe(), layout, tuple(frames),
                    blocksize=self.sim.fs.blocksize)

    def _scene(self) -> Scene:
        return take_scene(self.sim.machine, list(self.sim.machine.fs.files), self._shown)
