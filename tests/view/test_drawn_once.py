"""Pictures and frames drawn once per distinct part are the ones drawn afresh every step.

Long scenarios share parts (files, mappings, the device, marks and links)
from picture to picture and from frame to frame; a memo key that missed
something a part is drawn from would show a stale part.  Every bundled
scenario, under every model, is drawn both ways and compared.
"""

from __future__ import annotations

import io

import pytest

from mapviz.cli.progress import TerminalProgress
from mapviz.scenario import KERNEL_MODELS, load_scenario
from mapviz.scenario.bundled import bundled_names
from mapviz.view import Storyboard
from mapviz.view.frames import Frames, build_frame, plan_layout
from mapviz.view.picture import take_picture, take_pictures


def _fresh_pictures(board: Storyboard) -> list[object]:
    """Each picture on its own, with no memo (what take_pictures must equal)."""
    pictures = []
    actors: list[str] = []
    before = None
    for index, (step, scene) in enumerate(zip([None, *board.steps], board.scenes, strict=True)):
        if step is not None and step.process not in actors:
            actors.append(step.process)
        pictures.append(take_picture(index, scene, step, actors=actors, before=before))
        before = scene
    return pictures


@pytest.mark.parametrize("name", bundled_names())
@pytest.mark.parametrize("kernel", KERNEL_MODELS)
def test_shared_parts_draw_what_fresh_parts_draw(name: str, kernel: str) -> None:
    board = Storyboard.from_scenario(load_scenario(name), kernel)
    pictures = take_pictures(board.steps, board.scenes, fold=False)
    assert pictures == _fresh_pictures(board)
    layout = plan_layout(pictures)
    frames = Frames(layout, pictures)
    for index, picture in enumerate(pictures):
        before = pictures[index - 1] if index else None
        fresh = build_frame(layout, picture, before)
        shared = frames[index]
        assert (shared.quads, shared.links, shared.badges) == (
            fresh.quads,
            fresh.links,
            fresh.badges,
        ), (name, kernel, index)


def test_frames_are_read_in_any_order() -> None:
    view = Storyboard.from_scenario(load_scenario("tour")).view()
    forwards = [frame.quads for frame in view.frames]
    backwards = [frame.quads for frame in reversed(view.frames)]
    assert forwards == backwards[::-1]
    assert view.frames[-1].index == len(view.frames) - 1
    with pytest.raises(IndexError):
        view.frames[len(view.frames)]


def test_progress_tells_each_phase_and_stays_off_a_pipe() -> None:
    heard: list[tuple[str, int, int]] = []
    board = Storyboard.from_scenario(
        load_scenario("tour"), progress=lambda *told: heard.append(told)
    )
    view = board.view(lambda *told: heard.append(told))
    list(view.frames)
    phases = [what for what, _, _ in heard]
    assert phases[0] == "simulating" and "picturing" in phases and phases[-1] == "drawing"
    assert heard[-1] == ("drawing", len(view.frames), len(view.frames))
    pipe = io.StringIO()  # not a terminal: nothing is drawn
    progress = TerminalProgress("mapviz export", pipe, quiet_for=0)
    progress("drawing", 1, 2)
    progress.close()
    assert pipe.getvalue() == ""
