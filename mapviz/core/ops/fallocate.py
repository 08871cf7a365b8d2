"""fallocate(2) in every mode: allocate, punch, zero, collapse, insert, unshare.

The checks run in ``vfs_fallocate()``'s order: bad offset/length (EINVAL),
invalid mode mix (EOPNOTSUPP), fd not writable (EBADF), immutable (EPERM),
active swapfile (ETXTBSY, §3.1), the kernel model (v5's seal: ETXTBSY before
any mode-specific validation, §2.2), size limit (EFBIG), then the
filesystem's own rules.  Per-filesystem mechanics follow kernel-semantics
§4.3 (XFS) and §4.6 (ext4).
"""

from __future__ import annotations

import enum

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.fs.xfs_geometry import xfs_falloc_reservation
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks, extsize
from mapviz.core.ops.blocks import stage_cow
from mapviz.core.ops.limits import check_file_limit, max_file_size
from mapviz.core.ops.pages import cache_pages, folio_span, invalidate, mark_dirty, write_protect
from mapviz.core.ops.release import can_free_eofblocks, free_eofblocks, xfs_blockgc_free_space
from mapviz.core.ops.setsize import set_size, xfs_zero_range, zero_partial
from mapviz.core.ops.write import dax_prepare
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes, human_offset

EXT4_EXT_MAX_BLOCKS = (1 << 32) - 1  # ext4's logical block numbers are 32 bits
XFS_MAX_EXTLEN = (1 << 21) - 1  # XFS_MAX_BMBT_EXTLEN: one fallocate loop reserves at most this


class Mode(enum.Enum):
    ALLOCATE = "allocate"
    PUNCH = "punch"
    ZERO = "zero"
    COLLAPSE = "collapse"
    INSERT = "insert"
    UNSHARE = "unshare"


VERB = {
    Mode.ALLOCATE: "falloc",
    Mode.PUNCH: "fpunch",
    Mode.ZERO: "fzero",
    Mode.COLLAPSE: "fcollapse",
    Mode.INSERT: "finsert",
    Mode.UNSHARE: "funshare",
}


def fallocate(
    machine: Machine,
    process: Process,
    inode: Inode,
    writable: bool,
    mode: Mode,
    keep_size: bool,
    offset: int,
    length: int,
) -> None:
    """fallocate(fd, mode, offset, length) on ``inode`` through an fd (``writable``)."""
    verb = VERB[mode]
    if length <= 0:
        raise SyscallError("EINVAL", f"{verb}: the length must be positive (vfs_fallocate)")
    if mode is Mode.PUNCH and not keep_size:
        raise SyscallError("EOPNOTSUPP", f"{verb}: a hole punch needs FALLOC_FL_KEEP_SIZE")
    if mode in (Mode.COLLAPSE, Mode.INSERT) and keep_size:
        raise SyscallError("EOPNOTSUPP", f"{verb}: cannot be combined with FALLOC_FL_KEEP_SIZE")
    if not writable:
        raise SyscallError("EBADF", f"{verb}: the file is open read-only")
    if inode.immutable:
        raise SyscallError("EPERM", f"{verb}: {inode.name} is immutable (chattr +i)")
    if inode.swapfile:
        raise SyscallError(
            "ETXTBSY", f"{verb}: {inode.name} is an active swapfile; its block map may not change"
        )
    machine.model.before_change(
        machine,
        process,
        inode,
        BlockMapChange(Change.FALLOCATE, _describe(machine, inode, mode, offset, length)),
    )
    check_file_limit(machine, offset + length, verb)
    policy = machine.fs.policy
    if not policy.shares_blocks and mode is Mode.UNSHARE:
        # ext4_fallocate() supports only KEEP_SIZE, PUNCH, COLLAPSE, ZERO, INSERT (§4.6).
        raise SyscallError(
            "EOPNOTSUPP", f"funshare: {policy.name} has no shared extents to unshare"
        )
    FALLOCATE[policy.name][mode](machine, inode, offset, length, keep_size)


