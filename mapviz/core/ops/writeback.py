"""Writeback: dirty page-cache data goes to disk, and the block map settles.

What the real kernel shows between steps (conformance README, "How the truth
was taken") follows from this:

* XFS allocates a delalloc extent *whole* when any of it is written back,
  as **unwritten**, then converts only the written blocks
  (``xfs_bmapi_convert_delalloc`` uses XFS_BMAPI_PREALLOC; I/O completion
  converts the ioend range) -- so a partial flush leaves the rest unwritten
  (case ``reflink-dirty-source-xfs``).
* ext4 allocates exactly the dirty range it writes (``mpage_map_and_submit_extent``).
* Dirty blocks over **unwritten** extents are converted at I/O completion.
* XFS writes to **shared** blocks were staged in the CoW fork; writeback gives
  the writer new private blocks and drops its reference to the old ones
  (``xfs_reflink_end_cow``, kernel-semantics §4.4).

Writeback works on whole pages: every dirty block of a page it touches goes.
"""

from __future__ import annotations

import contextlib

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.ops import blocks
from mapviz.core.ops.pages import folio_span, invalidate, write_protect
from mapviz.core.outcome import SyscallError


def writeback_all(machine: Machine, inode: Inode, why: str) -> None:
    """Write back every dirty page of ``inode`` and wait (fsync, sync, FIEMAP_FLAG_SYNC)."""
    writeback(machine, inode, 0, max(inode.size, _dirty_end(machine, inode)), why)


def fsync(machine: Machine, inode: Inode, why: str) -> None:
    """fsync(2)/fdatasync(2): write back and wait, then force the log.

    XFS forces the log only for an inode with changes in it (``xfs_ipincount``);
    mapviz forces it on every fsync, as after the change that nearly always comes
    first.  Forcing it makes every busy extent usable again (§4.5).
    """
    writeback_all(machine, inode, why)
    machine.fs.force_log()


def flush_all(machine: Machine, inode: Inode, why: str) -> None:
    """Write back ``inode`` where nobody is told how it went: sync(2), XFS's ENOSPC
    flush of every inode, the flush a close starts.

    A failed writeback has discarded its data and left the error on the
    file's mapping (``mapping_set_error``) for its own fsync; the caller
    neither sees it nor stops (``sync_inodes_sb``, ``filemap_flush``; §2.2).
    """
    with contextlib.suppress(SyscallError):
        writeback_all(machine, inode, why)


