"""XFS_IOC_EXCHANGE_RANGE (Linux 6.10+): swap the block mappings of two file ranges (§9.10).

``xfs_ioc_exchange_range()`` -> ``xfs_exchange_range()`` (fd checks) ->
``xfs_exchrange_contents()`` (the filesystem feature) -> ``xfs_exchrange_prep()``
(``xfs_exchange_range_checks()``, the flushes, the CoW fork's speculative
staging cancelled) -> ``xfs_exchrange_mappings()``: every mapping of file1's
range trades places with the one at the same distance into file2's range, in
one atomic, logged operation; with XFS_EXCHANGE_RANGE_TO_EOF the sizes are
exchanged too.  Data never moves: the blocks do (fs/xfs/xfs_exchrange.c).
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.core.content import Content
from mapviz.core.events import EventKind
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import Process
from mapviz.core.models.base import BlockMapChange, Change
from mapviz.core.ops import blocks
from mapviz.core.ops.fallocate import xfs_flush_unmap
from mapviz.core.ops.limits import check_file_limit
from mapviz.core.ops.release import xfs_blockgc_free_space
from mapviz.core.ops.writeback import writeback
from mapviz.core.outcome import SyscallError
from mapviz.scenario.numbers import exact_bytes, human_offset

XFS_BTREE_LBLOCK_CRC_LEN = 72
"""The header of a long-pointer btree block (bmbt) on a v5 filesystem, bytes."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request: file1's range ``[offset1, +length)`` with file2's ``[offset2, +length)``.

    ``to_eof`` is XFS_EXCHANGE_RANGE_TO_EOF (the length then runs to the
    further EOF and the sizes are exchanged), ``dsync`` XFS_EXCHANGE_RANGE_DSYNC,
    ``dry_run`` XFS_EXCHANGE_RANGE_DRY_RUN.
    """

    offset1: int
    offset2: int
    length: int
    to_eof: bool = True
    dsync: bool = False
    dry_run: bool = False


def exchange_range(
    machine: Machine,
    process: Process,
    file1: Inode,
    file2: Inode,
    file2_writable: bool,
    file2_append: bool,
    request: Exchange,
) -> None:
    """The ioctl on file2's descriptor; file1 was opened O_RDWR by the caller (xfs_io)."""
    # xfs_exchange_range(): both files open for reading and writing, neither O_APPEND
    if not file2_writable:
        raise SyscallError("EBADF", f"exchangerange: {file2.name} is not open for writing")
    if file2_append:
        raise SyscallError("EBADF", f"exchangerange: {file2.name} is open O_APPEND")
    # xfs_exchrange_contents(): the superblock must carry the exchange-range feature
    if not machine.fs.config.exchange:
        raise SyscallError(
            "EOPNOTSUPP",
            "exchangerange: this XFS was made without the exchange-range feature "
            "(mkfs.xfs -i exchange=1; %fs xfs exchange)",
        )
    length = _checks(machine, process, file1, file2, request)
    if length == 0:
        return
    # xfs_exchange_range_prep(): flush both ranges; xfs_exchrange_prep(): flush and
    # unmap them, and cancel the CoW fork's (speculative) staging there
    writeback(machine, file1, request.offset1, request.offset1 + length, "exchangerange")
    writeback(machine, file2, request.offset2, request.offset2 + length, "exchangerange")
    for inode, offset in ((file2, request.offset2), (file1, request.offset1)):
        xfs_flush_unmap(machine, inode, offset, length, "exchangerange")
    bs = machine.fs.blocksize
    count = -(-length // bs)
    for inode, offset in ((file1, request.offset1), (file2, request.offset2)):
        first = offset // bs
        for staged in list(inode.cow.clipped(first, first + count)):
            inode.cow.remove(staged.file_block, staged.end)
            blocks.release_piece(
                machine, inode, staged, "exchangerange cancels the CoW staging", fork="cow"
            )
    _reserve(machine, file1, file2, request.offset1 // bs, request.offset2 // bs, count)
    if request.dry_run:
        return  # "If we got this far on a dry run, all parameters are ok."
    _exchange_mappings(machine, file1, file2, request.offset1 // bs, request.offset2 // bs, count)
    if request.to_eof:
        # XFS_EXCHMAPS_SET_SIZES: the on-disk sizes in the transaction, then i_size
        file1.size, file2.size = file2.size, file1.size
        file1.disk_size, file2.disk_size = file2.disk_size, file1.disk_size
        for inode in (file1, file2):
            machine.emit(
                EventKind.SIZE_CHANGE,
                f"exchangerange: {inode.name} now has the other file's size "
                f"({exact_bytes(inode.size)})",
                file=(inode.name, 0, inode.size),
            )
    if request.dsync:
        machine.fs.force_log()


def _checks(
    machine: Machine, process: Process, file1: Inode, file2: Inode, request: Exchange
) -> int:
    """xfs_exchange_range_checks(): the length to exchange, or the error (§9.10)."""
    for inode in (file1, file2):
        if inode.immutable:
            raise SyscallError("EPERM", f"exchangerange: {inode.name} is immutable")
    for inode in (file1, file2):
        if inode.swapfile:
            raise SyscallError("ETXTBSY", f"exchangerange: {inode.name} is an active swapfile")
    # the model's decision point: a sealed block map may not change (map-direct-v5)
    for inode in (file1, file2):
        machine.model.before_change(
            machine,
            process,
            inode,
            BlockMapChange(
                Change.EXCHANGE,
                f"exchangerange {file1.name} <-> {file2.name} would swap blocks of {inode.name}",
            ),
        )
    size1, size2 = file1.size, file2.size
    off1, off2 = request.offset1, request.offset2
    if off1 > size1 or off2 > size2:
        raise SyscallError("EINVAL", "exchangerange: a range starts past its file's EOF")
    length = request.length
    if request.to_eof:
        length = max(size1 - off1, size2 - off2)
    bs = machine.fs.blocksize
    if off1 % bs or off2 % bs:
        raise SyscallError(
            "EINVAL",
            f"exchangerange: offsets must be multiples of the block size ({exact_bytes(bs)})",
        )
    if not request.to_eof and (off1 + length > size1 or off2 + length > size2):
        raise SyscallError("EINVAL", "exchangerange: a range runs past its file's EOF")
    for offset in (off1, off2):
        check_file_limit(machine, offset + length, "exchangerange")
    if off1 + length == size1:
        span = -(-size1 // bs) * bs - off1
    elif off2 + length == size2:
        span = -(-size2 // bs) * bs - off2
    elif length % bs:
        raise SyscallError(
            "EINVAL", "exchangerange: the length must be whole blocks unless it ends at EOF"
        )
    else:
        span = length
    if file1 is file2 and off2 + span > off1 and off1 + span > off2:
        raise SyscallError("EINVAL", f"exchangerange: the two ranges of {file1.name} overlap")
    if length % bs:
        # "don't exchange a partial EOF block into the middle of another file"
        cut = length
        if off2 + cut < size2:
            cut = cut // bs * bs
        if off1 + cut < size1:
            cut = cut // bs * bs
        if cut != length:
            raise SyscallError(
                "EINVAL",
                f"exchangerange: a partial EOF block would land before EOF "
                f"(at {human_offset(off1 + length)} or {human_offset(off2 + length)})",
            )
    return length


def _reserve(
    machine: Machine, file1: Inode, file2: Inode, first1: int, first2: int, count: int
) -> None:
    """xfs_exchrange_mappings(): the transaction reserves ``req.resblks`` or fails ENOSPC.

    ``xfs_exchmaps_estimate()`` counts the exchange steps (pairs of mappings
    that are not both holes) and ``xfs_exchmaps_estimate_overhead()`` reserves,
    for each of the two files, ``XFS_EXTENTADD_SPACE_RES`` (bmap_levels - 1)
    per XFS_MAX_CONTIG_BMAPS_PER_BLOCK steps: bmbt room for the mappings the
    exchange adds.  ``xfs_trans_alloc()`` retries once after a blockgc scan,
    which passes over the two files (their IOLOCKs are held) (§9.10).
    """
    delta = first2 - first1
    cuts = {first1, first1 + count}
    cuts.update(a for a, _, _ in file1.data.walk(first1, first1 + count))
    cuts.update(a - delta for a, _, _ in file2.data.walk(first2, first2 + count))
    steps = sum(
        1
        for cut in sorted(cuts)[:-1]
        if file1.data.find(cut) is not None or file2.data.find(cut + delta) is not None
    )
    if not steps:
        return
    # XFS_MAX_CONTIG_BMAPS_PER_BLOCK: m_bmap_dmxr - m_bmap_dmnr of a bmbt leaf
    maxrecs = (machine.fs.blocksize - XFS_BTREE_LBLOCK_CRC_LEN) // 16
    per_block = maxrecs - maxrecs // 2
    need = 2 * -(-steps // per_block) * (machine.fs.geometry.bmap_levels - 1)
    why = f"exchangerange {file1.name} <-> {file2.name}"
    if need > machine.fs.available():
        xfs_blockgc_free_space(machine, sync=False, why=why, locked=(file1, file2))
    if need > machine.fs.available():
        raise SyscallError(
            "ENOSPC", f"{why}: no room for the {need} blocks its transaction reserves"
        )


def _exchange_mappings(
    machine: Machine, file1: Inode, file2: Inode, first1: int, first2: int, count: int
) -> None:
    """xfs_exchange_mappings(): each file gets the other's mappings (and bytes) of the range."""
    bs = machine.fs.blocksize
    taken1 = file1.data.remove(first1, first1 + count)
    taken2 = file2.data.remove(first2, first2 + count)
    for pieces, inode, delta in (
        (taken1, file2, first2 - first1),
        (taken2, file1, first1 - first2),
    ):
        for piece in pieces:
            inode.data.insert(
                piece.file_block + delta, piece.length, piece.physical_block, piece.state
            )
    saved = Content()
    saved.copy_from(file1.content, first1 * bs, 0, count * bs)
    file1.content.copy_from(file2.content, first2 * bs, first1 * bs, count * bs)
    file2.content.copy_from(saved, 0, first2 * bs, count * bs)
    # xfs_exchmaps_ensure_reflink(): shared blocks may now be in either file
    if file1.reflinked or file2.reflinked:
        file1.reflinked = file2.reflinked = True
    for inode, first in ((file1, first1), (file2, first2)):
        machine.emit(
            EventKind.REMAP,
            f"exchangerange: {inode.name} {machine.block_span(first, first + count)} now maps "
            "the other file's blocks (the data did not move)",
            file=(inode.name, first * bs, (first + count) * bs),
        )
