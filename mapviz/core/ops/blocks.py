"""Block-map primitives with their events: allocate, reserve, unmap, convert.

Every operation that changes which device blocks back a file goes through
here, so refcounts, free space and delalloc reservations stay consistent and
every change is reported.
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import Extent, ExtentMap, ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.outcome import SyscallError


def enospc(machine: Machine, what: str) -> SyscallError:
    """The ENOSPC failure for ``what``, saying how much room was left."""
    free = machine.fs.available() * machine.fs.blocksize
    return SyscallError("ENOSPC", f"{what}: only {free} bytes of the device are still free")


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
    return made


def reserve_holes(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> int:
    """Delalloc-reserve every hole in ``[first, stop)``; return how many blocks.

    Raises :class:`NoSpace` before changing anything when the reservation does not fit.
    """
    holes = [(a, b) for a, b, extent in inode.data.walk(first, stop) if extent is None]
    needed = sum(b - a for a, b in holes)
    if not needed:
        return 0
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
    return needed


def unmap(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> list[Extent]:
    """Remove file blocks ``[first, stop)`` from the data and CoW forks; free what has no owner."""
    removed = inode.data.remove(first, stop)
    for piece in removed:
        release_piece(machine, inode, piece, why)
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


__all__ = [
    "NoSpace",
    "allocate",
    "byte_range",
    "convert",
    "convert_delalloc",
    "enospc",
    "is_shared",
    "release_piece",
    "reserve_holes",
    "shared_pieces",
    "unmap",
]
