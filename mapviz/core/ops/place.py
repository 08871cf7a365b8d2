"""``%extent``: put an extent into a file directly, to replay a real file's map.

The blocks may be chosen by the allocator or given (``PHYS``); ``shared``
gives them a second owner -- another file of the scenario already using
those blocks, or, for free blocks, an owner outside the scenario (a file
the real filesystem had that the replay does not).  The written bytes are
"whatever is on the device there", so two files sharing the same blocks hold
equal content (what ``dedupe`` compares).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.scenario.numbers import exact_bytes
from mapviz.scenario.syntax import ExtentSpec


class PlacementError(Exception):
    """The extent cannot be placed (a scenario error; nothing changed)."""

    spec: ExtentSpec | None = None  # the line at fault, in a run


ONE_BY_ONE = 16
"""Runs of up to this many ``%extent`` lines get an event per extent; longer runs one summary."""


def place_extents(machine: Machine, inode: Inode, specs: Sequence[ExtentSpec]) -> None:
    """Place a run of ``%extent`` lines in ``inode``, in order, as one load.

    A real file's map arrives as a million of these.  Placed one by one, each
    costs a few lookups, a free-space split, an event and its words; so a long
    run that is plain -- every extent at a given address that is free, none
    shared, none overlapping another or the file's extents, the file holding
    no data there yet -- is placed in bulk (sorted merges, O(n log n)) and
    reported by one summary event.  Anything else goes one by one, with the
    same result.  Raises :class:`PlacementError` (with ``.spec``) for the first
    extent that cannot be placed; the ones before it stay placed.
    """
    if len(specs) <= ONE_BY_ONE:
        for spec in specs:
            _place_reporting(machine, inode, spec, announce=True)
        return
    if not _bulk_place(machine, inode, specs):
        for spec in specs:
            _place_reporting(machine, inode, spec, announce=False)
    _announce_load(machine, inode, specs)


def _place_reporting(machine: Machine, inode: Inode, spec: ExtentSpec, *, announce: bool) -> None:
    try:
        place_extent(machine, inode, spec, announce=announce)
    except PlacementError as error:
        error.spec = spec
        raise


def _bulk_place(machine: Machine, inode: Inode, specs: Sequence[ExtentSpec]) -> bool:
    """Place a plain run all at once; False (having changed nothing) when it is not plain."""
    fs = machine.fs
    bs = fs.blocksize
    if any(spec.physical is None or spec.shared for spec in specs):
        return False
    by_offset = sorted(specs, key=lambda spec: spec.offset)
    by_physical = sorted(specs, key=lambda spec: spec.physical or 0)
    for before, after in itertools.pairwise(by_offset):
        if before.offset + before.length > after.offset:
            return False
    for before, after in itertools.pairwise(by_physical):
        assert before.physical is not None and after.physical is not None
        if before.physical + before.length > after.physical:
            return False
    first, stop = by_offset[0].offset // bs, (by_offset[-1].offset + by_offset[-1].length) // bs
    # One block either side too: an extent there could join the run's first or last.
    if next(inode.data.overlapping(max(first - 1, 0), stop + 1), None) is not None:
        return False
    if inode.content.holds_data(first * bs, stop * bs):
        return False
    if sum(spec.length for spec in specs) // bs > fs.available():
        return False  # one by one, the extent that does not fit is named
    if not fs.free.claim_sorted(lambda: (_blocks(spec, bs) for spec in by_physical)):
        return False
    written, unwritten = ExtentState.WRITTEN, ExtentState.UNWRITTEN
    inode.data.insert_sorted(
        (spec.offset // bs, spec.length // bs, _blocks(spec, bs)[0], state)
        for spec in by_offset
        for state in (unwritten if spec.unwritten else written,)
    )
    inode.content.fill_sorted(
        (spec.offset, spec.offset + spec.length, ("disk", _blocks(spec, bs)[0] * bs))
        for spec in by_offset
        if not spec.unwritten
    )
    return True


def _blocks(spec: ExtentSpec, bs: int) -> tuple[int, int]:
    """``(physical block, length in blocks)`` of an extent placed at a given address."""
    assert spec.physical is not None, spec
    return spec.physical // bs, spec.length // bs


def _announce_load(machine: Machine, inode: Inode, specs: Sequence[ExtentSpec]) -> None:
    """One event for a long run: what the file now spans, not a line per extent."""
    bs = machine.fs.blocksize
    start = min(spec.offset for spec in specs)
    stop = max(spec.offset + spec.length for spec in specs)
    blocks = sum(spec.length for spec in specs) // bs
    machine.emit(
        EventKind.ALLOC,
        f"%extent x {len(specs):,}: {inode.name}'s block map loaded over "
        f"{machine.span(start, stop)} ({blocks:,} blocks placed as given)",
        file=(inode.name, start, stop),
        state=ExtentState.WRITTEN.label,
    )


def place_extent(
    machine: Machine, inode: Inode, spec: ExtentSpec, *, announce: bool = True
) -> None:
    """Place one ``%extent`` in ``inode`` (raises :class:`PlacementError`, changing nothing).

    ``announce`` emits an event for each placed piece (a long run is announced once).
    """
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
        if announce:
            _announce_piece(machine, inode, spec, physical, length, start, stop, state)
        block += length


def _announce_piece(
    machine: Machine,
    inode: Inode,
    spec: ExtentSpec,
    physical: int,
    length: int,
    start: int,
    stop: int,
    state: ExtentState,
) -> None:
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
