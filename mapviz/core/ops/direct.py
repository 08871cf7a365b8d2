"""O_DIRECT reads and writes: between the device and the caller's buffer, past the page cache.

(kernel-semantics §9.3.)  Each ``read(2)``/``write(2)`` of xfs_io's chunks:

* must be aligned, offset and length, to the device's logical block size
  (512 bytes on the loop devices the recordings use), else EINVAL.  Where
  the check sits decides what happened before it: XFS checks a write first
  (``xfs_file_dio_write()``, ``bt_logical_sectormask``); everything else
  meets iomap's check in ``iomap_dio_bio_iter()``, one extent at a time and
  only for an extent the filesystem mapped to blocks -- after the flush below, and for an ext4
  write after ``ext4_iomap_alloc()`` gave its holes blocks (unwritten inside
  EOF, written past it).  A misaligned read of holes and unwritten blocks
  never meets the check (``iomap_dio_hole_iter()``) and reads zeros.  A chunk
  that fails leaves the chunks before it done;
* first writes back the cached range and waits (``kiocb_write_and_wait()``),
  so delalloc under it becomes real blocks; a write then drops the cached
  pages and unmaps them (``kiocb_invalidate_pages()``);
* writes into holes allocate blocks and into unwritten extents convert them
  when the I/O completes (``xfs_dio_write_end_io()``,
  ``ext4_dio_write_end_io()``), writes into shared XFS blocks copy on write
  and remap at completion (``xfs_reflink_end_cow()``): when the call returns,
  the range is written private blocks, whole blocks (a sub-block write zeroes
  the rest of a new block, ``iomap_dio_zero()``), and a write past EOF has
  moved the size on disk too;
* a read allocates nothing and caches nothing.
"""

from __future__ import annotations

from mapviz.core.extents import ExtentState
from mapviz.core.filesystem import NoSpace
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks, extsize
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.pages import invalidate
from mapviz.core.ops.setsize import xfs_zero_range
from mapviz.core.ops.write import grow
from mapviz.core.ops.write import write as buffered_write
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError

LOGICAL_BLOCK = 512
"""The logical block size of the device (a loop device's default)."""


def check_alignment(offset: int, length: int, call: str) -> None:
    """EINVAL unless ``offset`` and ``length`` are multiples of the logical block size.

    >>> check_alignment(4096, 512, "pwrite")
    >>> try:
    ...     check_alignment(100, 512, "pwrite")
    ... except SyscallError as error:
    ...     print(error.result)
    EINVAL
    """
    if (offset | length) % LOGICAL_BLOCK:
        raise SyscallError(
            "EINVAL",
            f"{call} with O_DIRECT: offset {offset} and length {length} must be multiples of "
            f"the device's {LOGICAL_BLOCK}-byte logical block (§9.3)",
        )


def write(
    machine: Machine,
    process: Process,
    inode: Inode,
    offset: int,
    length: int,
    fill: int | tuple[str, int],
    chunk: int,
    buffer_offset: int = 0,
) -> None:
    """xfs_io's pwrite on an O_DIRECT fd: one direct write(2) per ``chunk`` bytes.

    ``buffer_offset`` is where the data starts in its first memory page: 0 for
    xfs_io's page-aligned buffers; a splice from the page cache writes the
    source's pages, starting at the source offset's place in its page.
    """
    if length == 0:
        return
    policy = machine.fs.policy
    policy.write_checks(inode)
    if inode.swapfile:
        # generic_write_checks_count(): no writes to an active swapfile, direct or not (§3.1)
        raise SyscallError("ETXTBSY", f"{inode.name} is an active swapfile: writes are refused")
    end = offset + length
    check_file_limit(machine, end, "pwrite")
    position = offset
    while position < end:
        stop = min(end, position + chunk)
        if policy.dio_checks_alignment_first:
            check_alignment(position, stop - position, "pwrite")
        machine.model.before_change(
            machine,
            process,
            inode,
            BlockMapChange(
                Change.WRITE,
                f"O_DIRECT pwrite of {inode.name} {machine.span(position, stop)}",
                extends=stop > inode.size,
                fills=_fills(machine, inode, position, stop),
            ),
        )
        if (
            policy.dio_unaligned_cow_buffered
            and inode.reflinked
            and (position | (stop - position)) % machine.fs.blocksize
        ):
            # xfs_file_dio_write_unaligned(): "we can't properly handle unaligned direct
            # I/O to reflink files yet" -- ENOTBLK, and xfs_file_write_iter() falls back
            # to a buffered write (§9.3)
            buffered_write(
                machine, process, inode, position, stop - position, fill, stop - position
            )
        else:
            _write_call(machine, inode, position, stop, fill, buffer_offset + position - offset)
        position = stop


