"""Scenes of big files: binned to MAX_EXTENTS, and reused only while nothing they show changed."""

from __future__ import annotations

import random

from mapviz.core.ops.place import place_extent
from mapviz.core.scene import MAX_EXTENTS, FileScene, take_scene
from mapviz.core.simulation import Simulation
from mapviz.core.snapshot import ExtentView, file_view
from mapviz.scenario import parse_line
from mapviz.scenario.syntax import ExtentSpec, FsConfig
from mapviz.view import Storyboard

PAGE = 4096
FS = FsConfig(size=256 << 20)


def _board(extents: int, *, seed: int = 7) -> Storyboard:
    """A file ``big`` of ``extents`` scattered extents, written or unwritten, 1 to 3 blocks.

    The extents are placed between steps, as ``%extent`` would but without a
    step each; a last ``stat`` takes the scene of the finished file.
    """
    rng = random.Random(seed)
    board = Storyboard(Simulation(FS, "mainline"), "big")
    _run(board, "open -f other", "pwrite 0 64k", "fsync", "open -f big", "truncate 96m")
    machine = board.sim.machine
    inode = machine.fs.files["big"]
    block = 0
    for _ in range(extents):
        block += rng.choice((0, 1, 3))
        length = rng.choice((1, 1, 2, 3))
        place_extent(
            machine, inode, ExtentSpec(0, block * PAGE, length * PAGE, unwritten=rng.random() < 0.3)
        )
        block += length
    machine.events = []
    _run(board, "stat")
    return board


def _run(board: Storyboard, *lines: str) -> None:
    for line in lines:
        item = parse_line(line, fs=FS)
        assert item is not None
        board.apply(item)


def _big(board: Storyboard) -> FileScene:
    scene = board.scenes[-1].file("big")
    assert scene is not None
    return scene


def _fresh(board: Storyboard) -> FileScene:
    """``big`` as a scene taken with nothing carried over."""
    machine = board.sim.machine
    scene = take_scene(machine, list(machine.fs.files)).file("big")
    assert scene is not None
    return scene


def _reference_bins(extents: tuple[ExtentView, ...], span: int) -> tuple[ExtentView, ...]:
    """The plain definition: per bin, bytes of each (state, shared); the heaviest wins."""
    width = -(-span // MAX_EXTENTS)
    weights: dict[int, dict[tuple[str, bool], int]] = {}
    physical: dict[int, int] = {}
    for e in extents:
        for index in range(e.offset // width, (e.end - 1) // width + 1):
            first, stop = max(e.offset, index * width), min(e.end, (index + 1) * width)
            bucket = weights.setdefault(index, {})
            bucket[(e.state, e.shared)] = bucket.get((e.state, e.shared), 0) + stop - first
            if e.physical is not None:
                physical.setdefault(index, e.physical + first - e.offset)
    return tuple(
        ExtentView(i * width, width, physical.get(i), *max(w, key=w.__getitem__))
        for i, w in sorted(weights.items())
    )


def test_a_big_file_is_binned_from_its_records_as_from_its_views() -> None:
    board = _board(6000)
    _run(board, "pwrite 80m 256k")  # a delalloc extent past the real ones
    machine = board.sim.machine
    inode = machine.fs.files["big"]
    assert len(inode.data) > MAX_EXTENTS
    views = file_view(machine.fs, inode).extents
    shown = _big(board)
    assert shown.binned and len(shown.extents) <= MAX_EXTENTS
    assert {e.state for e in shown.extents} == {"written", "unwritten", "delalloc"}
    assert shown.extents == _reference_bins(views, max(inode.size, views[-1].end))


def test_a_small_file_shows_its_extents_as_they_are() -> None:
    board = _board(300)
    machine = board.sim.machine
    shown = _big(board)
    assert not shown.binned
    assert shown.extents == file_view(machine.fs, machine.fs.files["big"]).extents


def test_extents_are_reused_only_while_nothing_they_show_changed() -> None:
    board = _board(6000)
    _run(board, "fsync")
    before = _big(board)
    _run(board, "file 0", "pwrite 0 4k")  # another file's step: big's bins carried over
    assert _big(board).extents is before.extents
    changes = {
        "its map": ("file 1", "fpunch 64k 64k"),
        "its size": ("truncate 100m",),
        "sharing, by another file's reflink": ("open -f copy", "reflink big 0 0 1m"),
    }
    for what, lines in changes.items():
        previous = _big(board)
        _run(board, *lines)
        assert _big(board).extents is not previous.extents, what
        assert _big(board) == _fresh(board), what
    assert any(e.shared for e in _big(board).extents)
