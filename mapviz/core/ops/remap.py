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
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.pages import eof_page, invalidate
from mapviz.core.ops.setsize import xfs_zero_range
from mapviz.core.ops.writeback import writeback, writeback_all
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes, human_offset

MAX_DEDUPE_LEN = 1 << 30  # vfs_dedupe_file_range(): "Arbitrary 1G limit on a single dedupe request"


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
    dest_append: bool = False,
    shorten: bool = False,
    verb: str | None = None,
) -> int:
    """FICLONE/FICLONERANGE (``dedupe=False``) or FIDEDUPERANGE; ``length`` 0 = to EOF.

    ``source`` was opened read-only by xfs_io itself; ``dest`` is the current file.
    The checks run in the kernel's order: vfs_clone_file_range() /
    vfs_dedupe_file_range() + vfs_dedupe_file_range_one(), xfs_file_remap_range(),
    then __generic_remap_file_range_prep() and generic_remap_checks().
    ``shorten`` is REMAP_FILE_CAN_SHORTEN (dedupe always has it; copy_file_range
    asks with it, §9.8): a length that is not whole blocks is cut down instead of
    refused.  Returns the bytes remapped.
    """
    shorten = shorten or dedupe
    verb = verb or ("dedupe" if dedupe else "reflink")
    shares = machine.fs.policy.shares_blocks
    if dedupe:
        # vfs_dedupe_file_range(): the source fd (read-only is fine) decides first.
        if not shares:
            raise SyscallError(
                "EOPNOTSUPP",
                f"{verb}: {machine.fs.policy.name} cannot share blocks between files (§4.6)",
            )
        if src_offset + length > source.size:
            raise SyscallError(
                "EINVAL",
                f"dedupe: the source range runs past {source.name}'s EOF "
                f"({exact_bytes(source.size)})",
            )
        length = min(length, MAX_DEDUPE_LEN)
        # vfs_dedupe_file_range_one(): may_dedupe_file(), then a zero length is done.
        if not _may_dedupe(process, dest, dest_writable):
            raise SyscallError(
                "EPERM", f"dedupe: {process.name} may not write {dest.name} (may_dedupe_file)"
            )
        if length == 0:
            return 0
    else:
        # generic_file_rw_checks() before the filesystem is even asked.
        if not dest_writable:
            raise SyscallError("EBADF", f"{verb}: the destination fd is open read-only")
        if dest_append:
            # ... which also refuse an O_APPEND destination (§9.2)
            raise SyscallError("EBADF", f"{verb}: the destination fd is open O_APPEND")
        if not shares:
            raise SyscallError(
                "EOPNOTSUPP",
                f"{verb}: {machine.fs.policy.name} cannot share blocks between files (§4.6)",
            )
    if not machine.fs.config.reflink:
        # xfs_file_remap_range(): !xfs_has_reflink()
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
    count = _checked_length(
        machine, source, dest, src_offset, dst_offset, length, dedupe, shorten, verb
    )
    if count == 0:
        return 0
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
    count = _check_len(machine, dest, dst_offset, count, shorten, verb)
    if count == 0:
        return 0
    # xfs_reflink_remap_prep(): xfs_reflink_set_inode_flag() marks both files as
    # reflink inodes now, whether or not any block ends up shared
    source.reflinked = dest.reflinked = True
    if dst_offset > dest.size:
        # xfs_reflink_zero_posteof(): zero [EOF, dst_offset) first
        xfs_zero_range(machine, dest, dest.size, dst_offset - dest.size, f"{verb} past EOF")
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
            f"{verb}: {dest.name} grows to {exact_bytes(end)}",
            file=(dest.name, old, end),
        )
    return count


def _may_dedupe(process: Process, dest: Inode, writable: bool) -> bool:
    """may_dedupe_file(): CAP_SYS_ADMIN, a writable fd, the owner, or write permission."""
    if process.capable("sys_admin") or writable or process.uid == dest.owner:
        return True
    return not dest.immutable and process.capable("dac_override")


