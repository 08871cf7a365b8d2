"""Remapping blocks between files: reflink (FICLONE/FICLONERANGE), dedupe, swapext.

Reflink and dedupe follow ``__generic_remap_file_range_prep()`` and
``generic_remap_checks()`` for the rules, then ``xfs_reflink_remap_blocks()``:
only *written* source extents are shared; the destination range loses what
it had (a source hole or unwritten extent leaves a hole), and the shared
blocks gain an owner.  swapext is ``xfs_swap_extents()`` (kernel-semantics
§4.4, conformance README).
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.fallocate import xfs_flush_unmap
from mapviz.core.ops.pages import eof_page, invalidate
from mapviz.core.ops.writeback import writeback, writeback_all
from mapviz.core.outcome import SyscallError

XFS_MAX_DEDUPE_LEN = 16 << 20  # xfs_file_remap_range() caps one dedupe call


def remap(
    machine: Machine,
    process: Process,
    source: Inode,
    dest: Inode,
    dest_writable: bool,
    src_offset: int,
    dst_offset: int,
    length: int,
    *,
    dedupe: bool,
) -> None:
    """FICLONE/FICLONERANGE (``dedupe=False``) or FIDEDUPERANGE; ``length`` 0 = to EOF.

    ``source`` was opened read-only by xfs_io itself; ``dest`` is the current file.
    """
    verb = "dedupe" if dedupe else "reflink"
    if not dedupe and not dest_writable:
        raise SyscallError("EBADF", f"{verb}: the destination fd is open read-only")
    if machine.fs.config.type != "xfs":
        raise SyscallError("EOPNOTSUPP", f"{verb}: ext4 cannot share blocks between files (§4.6)")
    if not machine.fs.config.reflink:
        raise SyscallError("EOPNOTSUPP", f"{verb}: this XFS was made without reflink support")
    if dest.immutable:
        raise SyscallError("EPERM", f"{verb}: {dest.name} is immutable (chattr +i)")
    for inode in (source, dest):
        if inode.swapfile:
            raise SyscallError(
                "ETXTBSY",
                f"{verb}: {inode.name} is an active swapfile; its blocks may not be shared",
            )
    for inode, kind in ((source, Change.CLONE_SOURCE), (dest, Change.CLONE_DEST)):
        machine.model.before_change(
            machine,
            process,
            inode,
            BlockMapChange(
                Change.DEDUPE if dedupe else kind,
                f"{verb} {source.name} -> {dest.name} would share blocks of {inode.name}",
            ),
        )
    count = _checked_length(machine, source, dest, src_offset, dst_offset, length, dedupe)
    if count == 0:
        return
    writeback(machine, source, src_offset, src_offset + count, f"{verb} flushes the source range")
    writeback(
        machine, dest, dst_offset, dst_offset + count, f"{verb} flushes the destination range"
    )
    if dedupe and not dest.content.equal(dst_offset, source.content, src_offset, count):
        raise SyscallError(
            "EBADE",
            f"dedupe: {source.name} {machine.span(src_offset, src_offset + count)} "
            f"and {dest.name} {machine.span(dst_offset, dst_offset + count)} hold different "
            "bytes (FILE_DEDUPE_RANGE_DIFFERS)",
        )
    if dst_offset > dest.size:
        xfs_flush_unmap(machine, dest, dest.size, count + dst_offset - dest.size, verb)
    else:
        xfs_flush_unmap(machine, dest, dst_offset, count, verb)
    _remap_blocks(machine, source, dest, src_offset, dst_offset, count, verb)
    dest.content.copy_from(source.content, src_offset, dst_offset, count)
    end = dst_offset + count
    if end > dest.size:
        old = dest.size
        dest.size = dest.disk_size = end
        machine.emit(
            EventKind.SIZE_CHANGE,
            f"{verb}: {dest.name} grows to {end} bytes",
            file=(dest.name, old, end),
        )


def _checked_length(
    machine: Machine, source: Inode, dest: Inode, src: int, dst: int, length: int, dedupe: bool
) -> int:
    """generic_remap_checks(): how many bytes to remap (0: nothing to do), or EINVAL.

    Offsets must be block aligned.  A range that ends at the source's EOF may
    end mid-block (the last block is shared whole); any other length is rounded
    down to whole blocks, so a short dedupe tail becomes nothing (case dedupe-xfs).
    """
    verb = "dedupe" if dedupe else "reflink"
    bs = machine.fs.blocksize
    if length == 0:  # FICLONE, or a zero length: "reflink goes to EOF"
        if dedupe or src == source.size:
            return 0
        if src > source.size:
            raise SyscallError("EINVAL", f"{verb}: source offset {src} is past EOF")
        length = source.size - src
    if src % bs or dst % bs:
        raise SyscallError("EINVAL", f"{verb}: offsets must be multiples of the block size ({bs})")
    if dedupe:
        length = min(length, XFS_MAX_DEDUPE_LEN)
        if src + length > source.size or dst + length > dest.size:
            raise SyscallError("EINVAL", "dedupe: both ranges must lie inside their files")
    if src >= source.size or src + length > source.size:
        raise SyscallError(
            "EINVAL", f"{verb}: the source range runs past {source.name}'s EOF ({source.size})"
        )
    to_eof = src + length == source.size and (not dedupe or dst + length == dest.size)
    if not to_eof:
        length = length // bs * bs
    span = -(-length // bs) * bs
    if source is dest and dst + span > src and dst < src + span:
        raise SyscallError("EINVAL", f"{verb}: the two ranges of {source.name} overlap")
    return length


def _remap_blocks(
    machine: Machine, source: Inode, dest: Inode, src: int, dst: int, count: int, verb: str
) -> None:
    bs = machine.fs.blocksize
    first, stop = src // bs, -(-(src + count) // bs)
    delta = dst // bs - first
    pieces = list(source.data.walk(first, stop))
    blocks.unmap(
        machine, dest, first + delta, stop + delta, f"{verb} replaces {dest.name}'s blocks"
    )
    for a, b, extent in pieces:
        if extent is None or extent.state is not ExtentState.WRITTEN:
            continue  # only written extents are shared (xfs_reflink_remap_extent)
        assert extent.physical_block is not None
        machine.fs.add_reference(extent.physical_block, b - a)
        dest.data.insert(a + delta, b - a, extent.physical_block, ExtentState.WRITTEN)
        machine.emit(
            EventKind.SHARE,
            f"{verb}: {dest.name} {machine.block_span(a + delta, b + delta)} now shares "
            f"{machine.blocks_text(extent.physical_block, extent.physical_block + b - a)} "
            f"with {source.name} {machine.block_span(a, b)}",
            file=(dest.name, (a + delta) * bs, (b + delta) * bs),
            blocks=(extent.physical_block, extent.physical_block + b - a),
        )
        source.reflinked = dest.reflinked = True


def swapext(
    machine: Machine, process: Process, target: Inode, target_writable: bool, donor: Inode
) -> None:
    """XFS_IOC_SWAPEXT (xfs_fsr): exchange the whole data forks of two same-size files."""
    if machine.fs.config.type != "xfs":
        raise SyscallError("ENOTTY", "swapext: XFS_IOC_SWAPEXT is an XFS ioctl")
    if not target_writable:
        raise SyscallError("EBADF", "swapext: the target fd must be open read-write")
    if target is donor:
        raise SyscallError("EINVAL", "swapext: a file cannot exchange extents with itself")
    for inode in (target, donor):
        if inode.swapfile:
            raise SyscallError("EINVAL", f"swapext: {inode.name} is an active swapfile")
        if inode.immutable:
            raise SyscallError("EPERM", f"swapext: {inode.name} is immutable (chattr +i)")
    for inode in (target, donor):
        machine.model.before_change(
            machine,
            process,
            inode,
            BlockMapChange(Change.SWAPEXT, f"swapext would exchange the extents of {inode.name}"),
        )
    for inode in (target, donor):
        writeback_all(machine, inode, "swapext flushes both files first")
        invalidate(
            machine, inode, 0, eof_page(inode) + 1, "swapext drops the page cache", even_cows=True
        )
    for staged in list(donor.cow):
        donor.cow.remove(staged.file_block, staged.end)
        blocks.release_piece(
            machine, donor, staged, "swapext cancels staged copy-on-write", fork="cow"
        )
    length = donor.size  # xfs_io passes the donor's size as sx_length
    if length != target.disk_size or length != donor.disk_size:
        raise SyscallError(
            "EFAULT",
            f"swapext: the files differ in size ({target.name} {target.disk_size}, "
            f"{donor.name} {donor.disk_size}); all data must be exchanged",
        )
    if len(target.data) < len(donor.data):
        raise SyscallError(
            "EINVAL",
            f"swapext: {target.name} has fewer extents ({len(target.data)}) than "
            f"{donor.name} ({len(donor.data)})",
        )
    target.data.swap(donor.data)
    target.content, donor.content = donor.content, target.content
    target.reflinked, donor.reflinked = donor.reflinked, target.reflinked
    for inode in (target, donor):
        machine.emit(
            EventKind.REMAP,
            f"swapext: {inode.name} now has the other file's extents",
            file=(inode.name, 0, inode.size),
        )
