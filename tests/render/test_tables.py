"""The tables the browser player reads: they must say exactly what the frames say."""

from __future__ import annotations

from itertools import pairwise

import pytest

from mapviz.render.hatching import hatch_groups
from mapviz.render.tables import build_tables, frame_rows
from mapviz.render.theme import THEMES, theme_named
from mapviz.render.timeline import MAX_STEP_MS, MIN_BEAT_MS, step_beats
from mapviz.scenario import bundled_names, load_scenario, parse_scenario
from mapviz.view import Storyboard, View


def _view(name: str) -> View:
    return Storyboard.from_scenario(load_scenario(name)).view()


@pytest.mark.parametrize("name", bundled_names())
def test_each_frame_gathers_back_out(name: str) -> None:
    view = _view(name)
    tables = build_tables(view, theme_named("light"))
    story, quads, links, points = tables.story, tables.quads, tables.links, tables.points
    for f, frame in enumerate(view.frames):
        rows = frame_rows(tables, f)
        assert [int(quads["state"][i]) for i in rows] == frame.quads["state"]
        assert [float(quads["x0"][i]) for i in rows] == pytest.approx(frame.quads["x0"], abs=1e-3)
        rows = frame_rows(tables, f, "store_l")
        xs = [list(points["x"][links["p0"][i] : links["p0"][i] + links["pn"][i]]) for i in rows]
        # segments are per kind and file: compare as sets of shapes (float32 on the way)
        got = sorted(xs, key=lambda x: [round(float(v)) for v in x])
        want = sorted(frame.links["xs"], key=lambda x: [round(v) for v in x])
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert [float(v) for v in a] == pytest.approx(b, abs=1e-3)
        beats = tables.beats["frame"][story["blo"][f] : story["bhi"][f]]
        assert set(beats) <= {f}


def test_identical_frames_share_rows() -> None:
    view = _view("pinned-block-map")
    story = build_tables(view, theme_named("light")).story
    refused = [
        f
        for f, frame in enumerate(view.frames)
        if frame.step is not None and frame.step.result == "ETXTBSY"
    ]
    assert refused
    for f in refused:  # a refused command changes nothing: its frame reuses the one before
        assert story["qsegs"][f] == story["qsegs"][f - 1]


def test_a_lane_that_did_not_change_is_sent_once() -> None:
    """Frames are stored as what changes: sealing a big file adds a cover, not a copy."""
    lines = ["%kernel map-direct-v5", "%fs xfs dax", "open -f big", "truncate 64m"]
    lines += [f"%extent {n * 8}k 4k" for n in range(2000)]
    lines += ["mmap -D 0 64k", "fpunch 0 4k", "mread 0 4k"]
    view = Storyboard.from_scenario(parse_scenario("\n".join(lines), "big")).view()
    tables = build_tables(view, theme_named("light"))
    per_frame = [len(frame_rows(tables, f)) for f in range(len(view.frames))]
    stored = len(tables.quads["x0"])
    assert sum(per_frame) > 2.5 * stored, (per_frame, stored)
    assert stored < max(per_frame) * 1.5


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
    deadlines = {
        u
        for k, u in zip(tables.beats["kind"], tables.beats["until"], strict=True)
        if k in ("lease_break", "time")
    }
    assert deadlines == {45.0}
