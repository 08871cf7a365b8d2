"""The key frames of an animated slide: each step as the page plays it, in a few still moments.

The interactive page plays a step in two phases (``mapviz/render/js/player.js``):
the bands stay as they were while the step's events flash over them, then
they jump to the step's frame and what the events touched stays outlined.
An animated image keeps three moments of that:

* ``before``: the command is shown, the picture not yet changed;
* ``flash``: the step's targets lit up in their event colours
  (``EVENT_COLOURS``), over the picture before it;
* ``after``: the step done, held longest, so a talk can be given over it.

A step that lights nothing up has no ``flash``; one that changes nothing
either is its ``after`` alone.  Each key frame is a slide drawn by
:func:`mapviz.render.slide.draw_slide`, so the animation and ``--png`` are
one renderer.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> view = Storyboard.from_scenario(load_scenario("hole-sigbus")).view()
>>> [(key.index, key.phase) for key in key_frames(view)][:4]
[(0, 'after'), (1, 'before'), (1, 'after'), (2, 'before')]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mapviz.render.diagram import marks_of
from mapviz.render.slide import Phase
from mapviz.view.frames import Frame
from mapviz.view.storyboard import View

# How long each moment shows, in milliseconds: long enough to read the command
# before the picture moves, and to talk over the result.
HOLD_MS: dict[str, int] = {"start": 3000, "before": 900, "flash": 1300, "after": 3000, "end": 5000}


@dataclass(frozen=True, slots=True)
class KeyFrame:
    """One still of the animation: frame ``index`` of the view at ``phase``, for ``ms``."""

    index: int
    phase: Phase
    ms: int


def key_frames(view: View) -> list[KeyFrame]:
    """Every key frame of ``view``, in playing order: the start, then each step's moments.

    Every frame of the view has its ``after``; the last one is held longest
    (``HOLD_MS["end"]``), before the animation loops to the start.
    """
    return [key for key, _, _ in moments(view)]


def moments(view: View) -> Iterator[tuple[KeyFrame, Frame, Frame | None]]:
    """Each key frame with its frame and the frame before it, reading the frames once, in order."""
    last = len(view.frames) - 1
    before: Frame | None = None
    for frame in view.frames:
        lit = bool(marks_of(frame))
        phases: list[Phase] = []
        if before is not None and (lit or _changed(before, frame)):
            phases.append("before")
        if before is not None and lit:
            phases.append("flash")
        phases.append("after")
        for phase in phases:
            hold: str = "start" if before is None else phase
            if frame.index == last and phase == "after":
                hold = "end"
            yield KeyFrame(frame.index, phase, HOLD_MS[hold]), frame, before
        before = frame


def _changed(before: Frame, after: Frame) -> bool:
    """Whether the bands of ``after`` differ from those of ``before``."""
    return (before.quads, before.links, before.badges) != (after.quads, after.links, after.badges)
