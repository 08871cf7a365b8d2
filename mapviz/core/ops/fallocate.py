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
from mapviz.core.geometry import xfs_falloc_reservation
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.limits import check_file_limit, max_file_size
from mapviz.core.ops.pages import cache_pages, invalidate
from mapviz.core.ops.setsize import set_size, zero_partial
from mapviz.core.ops.write import stage_cow
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError
from mapviz.scenario.syntax import PAGE_SIZE

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
    xfs = machine.fs.config.type == "xfs"
    if not xfs and mode is Mode.UNSHARE:
        # ext4_fallocate() supports only KEEP_SIZE, PUNCH, COLLAPSE, ZERO, INSERT (§4.6).
        raise SyscallError("EOPNOTSUPP", "funshare: ext4 has no shared extents to unshare")
    handler = _XFS if xfs else _EXT4
    handler[mode](machine, inode, offset, length, keep_size)


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
            raise blocks.enospc(
                machine, f"{why} of {inode.name} {machine.span(offset, offset + length)}"
            )
        if extent is None:
            try:
                blocks.allocate(machine, inode, a, b, ExtentState.UNWRITTEN, why)
            except NoSpace as exc:
                raise blocks.enospc(machine, why) from exc
        elif extent.state is ExtentState.DELALLOC:
            whole = inode.data.find(a)
            assert whole is not None
            blocks.convert_delalloc(
                machine,
                inode,
                whole,
                ExtentState.UNWRITTEN,
                f"{why}: the whole delalloc extent is allocated, unwritten",
            )
        position = b
    inode.prealloc = True