def _describe(machine: Machine, inode: Inode, mode: Mode, offset: int, length: int) -> str:
    """ "fpunch would free blocks 16..16 of data" -- what a refusal says this call wanted."""
    verb = VERB[mode]
    first, stop = machine.fs.block_range(offset, offset + length)
    mapped = [e for e in inode.data.clipped(first, stop) if e.physical_block is not None]
    if mode in (Mode.PUNCH, Mode.COLLAPSE, Mode.ZERO) and mapped:
        lo = min(e.physical_block for e in mapped if e.physical_block is not None)
        hi = max(e.physical_block + e.length for e in mapped if e.physical_block is not None)
        return f"{verb} would free {machine.blocks_text(lo, hi)} of {inode.name}"
    if mode in (Mode.ALLOCATE, Mode.INSERT, Mode.UNSHARE, Mode.ZERO):
        return (
            f"{verb} would allocate blocks for {inode.name} {machine.span(offset, offset + length)}"
        )
    return (
        f"{verb} would change the block map of {inode.name} {machine.span(offset, offset + length)}"
    )


# --- allocate --------------------------------------------------------------


def _new_size(inode: Inode, keep_size: bool, offset: int, length: int) -> int | None:
    """xfs_falloc_newsize(): the size to move to, or None."""
    if keep_size or offset + length <= inode.size:
        return None
    return offset + length


def xfs_alloc_space(machine: Machine, inode: Inode, offset: int, length: int, why: str) -> None:
    """xfs_alloc_file_space(): unwritten extents over holes (and delalloc) in the range.

    Each loop iteration maps one extent and first reserves space for the whole
    rest of the range (at most XFS_MAX_EXTLEN blocks), so a request larger than
    the free space fails before allocating anything (case falloc-enospc-xfs).
    """
    first, stop = machine.fs.block_range(offset, offset + length)
    position = first
    for a, b, extent in list(inode.data.walk(first, stop)):
        needed = xfs_falloc_reservation(stop - position, machine.fs.blocksize)
        if needed > machine.fs.available():
            # xfs_trans_alloc(): on ENOSPC flush the speculative preallocations
            # (xfs_blockgc_flush_all, a non-waiting scan) and try once more
            xfs_blockgc_free_space(machine, sync=False, why=why, locked=inode)
        if needed > machine.fs.available():
            raise blocks.enospc(
                machine, f"{why} of {inode.name} {machine.span(offset, offset + length)}"
            )
        if extent is None:
            try:
                if inode.extsize:  # xfs_bmap_btalloc() aligns to the hint (§9.11)
                    extsize.allocate_holes(machine, inode, a, b, why)
                else:
                    blocks.allocate(machine, inode, a, b, ExtentState.UNWRITTEN, why)
            except NoSpace as exc:
                raise blocks.enospc(machine, why) from exc
        elif extent.state is ExtentState.DELALLOC:
            # xfs_bmapi_write() allocates only the requested part of a delalloc
            # extent ("bma.length = min(len, got.br_blockcount - (bno - startoff))").
            inode.data.remove(a, b)
            blocks.allocate(
                machine,
                inode,
                a,
                b,
                ExtentState.UNWRITTEN,
                f"{why}: delalloc blocks in the range are allocated, unwritten",
                reserved=True,
            )
        position = b
    inode.prealloc = True


