"""xfs_io 6.1's ``bmap``, ``bmap -v`` and ``bmap -vp`` output.

Two halves, both ported line by line: :func:`getbmap_records` is what the
kernel's ``xfs_getbmap()`` (fs/xfs/xfs_bmap_util.c) returns to
``XFS_IOC_GETBMAPX`` for the data fork, and :func:`format_bmap` prints it the
way xfsprogs ``io/bmap.c`` does.  Units are 512-byte sectors throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mapviz.report.extents import Extent

SECTOR = 512
HOLE = -1
"""``bmv_block`` of a hole record."""
DELALLOC = -2
"""``bmv_block`` of a delalloc record (``BMV_OF_DELALLOC``, asked for with ``bmap -e``)."""

_MAX_FILE_SIZE = (1 << 63) - 1  # XFS s_maxbytes (MAX_LFS_FILESIZE)
_MIN_RANGE_WIDTH = 16  # io/bmap.c MINRANGE_WIDTH
_MIN_AG_WIDTH = 2  # io/bmap.c MINAG_WIDTH
_MIN_TOTAL_WIDTH = 5  # io/bmap.c MINTOT_WIDTH
_FLAG_SHARED = 0o100000  # io/bmap.c FLG_SHARED
_FLAG_UNWRITTEN = 0o010000  # io/bmap.c FLG_PRE


class BmapRecord(NamedTuple):
    """One ``struct getbmapx`` record, in 512-byte sectors."""

    offset: int
    length: int
    block: int
    """Disk address in sectors, or :data:`HOLE`."""
    unwritten: bool
    """``BMV_OF_PREALLOC``: set only when the caller asked with ``-p``."""
    shared: bool


def getbmap_records(
    extents: Sequence[Extent],
    *,
    size: int | None,
    blocksize: int,
    flags: bool,
    preallocated: bool = False,
    delalloc: bool = False,
) -> list[BmapRecord]:
    """The records ``XFS_IOC_GETBMAPX`` returns for a whole data fork.

    Parameters
    ----------
    extents
        Data-fork extents in offset order, each already split where its
        shared flag changes (as ``xfs_reflink_trim_around_shared()`` does).
    size
        The file size (``None``: the end of the last extent).
    blocksize
        Filesystem block size; ranges are rounded out to whole blocks.
    flags
        ``bmap -p`` (``BMV_IF_PREALLOC``): mark unwritten extents.
    preallocated
        The inode has ``XFS_DIFLAG_PREALLOC`` (set by fallocate) or an extent
        size hint: the map runs to ``s_maxbytes`` instead of stopping at EOF,
        so blocks beyond EOF are reported.
    delalloc
        ``bmap -e`` (``BMV_IF_DELALLOC``): delalloc extents are reported
        (block :data:`DELALLOC`), and a fork with no extent is one hole
        over the whole file.

    Returns
    -------
    list[BmapRecord]
        Holes and extents; empty when the fork has no extent at all.
        Delalloc extents are left out, as without ``BMV_IF_DELALLOC`` (xfs_io
        ``bmap`` has flushed them first); any other extent without a physical
        address comes out as a hole.

    Examples
    --------
    >>> from types import SimpleNamespace as X
    >>> getbmap_records([X(offset=8192, length=4096, physical=1 << 20,
    ...                    state="written", shared=False)],
    ...                 size=16384, blocksize=4096, flags=False)
    ... # doctest: +NORMALIZE_WHITESPACE
    [BmapRecord(offset=0, length=16, block=-1, unwritten=False, shared=False),
     BmapRecord(offset=16, length=8, block=2048, unwritten=False, shared=False),
     BmapRecord(offset=24, length=8, block=-1, unwritten=False, shared=False)]
    """
    per_block = blocksize // SECTOR
    # (start block, block count, physical block or None, state, shared)
    fork = [
        (
            extent.offset // blocksize,
            -(-(extent.offset + extent.length) // blocksize) - extent.offset // blocksize,
            None if extent.physical is None else extent.physical // blocksize,
            extent.state,
            extent.shared,
        )
        for extent in extents
    ]
    if size is None:
        size = max((extent.offset + extent.length for extent in extents), default=0)
    eof_blocks = -(-size // blocksize)
    max_len = _MAX_FILE_SIZE if preallocated else size
    bmv_end = -(-max_len // blocksize) * per_block  # sectors
    range_blocks = bmv_end // per_block
    records: list[BmapRecord] = []
    if bmv_end == 0:
        return records
    if not fork:
        # xfs_getbmap(): "report a whole-file hole if the delalloc flag is set"
        if delalloc and eof_blocks:
            records.append(BmapRecord(0, eof_blocks * per_block, HOLE, False, False))
        return records
    remaining = bmv_end  # bmv_length: 0 means "full"

    def report(offset: int, length: int, block: int, unwritten: bool, shared: bool) -> None:
        nonlocal remaining
        records.append(BmapRecord(offset, length, block, unwritten, shared))
        remaining = max(0, bmv_end - (offset + length))

    bno = 0
    for index, (start, count, physical, state, shared) in enumerate(fork):
        # xfs_trim_extent() to [0, range_blocks): an extent wholly outside
        # keeps its start and gets a zero length.
        if start + count <= 0 or start >= range_blocks:
            count = 0
        else:
            end = min(start + count, range_blocks)
            count = end - start
        if start > bno:
            report(bno * per_block, (start - bno) * per_block, HOLE, False, False)
            if remaining == 0:
                break
        bno = start + count
        if state == "delalloc" and delalloc:
            report(start * per_block, count * per_block, DELALLOC, False, shared)
            if remaining == 0:
                break
        elif state != "delalloc":  # skipped without BMV_IF_DELALLOC
            block = HOLE if physical is None else physical * per_block
            report(
                start * per_block,
                count * per_block,
                block,
                flags and state == "unwritten",
                shared,
            )
            if remaining == 0:
                break
        if index == len(fork) - 1:
            if bno < eof_blocks:
                report(bno * per_block, (eof_blocks - bno) * per_block, HOLE, False, False)
            break
        if bno >= range_blocks:
            break
    return records


def format_bmap(
    name: str,
    extents: Sequence[Extent],
    *,
    verbose: bool,
    flags: bool,
    ag_blocks: int,
    blocksize: int,
    size: int | None = None,
    preallocated: bool = False,
    ag_count: int | None = None,
    delalloc: bool = False,
    blocks: bool = False,
) -> list[str]:
    """Lines of xfs_io's ``bmap``, ``bmap -v`` or ``bmap -vp`` (``flags``).

    Parameters
    ----------
    name
        The file name xfs_io prints.
    extents
        The data fork's extents in offset order (holes are the gaps).
    verbose
        ``-v``: the table with AG, AG-OFFSET and TOTAL columns.
    flags
        ``-p``: report unwritten extents (FLAGS column 010000).
    ag_blocks, blocksize
        Filesystem geometry (``xfs_info`` agsize and bsize).
    size, preallocated
        See :func:`getbmap_records`.
    ag_count
        Number of AGs; only widens the AG column past 2 digits at 100 AGs.
    delalloc
        ``-e``: see :func:`getbmap_records`; such records print ``delalloc``.
    blocks
        ``-l``: each line of the plain table ends `` N blocks``.

    Returns
    -------
    list[str]
        The output lines without newlines (``NAME: no extents`` for a file
        with no extent at all).

    Examples
    --------
    >>> from types import SimpleNamespace as X
    >>> extents = [X(offset=0, length=16384, physical=134316032, state="unwritten",
    ...              shared=False)]
    >>> print("\\n".join(format_bmap("f", extents, verbose=True, flags=True,
    ...                              ag_blocks=32768, blocksize=4096, size=65536)))
    f:
     EXT: FILE-OFFSET      BLOCK-RANGE      AG AG-OFFSET        TOTAL FLAGS
       0: [0..31]:         262336..262367    1 (192..223)          32 010000
       1: [32..127]:       hole                                    96
    >>> format_bmap("f", [], verbose=False, flags=False, ag_blocks=1, blocksize=4096)
    ['f: no extents']
    """
    records = getbmap_records(
        extents,
        size=size,
        blocksize=blocksize,
        flags=flags,
        preallocated=preallocated,
        delalloc=delalloc,
    )
    if not records:
        return [f"{name}: no extents"]
    lines = [f"{name}:"]
    if not verbose:
        for index, record in enumerate(records):
            end = record.offset + record.length - 1
            count = f" {record.length} blocks" if blocks else ""
            lines.append(f"\t{index}: [{record.offset}..{end}]: {_plain_blocks(record)}{count}")
        return lines
    per_ag = ag_blocks * blocksize // SECTOR
    foff_w = boff_w = aoff_w = _MIN_RANGE_WIDTH
    tot_w = _MIN_TOTAL_WIDTH
    for record in records:
        foff_w = max(foff_w, len(_file_range(record)))
        tot_w = max(tot_w, len(str(record.length)))
        if record.block != HOLE:
            boff_w = max(boff_w, len(_block_range(record)))
            aoff_w = max(aoff_w, len(_ag_range(record, per_ag)[1]))
    agno_w = max(_MIN_AG_WIDTH, len(str(ag_count))) if ag_count is not None else _MIN_AG_WIDTH
    # io/bmap.c: the FLAGS header comes with -p (or stripe geometry, not modelled).
    lines.append(
        f"{'EXT':>4}: {'FILE-OFFSET':<{foff_w}} {'BLOCK-RANGE':<{boff_w}} "
        f"{'AG':>{agno_w}} {'AG-OFFSET':<{aoff_w}} {'TOTAL':>{tot_w}}" + (" FLAGS" if flags else "")
    )
    for index, record in enumerate(records):
        head = f"{index:>4}: {_file_range(record):<{foff_w}} "
        if record.block in (HOLE, DELALLOC):
            word = "hole" if record.block == HOLE else "delalloc"
            lines.append(
                f"{head}{word:<{boff_w}} {'':>{agno_w}} {'':<{aoff_w}} {record.length:>{tot_w}}"
            )
            continue
        agno, ag_range = _ag_range(record, per_ag)
        line = (
            f"{head}{_block_range(record):<{boff_w}} {agno:>{agno_w}} {ag_range:<{aoff_w}} "
            f"{record.length:>{tot_w}}"
        )
        bits = (_FLAG_UNWRITTEN if record.unwritten else 0) | (_FLAG_SHARED if record.shared else 0)
        # io/bmap.c prints the octal flags when any is set, or always with -p.
        if bits or flags:
            line += f" {bits:06o}"
        lines.append(line)
    return lines


def _file_range(record: BmapRecord) -> str:
    return f"[{record.offset}..{record.offset + record.length - 1}]:"


def _block_range(record: BmapRecord) -> str:
    return f"{record.block}..{record.block + record.length - 1}"


def _ag_range(record: BmapRecord, per_ag: int) -> tuple[int, str]:
    """AG number and ``(start..end)`` within it (disk addresses are linear).

    C's division truncates toward zero: a delalloc record's block -2 (which
    io/bmap.c measures before printing ``delalloc``) is in "AG 0".
    """
    agno = int(record.block / per_ag) if record.block < 0 else record.block // per_ag
    start = record.block - agno * per_ag
    return agno, f"({start}..{start + record.length - 1})"


def _plain_blocks(record: BmapRecord) -> str:
    if record.block == HOLE:
        return "hole"
    return "delalloc" if record.block == DELALLOC else _block_range(record)
