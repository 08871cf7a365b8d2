"""The tables the browser player reads: they must say exactly what the frames say."""

from __future__ import annotations

import doctest
from itertools import pairwise
from types import ModuleType

import pytest

from mapviz.render import hatching, html, ticks, timeline
from mapviz.render.hatching import hatch_groups
from mapviz.render.tables import build_tables
from mapviz.render.theme import THEMES, theme_named
from mapviz.render.timeline import MAX_STEP_MS, MIN_BEAT_MS, step_beats
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard, View


def _view(name: str) -> View:
    return Storyboard.from_scenario(load_scenario(name)).view()


@pytest.mark.parametrize("module", [hatching, html, ticks, timeline], ids=lambda m: m.__name__)
def test_examples(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("name", bundled_names())
def test_each_frame_slices_back_out(name: str) -> None:
    view = _view(name)
    tables = build_tables(view, theme_named("light"))
    story, quads = tables.story, tables.quads
    for f, frame in enumerate(view.frames):
        lo, hi = story["qlo"][f], story["qhi"][f]
        assert list(quads["state"][lo:hi]) == frame.quads["state"]
        assert list(quads["x0"][lo:hi]) == pytest.approx(frame.quads["x0"])
        assert quads["tip"][lo:hi] == frame.quads["tip"]
        lo, hi = story["llo"][f], story["lhi"][f]
        assert tables.links["xs"][lo:hi] == [list(xs) for xs in frame.links["xs"]]
        beats = tables.beats["frame"][story["blo"][f]:story["bhi"][f]]
        assert set(beats) <= {f}


def test_identical_frames_share_rows() -> None:
    view = _view("pinned-block-map")
    story = build_tables(view, theme_named("light")).story
    refused = [f for f, frame in enumerate(view.frames)
               if frame.step is not None and frame.step.result == "ETXTBSY"]
    assert refused
    for f in refused:  # a refused command changes nothing: its frame reuses the one before
        assert (story["qlo"][f], story["qhi"][f]) == (story["qlo"][f - 1], story["qhi"][f - 1])


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_hatch_groups_cover_every_row(theme: str) -> None:
    groups = len(hatch_groups(theme_named(theme)))
    for name in ("block-map-states", "pinned-block-map", "etxtbsy-break-shared"):
        quads = build_tables(_view(name), theme_named(theme)).quads
        assert all(-1 <= g < groups for g in quads["hg"])
        assert all(-1 <= g < groups for g in quads["mg"])
    pinned = build_tables(_view("pinned-block-map"), theme_named(theme)).quads
    assert any(g >= 0 for g in pinned["mg"])  # the pin is drawn


def test_beats_merge_by_kind_and_fit_the_step() -> None:
    view = _view("hole-sigbus")
    busiest = max(view.frames, key=lambda frame: len(frame.animations))
    beats = step_beats(busiest.animations)
    kinds = [b.kind for b in beats]
    assert len(kinds) == len(set(kinds))  # one beat per kind
    assert kinds == list(dict.fromkeys(a.kind for a in busiest.animations))
    assert beats[0].count > 1  # sixteen faults are one beat
    end = beats[-1].start + beats[-1].duration
    assert end <= max(MAX_STEP_MS, MIN_BEAT_MS * len(beats)) + 1e-6
    assert all(b.start == a.start + a.duration for a, b in pairwise(beats))


def test_lease_break_carries_its_deadline() -> None:
    view = _view("lease-break")
    tables = build_tables(view, theme_named("light"))
    deadlines = {u for k, u in zip(tables.beats["kind"], tables.beats["until"], strict=True)
                 if k in ("lease_break", "time")}
    assert deadlines == {45.0}