def _mapped_pieces(machine: Machine, inode: Inode, start: int, stop: int) -> list[tuple[int, int]]:
    """The byte pieces of ``[start, stop)`` that iomap maps to written blocks, one per
    extent: a read checks the alignment of each of these, and only of these."""
    bs = machine.fs.blocksize
    first, last = machine.fs.block_range(start, stop)
    return [
        (max(start, a * bs), min(stop, b * bs))
        for a, b, extent in inode.data.walk(first, last)
        if extent is not None and extent.state is not ExtentState.UNWRITTEN
    ]


def _fills(machine: Machine, inode: Inode, start: int, stop: int) -> bool:
    """Whether the range has a hole or an unwritten block (the write must change the map)."""
    first, last = machine.fs.block_range(start, stop)
    return any(
        extent is None or extent.state is not ExtentState.WRITTEN
        for _, _, extent in inode.data.walk(first, last)
    )


def _write_call(
    machine: Machine,
    inode: Inode,
    start: int,
    stop: int,
    fill: int | tuple[str, int],
    buffer_offset: int,
) -> None:
    why = f"O_DIRECT pwrite {machine.span(start, stop)}"
    # iomap_dio_bio_iter(): bdev_iter_is_aligned() -- the memory too, every segment's
    # address (dma_alignment: the logical block on a loop device) (§9.3)
    buffer_aligned = not buffer_offset % LOGICAL_BLOCK
    aligned = buffer_aligned and not (start | (stop - start)) % LOGICAL_BLOCK
    if machine.fs.policy.dio_zeroes_past_eof and start > inode.size:
        # xfs_file_write_checks(): the gap past EOF is zeroed first, as for buffered writes
        xfs_zero_range(machine, inode, inode.size, start - inode.size, f"{why} past EOF")
    # kiocb_write_and_wait() + kiocb_invalidate_pages(): the cache under the range goes
    writeback(machine, inode, start, stop, f"{why} writes the cached range back first")
    invalidate(
        machine,
        inode,
        start // PAGE_SIZE,
        -(-stop // PAGE_SIZE),
        f"{why} drops the cached pages it bypasses",
    )
    first, last = machine.fs.block_range(start, stop)
    try:
        if not aligned:
            # the filesystem maps the range (giving holes blocks) before iomap checks it
            if machine.fs.policy.dio_checks_alignment_first:
                _xfs_map_first_hole(machine, inode, first, last, why)
            else:
                _ext4_map_holes(machine, inode, first, last, why)
            check_alignment(start, stop - start, "pwrite")
            if not buffer_aligned:
                raise SyscallError(
                    "EINVAL",
                    f"pwrite with O_DIRECT: the data starts at byte {buffer_offset % PAGE_SIZE} "
                    f"of a memory page, not on a {LOGICAL_BLOCK}-byte boundary (§9.3)",
                )
        if machine.fs.policy.dio_reserves_bmbt_split:
            _xfs_reserve(machine, inode, first, last)
        if inode.extsize:
            # xfs_iomap_write_direct(): an unwritten allocation aligned to the hint
            # (past EOF its end rounded up first), then the completion converts (§9.11)
            end = last
            if stop > inode.size:
                end = -(-last // inode.extsize) * inode.extsize
            extsize.allocate_holes(machine, inode, first, end, why)
        if machine.fs.policy.shares_blocks:
            # xfs_reflink_allocate_cow(): shared blocks get CoW-fork blocks, the
            # allocation widened to the CoW extent size hint; what is not written stays
            # staged there, and later writes inside it go to the CoW fork (§4.4, §9.3)
            blocks.stage_cow(machine, inode, first, last, why)
        _allocate_delalloc(machine, inode, first, last, why)
        _settle_blocks(machine, inode, first, last, why)
        _end_cow(machine, inode, first, last, why)
    except NoSpace:
        raise blocks.enospc(machine, "pwrite") from None
    inode.content.fill(start, stop, fill)
    grow(machine, inode, stop, why)
    # the completion logs the new size (xfs_dio_write_end_io -> xfs_setfilesize)
    inode.disk_size = max(inode.disk_size, min(stop, inode.size))


def _ext4_map_holes(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """ext4_iomap_alloc(): a direct write's holes get blocks before any data moves.

    Inside EOF they are unwritten (EXT4_GET_BLOCKS_IO_CREATE_EXT) and stay
    when the write then fails; from EOF on they are allocated too
    (EXT4_GET_BLOCKS_CREATE) -- so a full filesystem says ENOSPC first -- and
    a failed extending write truncates them again
    (``ext4_inode_extension_cleanup()``).  Raises :class:`NoSpace`.
    """
    eof_block = -(-inode.size // machine.fs.blocksize)
    past_eof = sum(b - a for a, b, e in inode.data.walk(max(first, eof_block), stop) if e is None)
    for a, b, extent in list(inode.data.walk(first, min(stop, eof_block))):
        if extent is None:
            blocks.allocate(
                machine,
                inode,
                a,
                b,
                ExtentState.UNWRITTEN,
                f"{why}: ext4 maps the hole's blocks first",
            )
    if past_eof > machine.fs.available():
        raise NoSpace(f"{why}: no room for the blocks past EOF")


def _xfs_map_first_hole(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """xfs_direct_write_iomap_begin(): the first mapping of the range, if a hole, gets
    unwritten blocks (``xfs_iomap_write_direct()``) before iomap checks the I/O; a check
    that fails leaves them.  Raises :class:`NoSpace`."""
    for a, b, extent in inode.data.walk(first, stop):
        if extent is None:
            _xfs_reserve(machine, inode, a, b)
            blocks.allocate(
                machine, inode, a, b, ExtentState.UNWRITTEN, f"{why}: XFS maps the hole first"
            )
        return


def _xfs_reserve(machine: Machine, inode: Inode, first: int, stop: int) -> None:
    """xfs_iomap_write_direct(): the transaction reserves XFS_DIOSTRAT_SPACE_RES, the
    new blocks plus ``bmap_levels - 1`` for a bmbt split, or fails with ENOSPC."""
    holes = sum(b - a for a, b, extent in inode.data.walk(first, stop) if extent is None)
    if holes and machine.fs.available() < holes + machine.fs.geometry.bmap_levels - 1:
        raise NoSpace(f"{inode.name}: no room for {holes} blocks and a bmbt split")


def _end_cow(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """xfs_reflink_end_cow(): the written range of the CoW fork is remapped into the data
    fork at completion, so it leaves the CoW fork (its blocks are the range's blocks now)."""
    for staged in list(inode.cow.clipped(first, stop)):
        inode.cow.remove(staged.file_block, staged.end)
        blocks.release_piece(
            machine, inode, staged, f"{why}: the I/O completion remaps it", fork="cow"
        )


def _allocate_delalloc(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Delalloc left under the range after the flush (XFS's speculative preallocation past
    EOF has no dirty page to write back) gets real blocks before the I/O: only the range's
    blocks, unwritten; the rest of the delalloc extent stays delalloc (§9.3).

    ``xfs_direct_write_iomap_begin()``: ``imap_needs_alloc()`` for a delalloc mapping,
    ``xfs_iomap_write_direct()`` allocates it unwritten.
    """
    for extent in list(inode.data.clipped(first, stop)):
        if extent.state is not ExtentState.DELALLOC:
            continue
        blocks.convert_delalloc(
            machine,
            inode,
            extent,
            ExtentState.UNWRITTEN,
            f"{why}: the delalloc blocks under it get real blocks first, unwritten",
        )


def _settle_blocks(machine: Machine, inode: Inode, first: int, stop: int, why: str) -> None:
    """Blocks ``[first, stop)`` become written private blocks, as the I/O completes."""
    blocks.make_written(machine, inode, first, stop, why, _COMPLETION)


_COMPLETION = blocks.WrittenWords(
    hole="the hole gets blocks, written when the I/O completes",
    unwritten="the I/O completion converts the unwritten blocks",
    shared="shared blocks are copied, and remapped when the I/O completes",
)


def read(machine: Machine, inode: Inode, offset: int, length: int, chunk: int) -> int:
    """xfs_io's pread on an O_DIRECT fd: the bytes read (short at EOF); nothing is cached."""
    end = offset + length
    position = offset
    done = 0
    while position < end:
        stop = min(end, position + chunk)
        if position >= inode.size:
            break
        writeback(
            machine,
            inode,
            position,
            stop,
            f"O_DIRECT pread {machine.span(position, stop)} writes the cached range back first",
        )
        for lo, hi in _mapped_pieces(machine, inode, position, stop):
            check_alignment(lo, hi - lo, "pread")
        got = min(stop, inode.size) - position
        done += got  # straight from the device into the buffer: no page is cached
        if got < stop - position:
            break
        position = stop
    return done