def _xfs_allocate(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    new_size = _new_size(inode, keep, offset, length)
    xfs_alloc_space(machine, inode, offset, length, "falloc")
    if new_size is not None:
        set_size(machine, inode, new_size, "falloc grows the file")


def _ext4_allocate(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """ext4_alloc_file_blocks(): unwritten over holes; on ENOSPC it keeps what it got
    and moves i_size to the end of it (case falloc-enospc-ext4)."""
    new_size = _new_size(inode, keep, offset, length)
    first, stop = machine.fs.block_range(offset, offset + length)
    bs = machine.fs.blocksize
    reached = first
    try:
        for a, b, extent in list(inode.data.walk(first, stop)):
            if extent is None:
                room = machine.fs.available()
                if room <= 0:
                    raise NoSpace
                take = min(b - a, room)
                blocks.allocate(machine, inode, a, a + take, ExtentState.UNWRITTEN, "falloc")
                if take < b - a:
                    reached = a + take
                    raise NoSpace
            elif extent.state is ExtentState.DELALLOC:
                inode.data.remove(a, b)
                blocks.allocate(
                    machine, inode, a, b, ExtentState.UNWRITTEN, "falloc", reserved=True
                )
            reached = b
    except NoSpace as exc:
        if new_size is not None and reached * bs > inode.size:
            set_size(machine, inode, min(reached * bs, new_size), "falloc ran out of space")
        raise blocks.enospc(machine, "falloc") from exc
    if new_size is not None:
        set_size(machine, inode, new_size, "falloc grows the file")


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
        blocks.unmap(machine, inode, first, stop, why)
    if offset >= inode.size:
        return
    end = min(offset + length, inode.size)
    bs = machine.fs.blocksize
    zero_partial(machine, inode, offset, min(end, first * bs) if stop > first else end, why)
    if stop > first:
        zero_partial(machine, inode, max(offset, stop * bs), end, why)
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
    invalidate(machine, inode, -(-offset // PAGE_SIZE), end // PAGE_SIZE, "fpunch")
    if stop > first:
        blocks.unmap(machine, inode, first, stop, "fpunch")
    bs = machine.fs.blocksize
    zero_partial(machine, inode, offset, min(end, first * bs) if stop > first else end, "fpunch")
    if stop > first:
        zero_partial(machine, inode, max(offset, stop * bs), end, "fpunch")
    inode.content.zero(offset, min(end, inode.size))


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
    """ext4_zero_range(): whole blocks become unwritten *in place*; edges zeroed (§4.6)."""
    new_size = _new_size(inode, keep, offset, length)
    end = offset + length
    writeback(machine, inode, offset, end, "fzero flushes the range first")
    invalidate(machine, inode, offset // PAGE_SIZE, -(-end // PAGE_SIZE), "fzero")
    first, stop = machine.fs.whole_blocks(offset, end)
    bs = machine.fs.blocksize
    if stop > first:
        for a, b, extent in list(inode.data.walk(first, stop)):
            if extent is None:
                if b - a > machine.fs.available():
                    raise blocks.enospc(machine, "fzero")
                blocks.allocate(machine, inode, a, b, ExtentState.UNWRITTEN, "fzero")
            elif extent.state is ExtentState.WRITTEN:
                blocks.convert(
                    machine,
                    inode,
                    a,
                    b,
                    ExtentState.UNWRITTEN,
                    "fzero: ext4 marks the same blocks unwritten",
                )
        zero_partial(machine, inode, offset, min(end, first * bs), "fzero")
        zero_partial(machine, inode, max(offset, stop * bs), min(end, inode.size), "fzero")
    else:
        zero_partial(machine, inode, offset, min(end, inode.size), "fzero")
    inode.content.zero(offset, min(end, inode.size))
    if new_size is not None:
        set_size(machine, inode, new_size, "fzero grows the file")


# --- collapse / insert ---------------------------------------------------


def _aligned(machine: Machine, offset: int, length: int) -> bool:
    bs = machine.fs.blocksize
    return offset % bs == 0 and length % bs == 0


def _xfs_collapse(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    # xfs_file_fallocate flushes the range before xfs_falloc_collapse_range checks it.
    xfs_flush_unmap(machine, inode, offset, length, "fcollapse")
    _check_collapse(machine, inode, offset, length)
    xfs_free_space(machine, inode, offset, length, "fcollapse")
    _prepare_shift(machine, inode, offset, "fcollapse")
    _shift(machine, inode, offset + length, -length, "fcollapse")
    set_size(machine, inode, inode.size - length, "fcollapse")


def _ext4_collapse(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    _check_collapse(machine, inode, offset, length)
    _prepare_shift(machine, inode, offset, "fcollapse")
    first, stop = machine.fs.block_range(offset, offset + length)
    blocks.unmap(machine, inode, first, stop, "fcollapse")
    _shift(machine, inode, offset + length, -length, "fcollapse")
    set_size(machine, inode, inode.size - length, "fcollapse")


def _check_collapse(machine: Machine, inode: Inode, offset: int, length: int) -> None:
    if not _aligned(machine, offset, length):
        raise SyscallError(
            "EINVAL",
            "fcollapse: offset and length must be multiples of the "
            f"block size ({machine.fs.blocksize})",
        )
    if offset + length >= inode.size:
        raise SyscallError(
            "EINVAL",
            "fcollapse: the range must end before EOF "
            f"({inode.size}); collapsing up to EOF would be a truncate",
        )


def _xfs_insert(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    _check_insert(machine, inode, offset, length)
    set_size(machine, inode, inode.size + length, "finsert grows the file first")
    _prepare_shift(machine, inode, offset, "finsert")
    _shift(machine, inode, offset, length, "finsert")


def _ext4_insert(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    _check_insert(machine, inode, offset, length)
    _prepare_shift(machine, inode, offset, "finsert")
    set_size(machine, inode, inode.size + length, "finsert grows the file")
    _shift(machine, inode, offset, length, "finsert")


def _check_insert(machine: Machine, inode: Inode, offset: int, length: int) -> None:
    if not _aligned(machine, offset, length):
        raise SyscallError(
            "EINVAL",
            "finsert: offset and length must be multiples of the "
            f"block size ({machine.fs.blocksize})",
        )
    if max_file_size(machine) - inode.size < length:
        raise SyscallError("EFBIG", "finsert: the file would grow past the largest size allowed")
    if offset >= inode.size:
        raise SyscallError("EINVAL", f"finsert: the offset must be inside the file ({inode.size})")


def _prepare_shift(machine: Machine, inode: Inode, offset: int, why: str) -> None:
    """Flush and drop everything from ``offset`` to EOF before extents move (xfs_prepare_shift)."""
    start = offset // PAGE_SIZE * PAGE_SIZE
    writeback(machine, inode, start, max(inode.size, start), f"{why} flushes up to EOF first")
    end = max(-(-inode.size // PAGE_SIZE), start // PAGE_SIZE)
    invalidate(machine, inode, start // PAGE_SIZE, end + 1, why, even_cows=True)


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
            f"{why}: everything of {inode.name} from {start} on moves "
            f"{'right' if delta > 0 else 'left'} by {abs(delta)} bytes",
            file=(inode.name, min(start, start + delta), max(end, start + delta)),
        )


# --- unshare -------------------------------------------------------------


def _xfs_unshare(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    """xfs_falloc_unshare_range(): CoW the shared blocks in EOF, then preallocate holes."""
    new_size = _new_size(inode, keep, offset, length)
    end = min(offset + length, inode.size)
    if inode.reflinked and end > offset:
        first, stop = machine.fs.block_range(offset, end)
        try:
            stage_cow(machine, inode, first, stop, "funshare")
        except NoSpace as exc:
            raise blocks.enospc(machine, "funshare") from exc
        for piece in list(inode.cow.clipped(first, stop)):
            bs = machine.fs.blocksize
            cache_pages(
                machine,
                inode,
                piece.file_block * bs // PAGE_SIZE,
                -(-piece.end * bs // PAGE_SIZE),
                "funshare",
            )
            inode.cache.dirty.add(piece.file_block, piece.end)
        writeback(machine, inode, offset, end, "funshare writes the copies and waits")
        if not any(blocks.is_shared(machine, e) for e in inode.data):
            inode.reflinked = False
    xfs_alloc_space(machine, inode, offset, length, "funshare")
    if new_size is not None:
        set_size(machine, inode, new_size, "funshare grows the file")


def _unsupported(machine: Machine, inode: Inode, offset: int, length: int, keep: bool) -> None:
    raise SyscallError("EOPNOTSUPP", "fallocate mode not supported here")


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