def _xfs_allocate(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    new_size = _new_size(inode, keep, offset, length)
    xfs_alloc_space(machine, inode, offset, length, "falloc")
    if new_size is not None:
        set_size(machine, inode, new_size, "falloc grows the file")


def _ext4_allocate(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_do_fallocate(): unwritten over holes (case falloc-enospc-ext4 for ENOSPC)."""
    new_size = _new_size(inode, keep, offset, length)
    first, stop = machine.fs.block_range(offset, offset + length)
    ext4_alloc_file_blocks(machine, inode, first, stop, new_size, "falloc", convert=False)


def ext4_alloc_file_blocks(
    machine: Machine,
    inode: Inode,
    first: int,
    stop: int,
    new_size: int | None,
    why: str,
    *,
    convert: bool,
) -> None:
    """ext4_alloc_file_blocks(EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT [| CONVERT_UNWRITTEN]).

    Holes get unwritten blocks, delayed (delalloc) blocks too -- the dirty
    pages over them stay dirty and convert at writeback; with ``convert``
    written blocks become unwritten in place.  It maps piece by piece and
    moves i_size (to at most ``new_size``) as it goes, so on ENOSPC it keeps
    what it got and the size grows with it.
    """
    bs = machine.fs.blocksize
    reached: int | None = None  # the end of the last range ext4_map_blocks() mapped
    try:
        for a, b, extent in list(inode.data.walk(first, stop)):
            if extent is None:
                room = machine.fs.available()
                if room <= 0:
                    raise NoSpace
                take = min(b - a, room)
                blocks.allocate(machine, inode, a, a + take, ExtentState.UNWRITTEN, why)
                if take < b - a:
                    reached = a + take
                    raise NoSpace
            elif extent.state is ExtentState.DELALLOC:
                inode.data.remove(a, b)
                blocks.allocate(machine, inode, a, b, ExtentState.UNWRITTEN, why, reserved=True)
            elif convert and extent.state is ExtentState.WRITTEN:
                blocks.convert(
                    machine,
                    inode,
                    a,
                    b,
                    ExtentState.UNWRITTEN,
                    f"{why}: ext4 marks the same blocks unwritten",
                )
            reached = b
    except NoSpace as exc:
        # i_size moves only over what was mapped ("epos" after each ext4_map_blocks)
        if (
            reached is not None
            and new_size is not None
            and min(reached * bs, new_size) > inode.size
        ):
            set_size(machine, inode, min(reached * bs, new_size), f"{why} ran out of space")
        raise blocks.enospc(machine, why) from exc
    if new_size is not None and new_size > inode.size:
        set_size(machine, inode, new_size, f"{why} grows the file")


# --- punch ---------------------------------------------------------------


def xfs_flush_unmap(machine: Machine, inode: Inode, offset: int, length: int, why: str) -> None:
    """xfs_flush_unmap_range(): write back, then drop, the pages around the range."""
    rounding = max(machine.fs.blocksize, PAGE_SIZE)
    start = offset // rounding * rounding
    end = -(-(offset + length) // rounding) * rounding
    writeback(machine, inode, start, end, f"{why} flushes the range first")
    invalidate(machine, inode, start // PAGE_SIZE, end // PAGE_SIZE, why)


def xfs_free_space(machine: Machine, inode: Inode, offset: int, length: int, why: str) -> None:
    """xfs_free_file_space(): free whole blocks, zero the partial ones inside EOF."""
    first, stop = machine.fs.whole_blocks(offset, offset + length)
    if stop > first:
        # xfs_unmap_extent() runs a transaction reserving a bmbt split
        # (XFS_DIOSTRAT_SPACE_RES = bmap_levels - 1 blocks) even to free blocks
        needed = machine.fs.geometry.bmap_levels - 1
        if machine.fs.available() < needed:
            xfs_blockgc_free_space(machine, sync=False, why=why, locked=inode)
        if machine.fs.available() < needed:
            raise blocks.enospc(machine, f"{why} (its transaction reserves {needed} blocks)")
        blocks.unmap(machine, inode, first, stop, why, cancel_cow=False)
    if offset >= inode.size:
        return
    end = min(offset + length, inode.size)
    # "xfs_zero_range is smart enough to skip any holes, including those we just
    # created" -- it zeroes the partial blocks (copy-on-write if they are shared)
    xfs_zero_range(machine, inode, offset, end - offset, why)
    inode.content.zero(offset, end)
    if end >= inode.size and end % PAGE_SIZE:
        writeback(
            machine,
            inode,
            end // PAGE_SIZE * PAGE_SIZE,
            inode.size,
            f"{why} (the EOF page is written back)",
        )


def _xfs_punch(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    xfs_flush_unmap(machine, inode, offset, length, "fpunch")
    xfs_free_space(machine, inode, offset, length, "fpunch")


def _ext4_punch(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_punch_hole(): nothing past EOF; drop pages, remove whole blocks, zero the edges."""
    if offset >= inode.size:
        return
    if offset + length > inode.size:
        # "If the hole extends beyond i_size, set the hole to end after the page
        # that contains i_size" (ext4_punch_hole).
        length = -(-inode.size // PAGE_SIZE) * PAGE_SIZE - offset
    end = offset + length
    first, stop = machine.fs.whole_blocks(offset, end)
    _ext4_mkclean_cut_folios(machine, inode, offset, end, "fpunch")
    invalidate(machine, inode, -(-offset // PAGE_SIZE), end // PAGE_SIZE, "fpunch")
    # truncate_pagecache_range(): in a partly kept page, block_invalidate_folio()
    # discards the buffers wholly inside the range, dirty or not
    inode.cache.dirty.remove(first, stop)
    if stop > first:
        blocks.unmap(machine, inode, first, stop, "fpunch")
    bs = machine.fs.blocksize
    zero_partial(machine, inode, offset, min(end, first * bs) if stop > first else end, "fpunch")
    if stop > first:
        zero_partial(machine, inode, max(offset, stop * bs), end, "fpunch")
    inode.content.zero(offset, min(end, inode.size))


def _ext4_mkclean_cut_folios(
    machine: Machine, inode: Inode, start: int, end: int, why: str
) -> None:
    """ext4_truncate_page_cache_block_range() (6.15+), before ``[start, end)``'s pages go.

    With blocks smaller than a page, a range that starts or ends inside a page
    frees or converts whole blocks of a folio that stays cached, maybe mapped
    writable.  ``ext4_truncate_folio()`` write-protects such a folio's mappings
    (``folio_mkclean``, the folio stays dirty), so the next store faults and
    ``ext4_page_mkwrite()`` backs the page's blocks again (§4.6).
    """
    bs = machine.fs.blocksize
    if bs >= PAGE_SIZE or start >= inode.size:
        return
    if start % PAGE_SIZE == 0 and end % PAGE_SIZE == 0:
        return
    boundary = -(-start // PAGE_SIZE) * PAGE_SIZE
    cut = [(start, min(boundary, end))]
    if end > boundary:
        cut.append((end // PAGE_SIZE * PAGE_SIZE, end))
    for a, b in cut:
        if -(-a // bs) * bs >= b // bs * bs:
            continue  # "no complete block needs to be truncated" in this folio
        first, stop = folio_span(inode, a // PAGE_SIZE, a // PAGE_SIZE + 1)
        write_protect(machine, inode, first, stop, f"{why} frees blocks inside the page")


# --- zero range ----------------------------------------------------------


def _xfs_zero(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """xfs_falloc_zero_range(): punch, then preallocate the block-rounded range (§4.3)."""
    xfs_flush_unmap(machine, inode, offset, length, "fzero")
    new_size = _new_size(inode, keep, offset, length)
    xfs_free_space(machine, inode, offset, length, "fzero")
    bs = machine.fs.blocksize
    start = offset // bs * bs
    end = -(-(offset + length) // bs) * bs
    xfs_alloc_space(machine, inode, start, end - start, "fzero")
    if new_size is not None:
        set_size(machine, inode, new_size, "fzero grows the file")


def _ext4_zero(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_zero_range() (v6.15+): whole blocks become unwritten *in place*.

    If an edge is not block aligned, the whole block-rounded range is first
    preallocated (holes and delalloc -> unwritten; written edge blocks stay
    and are zeroed through the page cache).  The page cache of the range is
    dropped (ext4_truncate_page_cache_block_range: with blocks smaller than a
    page, a cached page the range cuts into is write-protected first), then
    the whole blocks are allocated with CONVERT_UNWRITTEN (§4.6).
    """
    end = offset + length
    new_size = end if not keep and (end > inode.size or end > inode.disk_size) else None
    bs = machine.fs.blocksize
    if offset % bs or end % bs:
        lo, hi = machine.fs.block_range(offset, end)
        ext4_alloc_file_blocks(machine, inode, lo, hi, new_size, "fzero", convert=False)
    _ext4_mkclean_cut_folios(machine, inode, offset, end, "fzero")
    invalidate(machine, inode, -(-offset // PAGE_SIZE), end // PAGE_SIZE, "fzero")
    first, stop = machine.fs.whole_blocks(offset, end)
    if stop > first:
        # truncate_pagecache_range() discards the buffers wholly inside the range
        inode.cache.dirty.remove(first, stop)
        ext4_alloc_file_blocks(machine, inode, first, stop, new_size, "fzero", convert=True)
        zero_partial(machine, inode, offset, min(end, first * bs), "fzero")
        zero_partial(machine, inode, max(offset, stop * bs), min(end, inode.size), "fzero")
    else:
        zero_partial(machine, inode, offset, min(end, inode.size), "fzero")
    inode.content.zero(offset, min(end, inode.size))
    if new_size is not None and new_size > inode.size:
        set_size(machine, inode, new_size, "fzero grows the file")


# --- collapse / insert ---------------------------------------------------


def _aligned(machine: Machine, offset: int, length: int) -> bool:
    bs = machine.fs.blocksize
    return offset % bs == 0 and length % bs == 0


def _xfs_collapse(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """xfs_falloc_collapse_range() (v6.13+): validate, then xfs_collapse_file_space().

    The range is flushed by xfs_free_file_space(), *after* the checks: an
    invalid collapse writes nothing back.
    """
    _check_collapse(machine, inode, offset, length)
    xfs_flush_unmap(machine, inode, offset, length, "fcollapse")
    xfs_free_space(machine, inode, offset, length, "fcollapse")
    _xfs_prepare_shift(machine, inode, offset, "fcollapse")
    _shift(machine, inode, offset + length, -length, "fcollapse")
    set_size(machine, inode, inode.size - length, "fcollapse")


def _ext4_collapse(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_collapse_range(): flush the page at ``offset`` and everything from the end of the
    range on, drop the page cache from ``offset``'s page, remove the range, shift left."""
    _check_collapse(machine, inode, offset, length)
    start = offset // PAGE_SIZE * PAGE_SIZE
    writeback(machine, inode, start, offset + 1, "fcollapse flushes the page at the offset")
    writeback(machine, inode, offset + length, _END, "fcollapse flushes what will move")
    invalidate(machine, inode, start // PAGE_SIZE, _END // PAGE_SIZE, "fcollapse", even_cows=True)
    first, stop = machine.fs.block_range(offset, offset + length)
    blocks.unmap(machine, inode, first, stop, "fcollapse")
    _shift(machine, inode, offset + length, -length, "fcollapse")
    _ext4_i_size(machine, inode, inode.size - length, "fcollapse")


def _check_collapse(machine: Machine, inode: Inode, offset: int, length: int) -> None:
    if not _aligned(machine, offset, length):
        raise SyscallError(
            "EINVAL",
            "fcollapse: offset and length must be multiples of the "
            f"block size ({exact_bytes(machine.fs.blocksize)})",
        )
    if offset + length >= inode.size:
        raise SyscallError(
            "EINVAL",
            "fcollapse: the range must end before EOF "
            f"({exact_bytes(inode.size)}); collapsing up to EOF would be a truncate",
        )


def _xfs_insert(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """xfs_falloc_insert_range(): checks, grow the size (xfs_falloc_setsize), then
    xfs_insert_file_space() shifts everything from ``offset`` right."""
    _check_insert(machine, inode, offset, length, efbig_first=True)
    set_size(machine, inode, inode.size + length, "finsert grows the file first")
    _xfs_prepare_shift(machine, inode, offset, "finsert")
    _shift(machine, inode, offset, length, "finsert")


def _ext4_insert(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_insert_range(): checks, flush and drop everything from ``offset``'s page on,
    grow i_size, shift right."""
    _check_insert(machine, inode, offset, length, efbig_first=False)
    start = offset // PAGE_SIZE * PAGE_SIZE
    writeback(machine, inode, start, _END, "finsert flushes what will move")
    invalidate(machine, inode, start // PAGE_SIZE, _END // PAGE_SIZE, "finsert", even_cows=True)
    # "Expand file to avoid data loss if there is error while shifting": i_size grows
    # first, and stays grown if the shift below refuses (§4.6)
    _ext4_i_size(machine, inode, inode.size + length, "finsert grows the file")
    last = inode.data.end_block()
    shift = length // machine.fs.blocksize
    if last and shift > EXT4_EXT_MAX_BLOCKS - last:
        # ext4_ext_shift_extents(): "make sure the last extent won't be shifted beyond
        # EXT_MAX_BLOCKS" (generic/485)
        raise SyscallError(
            "EINVAL",
            f"finsert: {inode.name}'s last extent ends at block {last}; shifted by {shift} it "
            f"would pass ext4's last logical block ({EXT4_EXT_MAX_BLOCKS}) -- the size has "
            "already grown and stays",
        )
    _shift(machine, inode, offset, length, "finsert")


def _ext4_i_size(machine: Machine, inode: Inode, size: int, why: str) -> None:
    """ext4_collapse_range()/ext4_insert_range() set i_size and i_disksize directly: no
    truncation (blocks past the new EOF stay), no zeroing."""
    old = inode.size
    inode.size = inode.disk_size = size
    inode.content.truncate(size)
    machine.emit(
        EventKind.SIZE_CHANGE,
        f"{why}: {inode.name} is now {exact_bytes(size)} (was {exact_bytes(old)})",
        file=(inode.name, min(old, size), max(old, size)),
    )


def _check_insert(
    machine: Machine, inode: Inode, offset: int, length: int, *, efbig_first: bool
) -> None:
    if not _aligned(machine, offset, length):
        raise SyscallError(
            "EINVAL",
            "finsert: offset and length must be multiples of the "
            f"block size ({exact_bytes(machine.fs.blocksize)})",
        )
    too_big = max_file_size(machine) - inode.size < length
    if too_big and efbig_first:
        raise SyscallError("EFBIG", "finsert: the file would grow past the largest size allowed")
    if offset >= inode.size:
        raise SyscallError(
            "EINVAL", f"finsert: the offset must be inside the file ({exact_bytes(inode.size)})"
        )
    if too_big:
        raise SyscallError("EFBIG", "finsert: the file would grow past the largest size allowed")


_END = 1 << 62  # LLONG_MAX as a byte offset: "to the end of the file and beyond"


def _xfs_prepare_shift(machine: Machine, inode: Inode, offset: int, why: str) -> None:
    """xfs_prepare_shift(): trim post-EOF blocks, flush and drop the page cache from one
    block before ``offset`` to the end, cancel the staged copy-on-write from there on."""
    if can_free_eofblocks(machine, inode):
        free_eofblocks(machine, inode, f"{why} trims the blocks past EOF first")
    bs = machine.fs.blocksize
    start = offset // bs * bs
    if start:
        start -= bs  # "the allocation unit just prior to the start"
    writeback(machine, inode, start, _END, f"{why} flushes everything from there on")
    invalidate(machine, inode, start // PAGE_SIZE, _END // PAGE_SIZE, why, even_cows=True)
    # xfs_reflink_cancel_cow_range(ip, offset, NULLFILEOFF): from there on only
    for staged in list(inode.cow.clipped(start // bs, 1 << 62)):
        inode.cow.remove(staged.file_block, staged.end)
        blocks.release_piece(
            machine, inode, staged, f"{why} cancels staged copy-on-write", fork="cow"
        )


def _shift(machine: Machine, inode: Inode, start: int, delta: int, why: str) -> None:
    """Move the block map and content at or after byte ``start`` by ``delta`` bytes."""
    bs = machine.fs.blocksize
    first = start // bs
    inode.data.shift(first, delta // bs)
    inode.cow.shift(first, delta // bs)
    inode.content.shift(start, delta)
    end = inode.data.end_block() * bs
    if end > start + min(delta, 0):
        machine.emit(
            EventKind.REMAP,
            f"{why}: everything of {inode.name} from {human_offset(start)} on moves "
            f"{'right' if delta > 0 else 'left'} by {exact_bytes(abs(delta))}",
            file=(inode.name, min(start, start + delta), max(end, start + delta)),
        )


# --- unshare -------------------------------------------------------------


def _xfs_unshare(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """xfs_falloc_unshare_range(): CoW the shared blocks in EOF, then preallocate holes."""
    new_size = _new_size(inode, keep, offset, length)
    end = min(offset + length, inode.size)
    if inode.reflinked and end > offset:
        first, stop = machine.fs.block_range(offset, end)
        # iomap_file_unshare() rewrites the shared written blocks only
        # (iomap_want_unshare_iter); their CoW reservations are widened as for writes.
        shared = blocks.shared_pieces(machine, inode.data, first, stop)
        if machine.fs.config.dax:
            # xfs_reflink_unshare(): IS_DAX -> dax_file_unshare() copies each shared
            # block now through xfs_dax_write_iomap_ops -- no CoW fork staging (§5)
            for piece in shared:
                dax_prepare(machine, inode, piece.file_block, piece.end, "funshare")
            shared = []
        try:
            stage_cow(machine, inode, first, stop, "funshare")
        except NoSpace as exc:
            raise blocks.enospc(machine, "funshare") from exc
        for piece in shared:
            bs = machine.fs.blocksize
            cache_pages(
                machine,
                inode,
                piece.file_block * bs // PAGE_SIZE,
                -(-piece.end * bs // PAGE_SIZE),
                "funshare",
            )
            mark_dirty(inode, piece.file_block, piece.end)
        writeback(machine, inode, offset, end, "funshare writes the copies and waits")
        # xfs_reflink_try_clear_inode_flag(): only if xfs_can_free_cowblocks() -- no
        # I_DIRTY_PAGES, which only a sync(2)-style writeback clears -- and no shared
        # extent is left; the leftover CoW reservations go with the flag
        if not inode.dirty_pages and not any(blocks.is_shared(machine, e) for e in inode.data):
            inode.reflinked = False
            for staged in list(inode.cow):
                inode.cow.remove(staged.file_block, staged.end)
                blocks.release_piece(
                    machine, inode, staged, "funshare: the reflink flag goes", fork="cow"
                )
    xfs_alloc_space(machine, inode, offset, length, "funshare")
    if new_size is not None:
        set_size(machine, inode, new_size, "funshare grows the file")


def _unsupported(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    raise SyscallError("EOPNOTSUPP", "fallocate mode not supported here")


# Each filesystem's ->fallocate (xfs_file_fallocate, ext4_fallocate), mode by mode.
_XFS = {
    Mode.ALLOCATE: _xfs_allocate,
    Mode.PUNCH: _xfs_punch,
    Mode.ZERO: _xfs_zero,
    Mode.COLLAPSE: _xfs_collapse,
    Mode.INSERT: _xfs_insert,
    Mode.UNSHARE: _xfs_unshare,
}
_EXT4 = {
    Mode.ALLOCATE: _ext4_allocate,
    Mode.PUNCH: _ext4_punch,
    Mode.ZERO: _ext4_zero,
    Mode.COLLAPSE: _ext4_collapse,
    Mode.INSERT: _ext4_insert,
    Mode.UNSHARE: _unsupported,
}
FALLOCATE = {"xfs": _XFS, "ext4": _EXT4}
