"""``%extent``: put an extent into a file directly, to replay a real file's map.

The blocks may be chosen by the allocator or given (``PHYS``); ``shared``
gives them a second owner -- another file of the scenario already using
those blocks, or, for free blocks, an owner outside the scenario (a file
the real filesystem had that the replay does not).  The written bytes are
"whatever is on the device there", so two files sharing the same blocks hold
equal content (what ``dedupe`` compares).
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.scenario.numbers import exact_bytes
from mapviz.scenario.syntax import ExtentSpec


class PlacementError(Exception):
    """The extent cannot be placed (a scenario error; nothing changed)."""


def place_extent(machine: Machine, inode: Inode, spec: ExtentSpec) -> None:
    """Place one ``%extent`` in ``inode`` (raises :class:`PlacementError`, changing nothing)."""
    fs = machine.fs
    bs = fs.blocksize
    first, count = spec.offset // bs, spec.length // bs
    if next(inode.data.overlapping(first, first + count), None) is not None:
        raise PlacementError(
            f"%extent {machine.span(spec.offset, spec.offset + spec.length)} "
            f"overlaps an extent {inode.name} already has"
        )
    state = ExtentState.UNWRITTEN if spec.unwritten else ExtentState.WRITTEN
    fresh = True
    if spec.physical is None:
        if count > fs.available():
            raise PlacementError(
                f"%extent needs {exact_bytes(spec.length)} but the device has only "
                f"{exact_bytes(fs.available() * bs)} free"
            )
        pieces = fs.allocate(count, fs.goal_after(inode, first))
    else:
        physical = spec.physical // bs
        if fs.free.is_free(physical, count):
            if count > fs.available():
                raise PlacementError("%extent: not enough free space on the device")
            fs.free.claim(physical, count)
        else:
            _check_owned(machine, physical, count, spec)
            fresh = False
        pieces = [(physical, count)]
    block = first
    for physical, length in pieces:
        if spec.shared:
            fs.refcounts.increase(physical, length)
            if fresh:
                fs.external.add(physical, physical + length)
        inode.data.insert(block, length, physical, state)
        start, stop = block * bs, (block + length) * bs
        if state is ExtentState.WRITTEN:
            inode.content.fill(start, stop, ("disk", physical * bs))
        machine.emit(
            EventKind.SHARE if spec.shared else EventKind.ALLOC,
            f"%extent: {inode.name} {machine.span(start, stop)} placed at "
            f"{machine.blocks_text(physical, physical + length)} ({state.label}"
            + (", shared" if spec.shared else "")
            + ")",
            file=(inode.name, start, stop),
            blocks=(physical, physical + length),
            state=state.label,
        )
        block += length


def _check_owned(machine: Machine, physical: int, count: int, spec: ExtentSpec) -> None:
    """Blocks in use may only be placed again as ``shared`` with their current owners."""
    fs = machine.fs
    for start, length in fs.geometry.metadata:
        if start < physical + count and physical < start + length:
            raise PlacementError(
                f"%extent: blocks {physical}..{physical + count - 1} hold the "
                "filesystem's own metadata"
            )
    if not spec.shared:
        raise PlacementError(
            f"%extent: blocks {physical}..{physical + count - 1} are already in "
            'use (add "shared" to share them)'
        )
    if fs.free.any_free(physical, count):
        raise PlacementError(
            f"%extent: blocks {physical}..{physical + count - 1} are partly free and partly in use"
        )