def writeback(machine: Machine, inode: Inode, start: int, stop: int, why: str) -> None:
    """Write back the dirty pages overlapping bytes ``[start, stop)`` and wait."""
    if stop <= start:
        return
    # writeback writes whole folios: a large folio touching the range goes entirely
    first_page, stop_page = folio_span(inode, start // PAGE_SIZE, -(-stop // PAGE_SIZE))
    if machine.fs.config.dax:
        # DAX has no page cache: "writeback" flushes CPU caches and cleans the
        # page-table entries so the next store is tracked again (dax_writeback_mapping_range).
        write_protect(machine, inode, first_page, stop_page, why)
        return
    bpp = machine.fs.blocks_per_page
    # blocks wholly past EOF are not written (iomap_writepage_handle_eof); a written
    # folio is clean, so their leftover dirty bits go too
    eof_block = -(-inode.size // machine.fs.blocksize)
    stale = list(inode.cache.dirty.overlapping(max(first_page * bpp, eof_block), stop_page * bpp))
    runs = list(inode.cache.dirty.overlapping(first_page * bpp, min(stop_page * bpp, eof_block)))
    if runs:
        for first, stop_block in stale:
            inode.cache.dirty.remove(first, stop_block)
    for first, stop_block in runs:
        try:
            _write_run(machine, inode, first, stop_block, why)
        except SyscallError as error:
            _discard(machine, inode, first, stop_block, why)
            bs = machine.fs.blocksize
            error.range = error.range or (first * bs, stop_block * bs)
            raise
        inode.cache.dirty.remove(first, stop_block)
        bs = machine.fs.blocksize
        inode.disk_size = max(inode.disk_size, min(inode.size, stop_block * bs))
        machine.emit(
            EventKind.WRITEBACK,
            f"{why}: dirty data of {inode.name} {machine.block_span(first, stop_block)} "
            "written to disk",
            file=blocks.byte_range(machine, inode, first, stop_block),
        )
    if runs:
        write_protect(machine, inode, first_page, stop_page, why)


def _discard(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """A failed writeback drops what it could not write (``xfs_discard_folio``).

    The delalloc reservation (and staged copy-on-write) of the run is punched
    out and its pages are evicted: the data is lost, the range reads what the
    disk holds -- zeros over holes and unwritten blocks -- and the error is
    reported once, not on every later flush.
    """
    bs = machine.fs.blocksize
    for piece in [p for p in inode.data.clipped(first, stop) if p.physical_block is None]:
        inode.data.remove(piece.file_block, piece.end)
        blocks.release_piece(machine, inode, piece, f"{why} failed: the data is discarded")
    for piece in inode.cow.remove(first, stop):
        blocks.release_piece(machine, inode, piece, f"{why} failed", fork="cow")
    for a, b, extent in inode.data.walk(first, stop):
        if extent is None or extent.state is ExtentState.UNWRITTEN:
            inode.content.zero(a * bs, b * bs)
    bpp = machine.fs.blocks_per_page
    invalidate(machine, inode, first // bpp, -(-stop // bpp), f"{why} failed")


def _write_run(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Settle the block map under one run of dirty blocks."""
    policy = machine.fs.policy
    if policy.shares_blocks and inode.cow:
        _end_cow(machine, inode, first, stop, why)
    for a, b, extent in list(inode.data.walk(first, stop)):
        if extent is None:
            continue  # a dirty block past a punched range has nothing left to write
        if extent.state is ExtentState.DELALLOC:
            machine.model.before_writeback(
                machine,
                inode,
                f"writeback would allocate blocks for {inode.name} {machine.block_span(a, b)}",
            )
            whole = inode.data.find(a)
            assert whole is not None
            if policy.converts_whole_delalloc:
                blocks.convert_delalloc(
                    machine,
                    inode,
                    whole,
                    ExtentState.UNWRITTEN,
                    f"{why}: XFS allocates the whole delalloc extent, unwritten until written",
                )
            else:
                inode.data.remove(a, b)
                blocks.allocate(
                    machine,
                    inode,
                    a,
                    b,
                    ExtentState.UNWRITTEN,
                    f"{why}: ext4 allocates the dirty range",
                    reserved=True,
                )
        elif extent.state is ExtentState.UNWRITTEN:
            machine.model.before_writeback(
                machine, inode, f"writeback would convert unwritten blocks of {inode.name}"
            )
    blocks.convert(machine, inode, first, stop, ExtentState.WRITTEN, f"{why}: the I/O completed")


def _end_cow(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Replace staged shared blocks in ``[first, stop)`` with new private copies."""
    for staged in list(inode.cow.clipped(first, stop)):
        machine.model.before_writeback(
            machine,
            inode,
            f"copy-on-write of {inode.name} "
            f"{machine.block_span(staged.file_block, staged.end)} would allocate blocks",
        )
        inode.cow.remove(staged.file_block, staged.end)
        old = inode.data.remove(staged.file_block, staged.end)
        for piece in old:
            blocks.release_piece(machine, inode, piece, f"{why}: copy-on-write")
        made = blocks.allocate(
            machine,
            inode,
            staged.file_block,
            staged.end,
            ExtentState.WRITTEN,
            f"{why}: copy-on-write",
            reserved=True,
        )
        for extent in made:
            assert extent.physical_block is not None
            device = (extent.physical_block, extent.physical_block + extent.length)
            machine.emit(
                EventKind.COW,
                f"{why}: {inode.name} {machine.block_span(extent.file_block, extent.end)} "
                f"now has its own copy in {machine.blocks_text(*device)}",
                file=blocks.byte_range(machine, inode, extent.file_block, extent.end),
                blocks=(extent.physical_block, extent.physical_block + extent.length),
            )


def _dirty_end(machine: Machine, inode: Inode) -> int:
    end = 0
    for _, stop in inode.cache.dirty:
        end = stop
    return end * machine.fs.blocksize
