"""Block-map primitives with their events: allocate, reserve, unmap, convert.

Every operation that changes which device blocks back a file goes through
here, so refcounts, free space and delalloc reservations stay consistent and
every change is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from mapviz.core.events import EventKind
from mapviz.core.extents import Extent, ExtentMap, ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes


def enospc(machine: Machine, what: str) -> SyscallError:
    """The ENOSPC failure for ``what``, saying how much room was left."""
    free = machine.fs.available() * machine.fs.blocksize
    return SyscallError("ENOSPC", f"{what}: only {exact_bytes(free)} of the device is still free")


def byte_range(machine: Machine, inode: Inode, first: int, stop: int) -> tuple[str, int, int]:
    bs = machine.fs.blocksize
    return (inode.name, first * bs, stop * bs)


def allocate(
    machine: Machine,
    inode: Inode,
    first: int,
    stop: int,
    state: ExtentState,
    why: str,
    *,
    reserved: bool = False,
) -> list[Extent]:
    """Give file blocks ``[first, stop)`` (a hole in the data fork) new device blocks.

    Raises :class:`NoSpace` before changing anything if they do not fit.
    """
    goal = machine.fs.goal_after(inode, first)
    pieces = machine.fs.allocate(stop - first, goal, reserved=reserved)
    made: list[Extent] = []
    block = first
    for device_block, count in pieces:
        inode.data.insert(block, count, device_block, state)
        made.append(Extent(block, count, device_block, state))
        machine.emit(
            EventKind.ALLOC,
            f"{why}: {inode.name} {machine.block_span(block, block + count)}"
            f" gets {machine.blocks_text(device_block, device_block + count)} ({state.label})",
            file=byte_range(machine, inode, block, block + count),
            blocks=(device_block, device_block + count),
            state=state.label,
        )
        block += count
    if reserved:
        sync_indlen(machine, inode)  # the delalloc extent it replaces gives its indlen back
    return made


def reserve_delalloc(machine: Machine, inode: Inode, count: int) -> None:
    """Take ``count`` blocks of delalloc reservation from the free space (NoSpace if not).

    XFS reserves the blocks *and* the worst-case bmbt blocks converting them may
    need (``xfs_bmapi_reserve_delalloc``: ``alen + xfs_bmap_worst_indlen(alen)``
    from the free counter); the indirect part is kept per inode (``sync_indlen``).
    """
    extra = machine.fs.delalloc_indlen(count)
    if count + extra > machine.fs.available():
        raise NoSpace
    machine.fs.reserve(count)


def sync_indlen(machine: Machine, inode: Inode) -> None:
    """Keep ``inode.indlen`` = the worst-case bmbt reservation of its delalloc extents.

    Merged delalloc extents keep ``min(worst_indlen(total), sum)`` -- the worst
    case of the whole extent (``xfs_bmap_add_extent_hole_delay``); conversion or
    removal gives the rest back (ext4 reserves none: ``delalloc_indlen`` is 0).
    """
    target = inode.data.delalloc_weight + inode.cow.delalloc_weight
    delta = target - inode.indlen
    if delta > 0:
        machine.fs.delalloc_reserved += delta
    elif delta < 0:
        machine.fs.unreserve(-delta)
    inode.indlen = target


def reserve_holes(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> int:
    """Delalloc-reserve every hole in ``[first, stop)``; return how many blocks.

    Raises :class:`NoSpace` before changing anything when the reservation does not fit.
    """
    holes = [
        (c, d)
        for a, b, extent in inode.data.walk(first, stop)
        if extent is None
        # a hole inside a CoW-fork extent is written through the CoW fork (found_cow)
        for c, d, staged in inode.cow.walk(a, b)
        if staged is None
    ]
    needed = sum(b - a for a, b in holes)
    if not needed:
        return 0
    # XFS also reserves each extent's worst-case bmbt blocks (ext4 none: 0 each)
    extra = sum(machine.fs.delalloc_indlen(b - a) for a, b in holes)
    if needed + extra > machine.fs.available():
        raise NoSpace
    machine.fs.reserve(needed)
    for a, b in holes:
        inode.data.insert(a, b - a, None, ExtentState.DELALLOC)
        machine.emit(
            EventKind.DELALLOC,
            f"{why}: {inode.name} {machine.block_span(a, b)}"
            " reserved for delayed allocation (no block chosen until writeback)",
            file=byte_range(machine, inode, a, b),
            state="delalloc",
        )
    sync_indlen(machine, inode)
    return needed


def unmap(
    machine: Machine, inode: Inode, first: int, stop: int, why: str, *, cancel_cow: bool = True
) -> list[Extent]:
    """Remove file blocks ``[first, stop)`` from the data fork and (``cancel_cow``) the CoW
    fork; free what has no owner.

    Only truncation (``xfs_itruncate_extents``: truncate, post-EOF trimming) and
    shifts cancel staged copy-on-write; a hole punch or a remap changes the data
    fork alone, so later writes into the range still go to the CoW fork.
    """
    removed = inode.data.remove(first, stop)
    for piece in removed:
        release_piece(machine, inode, piece, why)
    if not cancel_cow:
        return removed
    for piece in inode.cow.remove(first, stop):
        release_piece(machine, inode, piece, f"{why} (staged copy-on-write cancelled)", fork="cow")
    return removed


def release_piece(
    machine: Machine, inode: Inode, piece: Extent, why: str, *, fork: str = "data"
) -> None:
    """Give back what one removed extent piece held: a reservation or a block reference."""
    file = byte_range(machine, inode, piece.file_block, piece.end)
    where = machine.span(file[1], file[2])
    if piece.physical_block is None:
        machine.fs.unreserve(piece.length)
        sync_indlen(machine, inode)
        machine.emit(
            EventKind.FREE,
            f"{why}: the delalloc reservation of {inode.name} {where} is dropped",
            file=file,
            state="delalloc",
        )
        return
    start, stop = piece.physical_block, piece.physical_block + piece.length
    orphaned = machine.fs.drop_reference(start, piece.length)
    freed = sum(count for _, count in orphaned)
    tail = (
        "freed"
        if freed == piece.length
        else "still used by another file"
        if not freed
        else "freed where no other file shares them"
    )
    machine.emit(
        EventKind.FREE,
        f"{why}: {inode.name} {where} lets go of {machine.blocks_text(start, stop)}, {tail}",
        file=file,
        blocks=(start, stop),
        state=piece.state.label,
    )


def convert(
    machine: Machine, inode: Inode, first: int, stop: int, state: ExtentState, why: str
) -> list[Extent]:
    """Change the state of real extents in ``[first, stop)`` (unwritten <-> written)."""
    changed = inode.data.set_state(first, stop, state)
    for piece in changed:
        assert piece.physical_block is not None
        machine.emit(
            EventKind.CONVERT,
            f"{why}: {inode.name} {machine.block_span(piece.file_block, piece.end)}"
            f" {piece.state.label} -> {state.label}",
            file=byte_range(machine, inode, piece.file_block, piece.end),
            blocks=(piece.physical_block, piece.physical_block + piece.length),
            state=state.label,
        )
    return changed


def convert_delalloc(
    machine: Machine, inode: Inode, delalloc: Extent, state: ExtentState, why: str
) -> list[Extent]:
    """Allocate real blocks for one delalloc extent (its reservation pays for them)."""
    inode.data.remove(delalloc.file_block, delalloc.end)
    return allocate(machine, inode, delalloc.file_block, delalloc.end, state, why, reserved=True)


class WrittenWords(NamedTuple):
    """How a path words, in its events, a hole, unwritten or shared run becoming written."""

    hole: str
    unwritten: str
    shared: str


def make_written(
    machine: Machine,
    inode: Inode,
    first: int,
    stop: int,
    why: str,
    words: WrittenWords,
    then: Callable[[int, int], None] | None = None,
) -> list[tuple[int, int]]:
    """Make file blocks ``[first, stop)`` written private blocks; the runs that changed.

    Holes get blocks, unwritten extents are converted, blocks shared on XFS
    are copied (DAX writes, O_DIRECT completions).  Blocks already written
    and private stay as they are.  ``then(a, b)`` runs after each run changes,
    before the next (its events follow that run's).
    """
    changed = []
    for a, b, extent in list(inode.data.walk(first, stop)):
        if extent is None:
            allocate(machine, inode, a, b, ExtentState.WRITTEN, f"{why}: {words.hole}")
        elif extent.state is ExtentState.UNWRITTEN:
            convert(machine, inode, a, b, ExtentState.WRITTEN, f"{why}: {words.unwritten}")
        elif machine.fs.policy.shares_blocks and is_shared(machine, extent):
            for piece in inode.data.remove(a, b):
                release_piece(machine, inode, piece, f"{why}: copy-on-write")
            allocate(machine, inode, a, b, ExtentState.WRITTEN, f"{why}: {words.shared}")
        else:
            continue
        changed.append((a, b))
        if then is not None:
            then(a, b)
    return changed


def is_shared(machine: Machine, piece: Extent) -> bool:
    """True if some block of a real extent piece has another owner."""
    if piece.physical_block is None:
        return False
    return machine.fs.refcounts.any_shared(
        piece.physical_block, piece.physical_block + piece.length
    )


def shared_pieces(machine: Machine, fork: ExtentMap, first: int, stop: int) -> list[Extent]:
    """Parts of real extents in ``[first, stop)`` whose blocks have other owners."""
    out: list[Extent] = []
    for piece in fork.clipped(first, stop):
        if piece.physical_block is None:
            continue
        for a, b, shared in machine.fs.shared_runs(piece.physical_block, piece.length):
            if shared:
                offset = a - piece.physical_block
                out.append(Extent(piece.file_block + offset, b - a, a, piece.state))
    return out


XFS_DEFAULT_COWEXTSZ_HINT = 32  # blocks (xfs_get_cowextsz_hint() without a hint set)


def cow_hint(inode: Inode) -> int:
    """xfs_get_cowextsz_hint(): the larger of the two hints, or 32 blocks without one (§9.11)."""
    return max(inode.cowextsize, inode.extsize) or XFS_DEFAULT_COWEXTSZ_HINT


def stage_cow(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """XFS: reserve CoW-fork blocks for shared blocks about to be dirtied (§4.4).

    ``xfs_buffered_write_iomap_begin()`` reserves delalloc in the CoW fork for
    the shared blocks from the write offset on, and ``xfs_bmapi_reserve_delalloc()``
    widens a CoW reservation to the CoW extent size hint (32 blocks by default,
    ``xfs_bmap_extsize_align()``) as far as the neighbouring CoW extents allow.
    Later writes anywhere inside a CoW extent go to the CoW fork too
    (``found_cow``), so FIEMAP (the data fork) does not see them until writeback
    remaps them (``cow_covers``).
    """
    bs = machine.fs.blocksize
    for piece in shared_pieces(machine, inode.data, first, stop):
        position = piece.file_block
        while position < piece.end:
            staged = inode.cow.find(position)
            if staged is not None:
                position = staged.end
                continue
            previous = inode.cow.preceding(position)
            following = next(inode.cow.overlapping(position, 1 << 62), None)
            end = piece.end if following is None else min(piece.end, following.file_block)
            a, b = extsize_align(
                position,
                end,
                cow_hint(inode),
                previous.end if previous is not None else 0,
                following.file_block if following is not None else None,
            )
            reserve_delalloc(machine, inode, b - a)
            inode.cow.insert(a, b - a, None, ExtentState.DELALLOC)
            sync_indlen(machine, inode)
            machine.emit(
                EventKind.DELALLOC,
                f"{why}: {inode.name} {machine.block_span(position, end)} is shared, so the "
                f"write is staged in XFS's CoW fork ({machine.block_span(a, b)} reserved); "
                "FIEMAP still shows the shared blocks",
                file=(inode.name, a * bs, b * bs),
                state="cow",
            )
            position = b


def cow_covers(inode: Inode, block: int) -> Extent | None:
    """The CoW-fork extent a write at file ``block`` would go to (``found_cow``), if any."""
    return inode.cow.find(block)


def extsize_align(
    start: int, end: int, extsz: int, prevo: int, nexto: int | None
) -> tuple[int, int]:
    """xfs_bmap_extsize_align() for an allocation ``[start, end)`` in a hole
    between the extent ending at ``prevo`` and the one starting at ``nexto``."""
    off, length = start, end - start
    if off % extsz:
        length += off % extsz
        off -= off % extsz
    if length % extsz:
        length += extsz - length % extsz
    if off != start and off < prevo:
        off = prevo
    if nexto is not None and off + length != end and off + length > nexto:
        off = nexto - length if nexto > length else 0
    if off != start and off < prevo:
        off = prevo
    if nexto is not None and off + length != end and off + length > nexto:
        length = nexto - off
    return off, off + length


__all__ = [
    "NoSpace",
    "allocate",
    "byte_range",
    "convert",
    "convert_delalloc",
    "cow_covers",
    "cow_hint",
    "enospc",
    "extsize_align",
    "is_shared",
    "release_piece",
    "reserve_holes",
    "shared_pieces",
    "stage_cow",
    "unmap",
]
