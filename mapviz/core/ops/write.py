"""write(2) and read(2): buffered through the page cache, or straight to the device on DAX.

A buffered write reserves delalloc blocks over holes, leaves unwritten
extents unwritten and only dirties the pages (conformance README: "buffered
writes and stores into holes are delalloc until writeback"; "a buffered write
into an unwritten extent leaves it unwritten until writeback"); on XFS a
write to a shared block is staged in the CoW fork, which FIEMAP does not
show (§4.4).  On DAX the write allocates, converts or copies at once
(kernel-semantics §5, §2.2's DAX rows).

xfs_io writes in ``-b`` sized write(2) calls (4 KiB by default); when one of
them fails, the ones before it stay done and the command reports the error.
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.pages import (
    cache_pages,
    eof_page,
    invalidate,
    isize_extended,
    mark_dirty,
    note_write_folios,
)
from mapviz.core.ops.prealloc import reserve_write
from mapviz.core.ops.release import xfs_blockgc_free_space
from mapviz.core.ops.setsize import xfs_zero_range
from mapviz.core.outcome import Failure, SyscallError
from mapviz.scenario.numbers import exact_bytes

DEFAULT_CHUNK = 4096  # xfs_io's default write buffer (pwrite -b)


def write(
    machine: Machine,
    process: Process,
    inode: Inode,
    offset: int,
    length: int,
    fill: int | tuple[str, int],
    chunk: int = DEFAULT_CHUNK,
    verb: str = "pwrite",
) -> int:
    """Write ``length`` bytes of ``fill`` at ``offset`` through an already-checked fd.

    Returns the bytes written: fewer than ``length`` after a short write (the
    space ran out part-way through a call, and xfs_io stops there).  ``verb``
    names the writer in a refusal (``mkswap``'s header write is one too).
    """
    if length == 0:
        return 0
    machine.fs.policy.write_checks(inode)  # ext4: chattr +i after the open (§3.3)
    if inode.swapfile:
        # generic_write_checks_count(): no writes to an active swapfile (§3.1).
        raise SyscallError("ETXTBSY", f"{inode.name} is an active swapfile: writes are refused")
    end = offset + length
    check_file_limit(machine, end, "pwrite")
    machine.model.before_change(
        machine,
        process,
        inode,
        BlockMapChange(
            Change.WRITE,
            f"{verb} of {inode.name} {machine.span(offset, end)}",
            extends=end > inode.size,
        ),
    )
    if machine.fs.policy.buffered_iomap and not machine.fs.config.dax:
        reached, failure = _xfs_write_buffered(machine, inode, offset, end, fill, chunk)
        if failure is not None:
            raise failure
        return reached - offset
    cut, failure = _first_failure(machine, process, inode, offset, end, chunk, verb)
    if cut > offset:
        if machine.fs.config.dax:
            _write_dax(machine, inode, offset, cut, fill)
        else:
            _write_buffered(machine, inode, offset, cut, fill, chunk)
    if failure is not None:
        raise failure
    return cut - offset


def _first_failure(
    machine: Machine,
    process: Process,
    inode: Inode,
    offset: int,
    end: int,
    chunk: int,
    verb: str,
) -> tuple[int, Failure | None]:
    """Where the first failing write(2) chunk starts, and its failure (or ``end, None``).

    One pass over the range: blocks that need new space (holes; on XFS shared
    blocks not yet staged for copy-on-write) count against the free space, and
    on DAX blocks that must be allocated or converted ask the model first.
    """
    bs = machine.fs.blocksize
    dax = machine.fs.config.dax
    room = machine.fs.available()
    needed = 0
    first, stop = machine.fs.block_range(offset, end)

    def chunk_of(block: int) -> int:
        byte = max(block * bs, offset)
        return offset + (byte - offset) // chunk * chunk

    for a, b, costly, fills in _cost_segments(machine, inode, first, stop):
        if fills and dax:
            try:
                machine.model.before_change(
                    machine,
                    process,
                    inode,
                    BlockMapChange(
                        Change.WRITE,
                        f"{verb} of {inode.name} {machine.block_span(a, b)} would allocate "
                        "or convert blocks",
                        fills=True,
                    ),
                )
            except Failure as failure:
                return chunk_of(a), failure
        if costly:
            if needed + (b - a) > room:
                failing = a + (room - needed)
                start = chunk_of(failing)
                page = max(start, failing * bs // PAGE_SIZE * PAGE_SIZE)
                if page > start:
                    # write_begin fails on a later page of the call: a short write,
                    # and xfs_io's write_buffer() stops there without an error
                    return page, None
                return start, blocks.enospc(machine, verb)
            needed += b - a
    return end, None


def _cost_segments(
    machine: Machine, inode: Inode, first: int, stop: int
) -> list[tuple[int, int, bool, bool]]:
    """``(first, stop, needs_new_blocks, must_allocate_or_convert)`` pieces of a write.

    On DAX these are exactly the blocks ``dax_prepare`` will change: a shared
    block is copied now whatever the CoW fork holds (``xfs_direct_write_iomap_begin``
    allocates the copy at once), so the model is asked about every one of them.
    """
    shares = machine.fs.policy.shares_blocks
    dax = machine.fs.config.dax
    segments: list[tuple[int, int, bool, bool]] = []
    for a, b, extent in inode.data.walk(first, stop):
        if extent is None:
            segments.append((a, b, True, True))
        elif extent.state is ExtentState.UNWRITTEN:
            segments.append((a, b, False, True))
        elif shares and extent.physical_block is not None:
            for piece in blocks.shared_pieces(machine, inode.data, a, b):
                for c, d, staged in inode.cow.walk(piece.file_block, piece.end):
                    if staged is None or dax:
                        segments.append((c, d, staged is None, True))
    segments.sort()
    return segments


def _write_buffered(
    machine: Machine,
    inode: Inode,
    start: int,
    end: int,
    fill: int | tuple[str, int],
    chunk: int = DEFAULT_CHUNK,
) -> None:
    """ext4: reserve delalloc over the holes (the room was checked), dirty the pages."""
    first, stop = machine.fs.block_range(start, end)
    why = f"pwrite {machine.span(start, end)}"
    try:
        blocks.reserve_holes(machine, inode, first, stop, why)
    except NoSpace as exc:  # _first_failure checked the room; keep the invariant loud
        raise AssertionError("reservation failed after the room check") from exc
    _dirty(machine, inode, start, end, fill, why, chunk)


def _xfs_write_buffered(
    machine: Machine,
    inode: Inode,
    start: int,
    end: int,
    fill: int | tuple[str, int],
    chunk: int,
) -> tuple[int, Failure | None]:
    """XFS buffered writes, one write(2) per xfs_io chunk, as xfs_file_buffered_write().

    Each call zeroes the gap past EOF first (xfs_file_write_zero_eof), stages
    shared blocks in the CoW fork, then reserves delalloc with speculative
    preallocation.  A call that runs out of space part-way is a short write,
    after which xfs_io stops without an error; one that gets ENOSPC before
    writing anything flushes every inode, runs blockgc and retries once -- then
    fails with ENOSPC.
    Returns where the writing stopped and the failure, after dirtying what was written.
    """
    why = f"pwrite {machine.span(start, end)}"
    old_size = inode.size
    position = start
    retried_at: int | None = None
    failure: Failure | None = None
    dirty_from = start
    while position < end:
        stop_chunk = min(end, position + chunk)
        try:
            _xfs_write_call(machine, inode, position, stop_chunk, why)
            position = _past_settled_calls(machine, inode, stop_chunk, end, chunk)
            continue
        except NoSpace as exc:
            reached = max(position, int(getattr(exc, "reached", position)))
        if reached > position:
            # a short write(2): xfs_io's write_buffer() stops ("if (bytes < bar)
            # break") and reports no error
            inode.size = max(inode.size, reached)
            position = reached
            break
        if retried_at == position:
            failure = blocks.enospc(machine, "pwrite")
            break
        retried_at = position
        if position > dirty_from:  # the calls before this one dirtied their pages
            _dirty(machine, inode, dirty_from, position, fill, why, chunk)
            dirty_from = position
        xfs_blockgc_free_space(machine, sync=True, why=why)
    size = inode.size
    inode.size = old_size  # grow() moves EOF and reports it
    if position > dirty_from:
        _dirty(machine, inode, dirty_from, position, fill, why, chunk)
    grow(machine, inode, size, why)
    return position, failure


def _past_settled_calls(machine: Machine, inode: Inode, position: int, end: int, chunk: int) -> int:
    """Where the write(2) calls from ``position`` on stop being settled ones, having moved
    EOF over those that are.

    A call of less than two pages (xfs_io's default 4 KiB ``-b``) that starts
    inside EOF and lies wholly in one extent of the data fork, with nothing
    staged in the CoW fork, finds its blocks reserved (delalloc) or written in
    place (written or unwritten blocks no other file shares: nothing for
    xfs_bmap_trim_cow to stage), so ``reserve_write`` moves on; it allocates no
    large folio (order 0) and only moves EOF: the calls of a long write after the
    first are mostly these, so they are taken together.
    """
    if chunk >= 2 * PAGE_SIZE or position >= end or position > inode.size:
        return position
    bs = machine.fs.blocksize
    extent = inode.data.find(position // bs)
    if extent is None:
        return position
    limit = min(end, extent.end * bs)
    first, stop = position // bs, -(-limit // bs)
    if inode.cow and inode.cow.any_in(first, stop):
        return position
    if extent.physical_block is not None:
        physical = extent.physical_block + (first - extent.file_block)
        if machine.fs.refcounts.any_shared(physical, physical + (stop - first)):
            return position
    settled = position + (limit - position) // chunk * chunk
    inode.size = max(inode.size, settled)
    return settled


def _xfs_write_call(machine: Machine, inode: Inode, start: int, end: int, why: str) -> None:
    """The reservations of one write(2) of bytes ``[start, end)`` (raises NoSpace)."""
    if start > inode.size:
        xfs_zero_range(machine, inode, inode.size, start - inode.size, f"{why} past EOF")
    bs = machine.fs.blocksize
    # the extents as iomap_begin sees them: a folio never crosses the mapping it was
    # allocated for (iomap_write_begin(len) is capped by the mapping's length)
    # (extents come in file order and never overlap: their edges are already sorted;
    # a call of less than two pages gets no large folio, so it needs none)
    edges = (
        [
            b
            for e in inode.data.overlapping(start // bs, -(-end // bs))
            for b in (e.file_block, e.end)
        ]
        if end - start >= 2 * PAGE_SIZE
        else []
    )

    def mapping_end(offset: int) -> int:
        block = offset // bs
        return next((edge * bs for edge in edges if edge > block), 1 << 62)

    try:
        reserve_write(machine, inode, start, end, why)
    except NoSpace as exc:
        note_write_folios(
            inode, start, int(getattr(exc, "reached", start)), end - start, mapping_end
        )
        raise
    note_write_folios(inode, start, end, end - start, mapping_end)
    inode.size = max(inode.size, end)


def _dirty(
    machine: Machine,
    inode: Inode,
    start: int,
    end: int,
    fill: int | tuple[str, int],
    why: str,
    chunk: int,
) -> None:
    bs = machine.fs.blocksize
    first, stop = machine.fs.block_range(start, end)
    if not machine.fs.policy.buffered_iomap:  # XFS noted them per write(2) call
        note_write_folios(inode, start, end, chunk)
    cache_pages(machine, inode, start // PAGE_SIZE, -(-end // PAGE_SIZE), why)
    mark_dirty(inode, first, stop)
    machine.emit(
        EventKind.DIRTY,
        f"{why}: the page cache now holds newer data for {inode.name} "
        f"{machine.block_span(first, stop)} than the disk",
        file=(inode.name, first * bs, stop * bs),
    )
    inode.content.fill(start, end, fill)
    grow(machine, inode, end, why)


def _write_dax(
    machine: Machine, inode: Inode, start: int, end: int, fill: int | tuple[str, int]
) -> None:
    first, stop = machine.fs.block_range(start, end)
    why = f"DAX pwrite {machine.span(start, end)}"
    dax_prepare(machine, inode, first, stop, why)
    inode.content.fill(start, end, fill)
    grow(machine, inode, end, why)


def dax_prepare(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> bool:
    """Make file blocks ``[first, stop)`` written private blocks now (DAX write or write fault).

    Holes get zeroed written blocks, unwritten extents are converted, shared
    blocks copied (``xfs_direct_write_iomap_begin``; ``dax_iomap_copy_around``).
    Returns True if the block map changed (metadata a MAP_SYNC fault must sync).
    """
    bpp = machine.fs.blocks_per_page

    def drop_entries(a: int, b: int) -> None:
        # Entries still pointing at the zero page or at the old blocks go.
        invalidate(machine, inode, a // bpp, -(-b // bpp), why)

    return bool(blocks.make_written(machine, inode, first, stop, why, _DAX, then=drop_entries))


_DAX = blocks.WrittenWords(
    hole="DAX allocates zeroed blocks at once",
    unwritten="DAX converts unwritten blocks before the copy",
    shared="copy-on-write of shared blocks",
)


def grow(machine: Machine, inode: Inode, end: int, why: str) -> None:
    """Move EOF to ``end`` if the write went past it."""
    if end > inode.size:
        old = inode.size
        inode.size = end
        if machine.fs.config.dax:
            # No writeback will come: a DAX write logs the new on-disk size as it
            # completes (xfs_file_dax_write -> xfs_setfilesize; ext4 alike).
            inode.disk_size = max(inode.disk_size, end)
        isize_extended(machine, inode, old, end, why)
        machine.emit(
            EventKind.SIZE_CHANGE,
            f"{why}: {inode.name} grows from {exact_bytes(old)} to {exact_bytes(end)}",
            file=(inode.name, old, end),
        )


def read(machine: Machine, inode: Inode, offset: int, length: int) -> int:
    """read(2): fill the page cache for the part inside EOF; return the bytes read."""
    end = min(offset + length, inode.size)
    if end <= offset:
        return 0
    first = offset // PAGE_SIZE
    cache_pages(
        machine,
        inode,
        first,
        min(-(-end // PAGE_SIZE), eof_page(inode)),
        f"pread {machine.span(offset, end)}",
    )
    return end - offset