def _checked_length(
    machine: Machine,
    source: Inode,
    dest: Inode,
    src: int,
    dst: int,
    length: int,
    dedupe: bool,
    shorten: bool,
    verb: str,
) -> int:
    """__generic_remap_file_range_prep() + generic_remap_checks(): bytes to remap, or EINVAL.

    A zero length clones to the source's EOF (dedupe has returned already).
    Offsets must be block aligned; the source range must lie inside the
    source (a clone that asks for more is refused, "we shortened the request
    but the caller can't deal with that"); a range that ends at the source's
    EOF may end mid-block (the last block is shared whole), any other length
    must be whole blocks (dedupe and copy_file_range may shorten:
    REMAP_FILE_CAN_SHORTEN).
    """
    bs = machine.fs.blocksize
    ssize, dsize = source.size, dest.size
    if length == 0:  # "Zero length dedupe exits immediately; reflink goes to EOF."
        if dedupe or src == ssize:
            return 0
        if src > ssize:
            raise SyscallError("EINVAL", f"{verb}: source offset {human_offset(src)} is past EOF")
        length = ssize - src
    if src % bs or dst % bs:
        raise SyscallError(
            "EINVAL", f"{verb}: offsets must be multiples of the block size ({exact_bytes(bs)})"
        )
    if dedupe and (src >= ssize or src + length > ssize or dst >= dsize or dst + length > dsize):
        raise SyscallError("EINVAL", "dedupe: both ranges must lie inside their files")
    if src >= ssize:
        raise SyscallError(
            "EINVAL",
            f"{verb}: source offset {human_offset(src)} is at or past EOF ({exact_bytes(ssize)})",
        )
    count = min(length, ssize - src)
    check_file_limit(machine, dst + count, verb)
    if src + count == ssize and (not dedupe or dst + count == dsize):
        span = -(-ssize // bs) * bs - src
    else:
        if count % bs:
            if not shorten:
                raise SyscallError(
                    "EINVAL", f"{verb}: the length must be whole blocks unless it ends at EOF"
                )
            count = count // bs * bs
        span = count
    if source is dest and dst + span > src and dst < src + span:
        raise SyscallError("EINVAL", f"{verb}: the two ranges of {source.name} overlap")
    if count != length and not shorten:
        raise SyscallError(
            "EINVAL",
            f"{verb}: the source range runs past {source.name}'s EOF ({exact_bytes(ssize)})",
        )
    return count


def _check_len(
    machine: Machine, dest: Inode, dst: int, count: int, shorten: bool, verb: str
) -> int:
    """generic_remap_check_len(): a partial EOF block may not land inside the destination."""
    bs = machine.fs.blocksize
    if count % bs == 0 or dst + count >= dest.size:
        return count
    if shorten:
        return count // bs * bs  # REMAP_FILE_CAN_SHORTEN
    raise SyscallError(
        "EINVAL",
        f"{verb}: a partial EOF block cannot be linked into the middle of {dest.name} "
        f"(it ends at {human_offset(dst + count)}, before its EOF at {human_offset(dest.size)})",
    )


def _remap_blocks(
    machine: Machine, source: Inode, dest: Inode, src: int, dst: int, count: int, verb: str
) -> None:
    """xfs_reflink_remap_blocks() / xfs_reflink_remap_extent(), one source mapping at a time.

    Both unwritten: the destination keeps its unwritten extent.  Otherwise the
    destination's mapping (real or delalloc) goes and only a *written* source
    extent is mapped in (a hole or unwritten source leaves a hole).
    """
    bs = machine.fs.blocksize
    first, stop = src // bs, -(-(src + count) // bs)
    delta = dst // bs - first
    pieces = list(source.data.walk(first, stop))
    for piece_first, piece_stop, extent in pieces:
        for a, b, current in list(dest.data.walk(piece_first + delta, piece_stop + delta)):
            a, b = a - delta, b - delta
            if extent is None and current is None:
                continue
            if (
                extent is not None
                and current is not None
                and extent.state is ExtentState.UNWRITTEN
                and current.state is ExtentState.UNWRITTEN
            ):
                continue  # "If both extents are unwritten, leave them alone."
            if (
                extent is not None
                and current is not None
                and extent.physical_block is not None
                and current.physical_block == extent.physical_block + (a - extent.file_block)
            ):
                continue  # already the same blocks
            blocks.unmap(
                machine,
                dest,
                a + delta,
                b + delta,
                f"{verb} replaces {dest.name}'s blocks",
                cancel_cow=False,
            )
            if extent is None or extent.state is not ExtentState.WRITTEN:
                continue
            assert extent.physical_block is not None
            physical = extent.physical_block + (a - extent.file_block)
            machine.fs.add_reference(physical, b - a)
            dest.data.insert(a + delta, b - a, physical, ExtentState.WRITTEN)
            machine.emit(
                EventKind.SHARE,
                f"{verb}: {dest.name} {machine.block_span(a + delta, b + delta)} now shares "
                f"{machine.blocks_text(physical, physical + b - a)} "
                f"with {source.name} {machine.block_span(a, b)}",
                file=(dest.name, (a + delta) * bs, (b + delta) * bs),
                blocks=(physical, physical + b - a),
            )
            source.reflinked = dest.reflinked = True


def swapext(
    machine: Machine,
    process: Process,
    target: Inode,
    target_writable: bool,
    donor: Inode,
    *,
    target_append: bool = False,
) -> None:
    """XFS_IOC_SWAPEXT (xfs_fsr): exchange the whole data forks of two same-size files.

    xfs_io's swapext_f() has already opened the donor O_RDWR (open errors come
    first); it then bulkstats the target (XFS_IOC_BULKSTAT needs CAP_SYS_ADMIN:
    EPERM) and passes the *target's* st_size as sx_length.  xfs_ioc_swapext()
    checks the fds (EBADF), swapfiles and sameness (EINVAL) -- there is no
    immutable check -- and xfs_swap_extents() flushes both files, cancels the
    donor's CoW staging, then wants sx_length equal to both on-disk sizes
    (EFAULT) and a target with at least as many extents as the donor (EINVAL).
    """
    if not machine.fs.policy.xfs_ioctls:
        raise SyscallError("ENOTTY", "swapext: XFS_IOC_SWAPEXT is an XFS ioctl")
    if not process.capable("sys_admin"):
        raise SyscallError(
            "EPERM",
            f"swapext: xfs_io's bulkstat of the target needs CAP_SYS_ADMIN ({process.name})",
        )
    if not target_writable:
        raise SyscallError("EBADF", "swapext: the target fd must be open read-write")
    if target_append:
        # xfs_ioc_swapext(): neither file may be open O_APPEND (§9.2) -- after xfs_io's
        # bulkstat, which needs CAP_SYS_ADMIN (kernel_diff seed 90061)
        raise SyscallError("EBADF", f"swapext: {target.name} is open O_APPEND")
    for inode in (target, donor):
        if inode.swapfile:
            raise SyscallError("EINVAL", f"swapext: {inode.name} is an active swapfile")
    if target is donor:
        raise SyscallError("EINVAL", "swapext: a file cannot exchange extents with itself")
    length = target.size  # xfs_io: sx_length = fstat(target).st_size
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
    if length != target.disk_size or length != donor.disk_size:
        raise SyscallError(
            "EFAULT",
            f"swapext: the files differ in size ({target.name} {exact_bytes(target.disk_size)}, "
            f"{donor.name} {exact_bytes(donor.disk_size)}); all data must be exchanged",
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
