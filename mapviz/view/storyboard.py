"""A storyboard: a simulation plus the scene after every step, turned into frames.

It can be built from a whole scenario or grown one item at a time (the
notebook's live command box); the layout is planned over every scene taken
so far, so frames stay comparable while a user scrubs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mapviz.core.scene import Scene
from mapviz.core.simulation import ExtentRun, Simulation, extent_runs
from mapviz.core.trace import Step
from mapviz.scenario.directives import scenario_under
from mapviz.scenario.syntax import Item, Scenario
from mapviz.view.frames import Frame, Frames, Layout, plan_layout
from mapviz.view.picture import Picture, Progress, take_pictures


@dataclass(frozen=True, slots=True)
class View:
    """Everything a renderer needs: the layout and one frame per step (plus the start)."""

    title: str
    kernel: str
    fs: str
    layout: Layout
    frames: Sequence[Frame]
    """Drawn as they are read (:class:`~mapviz.view.frames.Frames`)."""
    blocksize: int = 4096
    """The filesystem block size in bytes (device ``d0``/``d1`` are bytes; labels count blocks)."""


class Storyboard:
    """Runs items on a :class:`Simulation`; its frames are drawn from the steps alone.

    Each step carries the scene after it (the simulation records scenes), so
    what is drawn is a function of the steps, never of the live machine.

    Built on a simulation that already ran (a real file replayed by
    ``mapviz.simulation_from_file``), its frame 0 is that state and only later steps
    become frames: the history before it is not shown.  A run of ``%extent``
    lines is one step of the simulation, a *load*: a real file's map of
    10,000 extents is one frame, not 10,000.
    """

    def __init__(self, sim: Simulation, title: str) -> None:
        self.sim = sim
        self.title = title
        sim.record_scenes = True
        self._steps: list[Step] = []
        self._start = sim.scene()

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, kernel: str | None = None, *, progress: Progress | None = None
    ) -> Storyboard:
        """Run ``scenario`` (under ``kernel`` if given), reporting each item to ``progress``."""
        model = kernel or scenario.kernel
        # The views draw scenes (binned), never the steps' full file views: a
        # million-extent file's view would be taken again at every step.
        sim = Simulation(
            scenario.fs,
            model,
            source=scenario.source,
            replay=model != scenario.kernel,
            record_files=False,
        )
        board = cls(sim, scenario.title)
        # Each %note as it reads there; each run of %extent lines one load step.
        items = list(extent_runs(scenario_under(scenario, model).items))
        for done, item in enumerate(items, start=1):
            board.apply(item)
            if progress is not None:
                progress("simulating", done, len(items))
        return board

    def apply(self, item: Item | ExtentRun) -> Step | None:
        """Apply one item; a step adds a scene (``ScenarioError`` changes nothing)."""
        step = self.sim.apply(item)
        if step is None:
            # %expect amends the simulation's last step: the shown one follows it.
            last = self.sim.steps[-1] if self.sim.steps else None
            if last is not None and self._steps and self._steps[-1].index == last.index:
                self._steps[-1] = replace(self._steps[-1], expect=last.expect)
            return None
        self._steps.append(step)
        return step

    @property
    def steps(self) -> list[Step]:
        """The steps shown as frames 1, 2, ... (a run of ``%extent`` lines is one)."""
        return self._steps

    @property
    def scenes(self) -> list[Scene]:
        """The world at the start and after each shown step (what each step carries)."""
        return [self._start, *(_scene_of(step) for step in self._steps)]

    def frame_pictures(self) -> list[Picture]:
        """The picture of every frame: the start, then each shown step."""
        return take_pictures(self.steps, self.scenes, fold=False)

    def pictures(self) -> list[Picture]:
        """What ``mapviz picture`` prints: steps numbered as ``mapviz run --json`` does."""
        return take_pictures(self.steps, self.scenes)

    def view(self, progress: Progress | None = None) -> View:
        """All frames (frame 0 is the start, frame k the picture after shown step k).

        The frames are drawn as a renderer reads them; ``progress`` hears of
        each picture taken, then of each frame drawn.
        """
        pictures = take_pictures(self.steps, self.scenes, fold=False, progress=progress)
        layout = plan_layout(pictures)
        frames = Frames(layout, pictures, progress)
        return View(
            self.title,
            self.sim.kernel,
            self.sim.fs.describe(),
            layout,
            frames,
            blocksize=self.sim.fs.blocksize,
        )


def _scene_of(step: Step) -> Scene:
    assert step.scene is not None, "a storyboard's simulation records scenes"
    return step.scene
