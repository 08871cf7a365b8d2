"""What mkfs + mount leave on a fresh device: block counts, metadata layout, free space.

The numbers reproduce ``mkfs.xfs`` (xfsprogs 6.1), ``mkfs.ext4`` (e2fsprogs
1.47 with Debian's ``mke2fs.conf``) and the statfs/ENOSPC accounting of Linux
6.18, as the recorder makes its images: ``mkfs.xfs -f -b size=N -m
reflink=0|1`` and ``mkfs.ext4 -b N -E nodiscard`` on a whole file, default
mount options.  They are derived from the sources (each rule names the
function it comes from) and checked against real images in
``tests/core/test_geometry.py``; ``docs/geometry-notes.md`` has the
measurements and the derivations.

Two kinds of "not free" matter to the simulator:

* ``metadata``: blocks the filesystem occupies on disk (AG headers, free-list
  blocks, log, inode chunk for XFS; superblocks, group descriptors, bitmaps,
  inode tables, journal, root and lost+found directories for ext4).  Data is
  never placed there.
* ``unavailable_blocks``: blocks free on disk that no data allocation of a
  root process may take.  XFS hides them from statfs already (reserve pool,
  allocation set-aside, per-AG btree reservations); ext4 reports them in
  ``f_bfree`` but refuses them to ordinary allocations (``s_resv_clusters``).

So ``total_blocks - sum(metadata) - unavailable_blocks`` is what data may use:
XFS's ``f_bfree``, ext4's ``f_bfree - s_resv_clusters``.  On top of that every
XFS fallocate transaction must reserve ``xfs_falloc_reservation`` blocks and
every XFS delalloc extent ``xfs_delalloc_indlen`` extra blocks; an ext4 file
loses blocks to its extent tree (``ext4_extent_tree_blocks``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cache

__all__ = [
    "Geometry",
    "ext4_extent_tree_blocks",
    "mkfs_geometry",
    "xfs_delalloc_indlen",
    "xfs_falloc_reservation",
]

_KIB = 1024
_MIB = 1024 * 1024
_GIB = 1024 * _MIB
_TIB = 1024 * _GIB


@dataclass(frozen=True, slots=True)
class Geometry:
    """A freshly made and mounted filesystem, in blocks of ``blocksize`` bytes.

    Attributes
    ----------
    fs_type, blocksize, size, reflink
        What was asked for (``reflink`` is always False for ext4).
    total_blocks
        Blocks on the device (XFS ``sb_dblocks``, ext4 ``s_blocks_count``).
    metadata
        ``(first_block, count)`` ranges the filesystem itself occupies after
        mkfs + mount, sorted and disjoint, where mkfs puts them.
    free_blocks
        statfs ``f_bfree`` right after mount.
    unavailable_blocks
        Blocks free on disk (``total_blocks - sum(metadata)``) that no data
        allocation by root can use; see the module docstring.  XFS:
        ``reserve_pool + set_aside + ag_reserved`` minus the 4 AGFL blocks per
        AG, which ``metadata`` lists although ``sb_fdblocks`` counts them free.
        ext4: ``resv_clusters``.
    ag_blocks, ag_count
        XFS allocation-group size and count; ext4 blocks per group and groups.
    statfs_blocks, avail_blocks, inode_count
        statfs ``f_blocks``, ``f_bavail`` (what an unprivileged user may use)
        and ``f_files``.
    log_start, log_blocks
        The XFS internal log / the ext4 journal (first block and size; the
        ext4 journal may be in several pieces, all listed in ``metadata``).
    reserve_pool, set_aside, ag_reserved
        XFS only: ``m_resblks``, ``m_alloc_set_aside`` and the per-AG
        finobt/refcountbt reservations hidden from ``f_bfree`` at mount.
    resv_clusters, root_reserved
        ext4 only: ``s_resv_clusters`` (refused to every ordinary allocation)
        and ``s_r_blocks_count`` (refused to non-root users only).
    bmap_levels
        XFS only: maximum height of a data-fork block-map btree
        (``m_bm_maxlevels[XFS_DATA_FORK]``); it sets the per-transaction and
        per-delalloc-extent overheads.

    Examples
    --------
    >>> g = mkfs_geometry("xfs", 64 * 1024 * 1024, 4096, True)
    >>> g.total_blocks, g.ag_count, g.log_blocks, g.free_blocks
    (16384, 4, 1368, 14023)
    >>> g.total_blocks - sum(n for _, n in g.metadata) - g.unavailable_blocks
    14023
    >>> g.falloc_reservation(14019) <= g.usable_blocks
    True
    """

    fs_type: str
    blocksize: int
    size: int
    reflink: bool
    total_blocks: int
    metadata: tuple[tuple[int, int], ...]
    free_blocks: int
    unavailable_blocks: int
    ag_blocks: int
    ag_count: int
    statfs_blocks: int
    avail_blocks: int
    inode_count: int
    log_start: int
    log_blocks: int
    reserve_pool: int = 0
    set_aside: int = 0
    ag_reserved: int = 0
    resv_clusters: int = 0
    root_reserved: int = 0
    bmap_levels: int = 0

    @property
    def metadata_blocks(self) -> int:
        """Blocks in ``metadata``."""
        return sum(count for _, count in self.metadata)

    @property
    def usable_blocks(self) -> int:
        """Blocks data allocations by root may take on the fresh filesystem."""
        return self.total_blocks - self.metadata_blocks - self.unavailable_blocks

    def falloc_reservation(self, range_blocks: int) -> int:
        """Free blocks one fallocate step over ``range_blocks`` needs up front.

        XFS: see :func:`xfs_falloc_reservation`.  ext4 reserves nothing up
        front (``ext4_alloc_file_blocks`` maps piece by piece, keeps what it
        got on ENOSPC and moves i_size to its end), so one free block is
        enough to start.
        """
        if self.fs_type == "xfs":
            return xfs_falloc_reservation(range_blocks, self.blocksize)
        return min(range_blocks, 1)

    def delalloc_indlen(self, blocks: int) -> int:
        """Extra blocks a delalloc extent of ``blocks`` reserves (0 on ext4)."""
        if self.fs_type == "xfs":
            return xfs_delalloc_indlen(blocks, self.blocksize)
        return 0


def mkfs_geometry(fs_type: str, size: int, blocksize: int, reflink: bool) -> Geometry:
    """The geometry ``mkfs`` + ``mount`` give a ``size``-byte device.

    Parameters
    ----------
    fs_type
        ``"xfs"`` or ``"ext4"``.
    size
        Device size in bytes (rounded down to whole blocks).
    blocksize
        1024, 2048 or 4096 (measured); larger powers of two up to 65536
        follow the same formulas, unverified.
    reflink
        XFS ``-m reflink=1``; ignored for ext4.

    Raises
    ------
    ValueError
        Unknown type, bad block size, or a device mkfs would refuse.

    Examples
    --------
    >>> g = mkfs_geometry("ext4", 64 * 1024 * 1024, 4096, False)
    >>> g.free_blocks, g.resv_clusters, g.usable_blocks
    (14319, 327, 13992)
    """
    if blocksize < 1024 or blocksize > 65536 or blocksize & (blocksize - 1):
        raise ValueError(f"block size {blocksize} is not a power of two in 1k..64k")
    if fs_type == "xfs":
        return _xfs_geometry(size, blocksize, reflink)
    if fs_type == "ext4":
        return _ext4_geometry(size, blocksize)
    raise ValueError(f"unknown filesystem type {fs_type!r}")


# --------------------------------------------------------------------------- XFS
#
# Constants of the on-disk format (fs/xfs/libxfs/xfs_format.h, xfs_fs.h).
_XFS_SECTOR = 512  # mkfs.xfs on a file: 512-byte sectors
_XFS_INODE_SIZE = 512  # mkfs.xfs default for v5 filesystems
_XFS_INODES_PER_CHUNK = 64
_XFS_SBLOCK_CRC_LEN = 56  # short-form (per-AG) btree block header with CRC
_XFS_LBLOCK_CRC_LEN = 72  # long-form (bmbt) btree block header with CRC
_XFS_MAX_BMBT_EXTLEN = (1 << 21) - 1  # BMBT_BLOCKCOUNT_MASK
_XFS_AGFL_RESERVE = 4  # XFS_ALLOCBT_AGFL_RESERVE (xfs_alloc.c)
_XFS_AGFL_INITIAL = 4  # mkfs fills each AGFL with 4 blocks (xfs_alloc_fix_freelist)
_XFS_MIN_LOG_BLOCKS = 512
_XFS_MAX_LOG_BLOCKS = 1024 * 1024
_XFS_MIN_LOG_BYTES = 10 * _MIB
_XFS_MAX_LOG_BYTES = 2 * _GIB - _XFS_MIN_LOG_BYTES
_XFS_AG_MIN_BYTES = 16 * _MIB
_XFS_AG_MAX_BYTES = 1 * _TIB


def _howmany(a: int, b: int) -> int:
    return -(-a // b)


def _log2_roundup(x: int) -> int:
    return (x - 1).bit_length()


def _btree_maxlevels(minrecs: tuple[int, int], records: int) -> int:
    """xfs_btree_compute_maxlevels: height of a btree of ``records`` at minimum fill."""
    blocks = _howmany(records, minrecs[0])
    height = 1
    while blocks > 1:
        blocks = _howmany(blocks, minrecs[1])
        height += 1
    return height


def _btree_calc_size(minrecs: tuple[int, int], records: int) -> int:
    """xfs_btree_calc_size: blocks of a btree holding ``records`` at minimum fill."""
    level = _howmany(records, minrecs[0])
    blocks = level
    while level > 1:
        level = _howmany(level, minrecs[1])
        blocks += level
    return blocks


def _short_btree_minrecs(blocksize: int, rec: int, key: int) -> tuple[int, int]:
    """Minimum records per leaf and node block of a per-AG btree (4-byte pointers)."""
    space = blocksize - _XFS_SBLOCK_CRC_LEN
    return space // rec // 2, space // (key + 4) // 2


@cache  # a pure function of two small ints, asked on every delalloc reservation
def _bmap_maxlevels(blocksize: int, attr_fork: bool = False) -> int:
    """xfs_bmap_compute_maxlevels for a fork of a filesystem without nrext64."""
    # xfs_iext_max_nextents: 2^31-1 data extents, 2^15-1 attr extents (no nrext64).
    max_extents = (1 << 15) - 1 if attr_fork else (1 << 31) - 1
    # xfs_bmdr_maxrecs(XFS_BMDR_SPACE_CALC(MINDBTPTRS=3 / MINABTPTRS=2), 0)
    root_records = 2 if attr_fork else 3
    minrecs = (blocksize - _XFS_LBLOCK_CRC_LEN) // 16 // 2  # 16-byte recs, key+ptr
    blocks = _howmany(max_extents, minrecs)
    level = 1
    while blocks > 1:
        blocks = 1 if blocks <= root_records else _howmany(blocks, minrecs)
        level += 1
    return level


def xfs_falloc_reservation(range_blocks: int, blocksize: int = 4096) -> int:
    """Blocks one ``xfs_alloc_file_space`` iteration reserves for ``range_blocks``.

    Each iteration of the fallocate loop reserves the whole *remaining* range
    (capped at one maximal extent, ``XFS_MAX_BMBT_EXTLEN`` = 2^21 - 1 blocks),
    whether or not parts of it are already allocated, plus
    ``XFS_DIOSTRAT_SPACE_RES`` = ``bmap_levels - 1`` blocks for a bmbt split
    (xfs_bmap_util.c ``xfs_alloc_file_space``; xfs_trans_space.h).  The
    transaction fails with ENOSPC, having allocated nothing in this
    iteration, unless that many blocks are free (``f_bfree``).  So a range of
    up to 2^21 - 1 blocks is all or nothing, and an empty file takes at most
    ``f_bfree - (bmap_levels - 1)`` blocks (measured at every grid point);
    longer ranges keep the extents of the iterations that succeeded.

    Examples
    --------
    >>> xfs_falloc_reservation(100, 4096), xfs_falloc_reservation(100, 1024)
    (104, 106)
    >>> xfs_falloc_reservation(1 << 30, 4096)
    2097155
    """
    return min(range_blocks, _XFS_MAX_BMBT_EXTLEN) + _bmap_maxlevels(blocksize) - 1


@cache
def xfs_delalloc_indlen(blocks: int, blocksize: int = 4096) -> int:
    """Worst-case bmbt blocks reserved with a delalloc extent of ``blocks`` blocks.

    ``xfs_bmap_worst_indlen`` (libxfs/xfs_bmap.c): a buffered write into a
    hole reserves ``blocks + indlen`` from the free counter
    (``xfs_bmapi_reserve_delalloc``); merged delalloc extents keep at most the
    sum of their old reservations.  One small extent costs ``bmap_levels``.

    Examples
    --------
    >>> xfs_delalloc_indlen(1, 4096), xfs_delalloc_indlen(1, 1024)
    (5, 7)
    >>> xfs_delalloc_indlen(16384, 4096)
    70
    """
    levels = _bmap_maxlevels(blocksize)
    maxrecs = (blocksize - _XFS_LBLOCK_CRC_LEN) // 16  # m_bmap_dmxr (leaf == node here)
    length = blocks
    total = 0
    for level in range(levels):
        length = _howmany(length, maxrecs)
        total += length
        if length == 1:
            return total + levels - level - 1
    return total


@dataclass(frozen=True, slots=True)
class _XfsLevels:
    """Btree heights and sizes mkfs and the log reservations depend on."""

    blocksize: int
    reflink: bool
    alloc_levels: int
    inobt_levels: int
    refc_levels: int
    bmap_levels: int
    attr_bmap_levels: int
    alloc_maxrecs: int
    alloc_minrecs: int


def _xfs_levels(blocksize: int, agblocks: int, reflink: bool) -> _XfsLevels:
    alloc = _short_btree_minrecs(blocksize, 8, 8)  # bnobt/cntbt: 8-byte recs and keys
    inobt = _short_btree_minrecs(blocksize, 16, 4)
    refc = _short_btree_minrecs(blocksize, 12, 4)
    inopblog = _log2_roundup(blocksize // _XFS_INODE_SIZE)
    # xfs_ialloc_setup_geometry: every inode number an AG can hold.
    ag_inodes = (1 << (_log2_roundup(agblocks) + inopblog)) >> 6
    return _XfsLevels(
        blocksize=blocksize,
        reflink=reflink,
        alloc_levels=_btree_maxlevels(alloc, (agblocks + 1) // 2),  # xfs_alloc_compute_maxlevels
        inobt_levels=_btree_maxlevels(inobt, ag_inodes),
        refc_levels=_btree_maxlevels(refc, agblocks),  # xfs_refcountbt_compute_maxlevels
        bmap_levels=_bmap_maxlevels(blocksize),
        attr_bmap_levels=_bmap_maxlevels(blocksize, attr_fork=True),
        alloc_maxrecs=(blocksize - _XFS_SBLOCK_CRC_LEN) // 8,
        alloc_minrecs=alloc[0],
    )


def _xfs_min_log_blocks(lv: _XfsLevels) -> int:
    """libxfs_log_calc_minimum_size of xfsprogs 6.1 for the default v5 feature set.

    The log must hold three of the largest transaction reservation
    (xfs_log_rlimit.c); the reservations are those of xfs_trans_resv.c with
    the "minlogsize" compatibility values for reflink (refcountbt splits
    counted inline, log counts of 8).  Quotas, realtime and rmapbt are off.
    """
    bs = lv.blocksize
    sect = _XFS_SECTOR

    def buf(nbufs: int, size: int) -> int:  # xfs_calc_buf_res: +128 log overhead per buffer
        return nbufs * (size + 128)

    def allocfree(ops: int) -> int:  # xfs_allocfree_block_count (no rmapbt)
        return ops * 2 * (2 * lv.alloc_levels - 1)

    def refcount(ops: int) -> int:  # xfs_refcountbt_block_count
        return ops * (2 * lv.refc_levels - 1)

    def inode(n: int) -> int:  # xfs_calc_inode_res: 4 op headers, ilf, core, 2 bmbt headers
        return n * (4 * 12 + 56 + _XFS_INODE_SIZE + 2 * _XFS_LBLOCK_CRC_LEN)

    dquot = (24 + 104) * 6  # XFS_DQUOT_LOGRES
    extentadd = lv.bmap_levels - 1  # XFS_EXTENTADD_SPACE_RES(data fork)
    contig = lv.alloc_maxrecs - lv.alloc_minrecs  # XFS_MAX_CONTIG_EXTENTS_PER_BLOCK
    dirblk = max(4096, bs)  # mkfs -n size default: 4 KiB directory blocks
    dir_fsbs = dirblk // bs  # XFS_DAENTER_1B(data fork) = m_dir_geo->fsbcount
    # XFS_DIROP_LOG_COUNT = DAENTER_BLOCKS + DAENTER_BMAPS + 1 (xfs_trans_space.h)
    dirop = 7 * dir_fsbs + 7 * (_howmany(dir_fsbs, contig) * extentadd) + 1
    inobt = buf(lv.inobt_levels, bs) + buf(allocfree(1), bs)  # xfs_calc_inobt_res
    finobt = inobt  # finobt=1
    chunk_alloc = buf(allocfree(1), bs)  # v5 inode chunks are ordered buffers
    chunk_free = buf(allocfree(1), bs) + buf(_XFS_INODES_PER_CHUNK * _XFS_INODE_SIZE // bs, 0)
    cluster = max(bs, 16 * _KIB)  # inode_cluster_size: 8k scaled by isize/256
    iunlink_remove = buf(1, sect) + 2 * cluster
    iunlink_add = buf(1, sect) + cluster
    refc_adj = 1 if lv.reflink else 0

    t1 = inode(1) + buf(lv.bmap_levels, bs) + buf(3, sect) + buf(allocfree(2), bs)
    t3 = buf(5, sect) + buf(allocfree(2), bs)
    t1 += refc_adj * buf(refcount(2), bs)
    t3 += refc_adj * buf(refcount(2), bs)
    write = dquot + max(t1, t3)  # xfs_calc_write_reservation_minlogsize
    t1 = inode(1) + buf(lv.bmap_levels + 1, bs)
    t2 = buf(9, sect) + buf(allocfree(4), bs) + refc_adj * buf(refcount(4), bs)
    itruncate = dquot + max(t1, t2)  # xfs_calc_itruncate_reservation_minlogsize
    icreate = dquot + max(
        buf(2, sect) + sect + chunk_alloc + inobt + finobt,
        inode(2) + buf(1, sect) + bs + buf(dirop, bs) + finobt,
    )
    permanent = {  # xfs_trans_resv_calc: (log reservation, log count)
        "write": (write, 8 if lv.reflink else 2),
        "itruncate": (itruncate, 8 if lv.reflink else 2),
        "rename": (
            dquot + max(inode(5) + buf(2 * dirop, bs), buf(7, sect) + buf(allocfree(3), bs)),
            2,
        ),
        "link": (
            dquot
            + iunlink_remove
            + max(inode(2) + buf(dirop, bs), buf(3, sect) + buf(allocfree(1), bs)),
            2,
        ),
        "remove": (
            dquot
            + iunlink_add
            + max(inode(2) + buf(dirop, bs), buf(4, sect) + buf(allocfree(2), bs)),
            2,
        ),
        "symlink": (icreate + buf(1, 1024), 3),
        "create": (icreate, 2),
        "create_tmpfile": (
            dquot + buf(2, sect) + sect + chunk_alloc + inobt + finobt + iunlink_add,
            2,
        ),
        "mkdir": (icreate, 3),
        "ifree": (
            dquot + inode(1) + buf(3, sect) + iunlink_remove + chunk_free + inobt + finobt,
            2,
        ),
        "addafork": (
            dquot
            + inode(1)
            + buf(2, sect)
            + buf(1, dirblk)
            + buf(_howmany(dir_fsbs, contig) * extentadd + 1, bs)
            + buf(allocfree(1), bs),
            2,
        ),
        "attrinval": (
            max(inode(1) + buf(lv.attr_bmap_levels, bs), buf(9, sect) + buf(allocfree(4), bs)),
            1,
        ),
        "attrsetm": (dquot + inode(1) + buf(1, sect) + buf(5, bs), 3),
        "attrrm": (
            dquot
            + max(
                inode(1) + buf(5, bs) + bs * lv.attr_bmap_levels + buf(lv.bmap_levels, 0),
                buf(5, sect) + buf(allocfree(2), bs),
            ),
            3,
        ),
        "growrtalloc": (
            buf(2, sect) + buf(lv.bmap_levels, bs) + inode(1) + buf(allocfree(1), bs),
            2,
        ),
        "qm_dqalloc": (write + buf(1, bs - 1), 8 if lv.reflink else 2),
        "growdata": (buf(3, sect) + buf(allocfree(1), bs), 2),
    }
    logres, logcount = max(permanent.values(), key=lambda r: r[0] * r[1])
    # xfs_log_calc_max_attrsetm_res, with its historical bytes-as-blocks slip.
    attr_extentadd = lv.attr_bmap_levels - 1
    value = (bs >> 1) + (bs >> 2) - 256 - 1  # local attr max - MAXNAMELEN - 1
    nblks = 5 + 5 * attr_extentadd + _howmany(value, bs) + _howmany(value, contig) * attr_extentadd
    attrsetrt = buf(1, sect) + buf(lv.attr_bmap_levels, bs)
    attr_space = permanent["attrsetm"][0] + attrsetrt * nblks
    if attr_space > logres * logcount:
        logres, logcount = attr_space, 3
    unit = _xfs_log_unit_res(logres) * logcount
    basic_blocks = (_howmany(unit, 512) + 2 * 512) * 3  # + 2*BBSIZE, XFS_MIN_LOG_FACTOR
    return _howmany(basic_blocks * 512, bs)


def _xfs_log_unit_res(unit: int) -> int:
    """xfs_log_calc_unit_res (libxfs/util.c) for a v2 log without stripe unit."""
    iclog_size, iclog_header = 256 * _KIB, 4096  # XLOG_MAX_RECORD_BSIZE, its header
    space = iclog_size - iclog_header
    unit += 12 + 16 + 12  # op header + trans header, start record op header
    headers = _howmany(unit, space)
    unit += 12 * headers  # split-record op headers
    while headers == 0 or _howmany(unit, space) > headers:
        unit += 12
        headers += 1
    unit += iclog_header * headers + iclog_header  # record headers, commit record
    return unit + 2 * 512  # roundoff for data and commit record


def _xfs_ag_geometry(dblocks: int, blocklog: int) -> tuple[int, int, int]:
    """calc_default_ag_geometry (libxfs/topology.c) + mkfs's last-AG trim.

    Returns (dblocks, agsize, agcount): a last AG smaller than 16 MiB is
    dropped with its blocks (align_ag_geometry).
    """
    ag_max = (_XFS_AG_MAX_BYTES - 1) >> blocklog
    ag_min = _XFS_AG_MIN_BYTES >> blocklog
    if dblocks >= (4 * _TIB) >> blocklog:
        agsize = ag_max  # single disk (or anything) over 4 TiB: maximal AGs
    else:
        if dblocks >= (128 * _MIB) >> blocklog:
            shift = 2  # XFS_NOMULTIDISK_AGLOG: 4 AGs
        else:
            shift = 5 - 1 - 1  # XFS_MULTIDISK_AGLOG, <= 512 GiB, <= 8 GiB
            shift -= 1  # < 128 MiB
            shift -= dblocks < (64 * _MIB) >> blocklog
            shift -= dblocks < (32 * _MIB) >> blocklog
        agsize = dblocks >> shift
        if dblocks & ((1 << shift) - 1) and agsize < ag_max:
            agsize += 1
    agcount = _howmany(dblocks, agsize)
    if dblocks % agsize and dblocks % agsize < ag_min:
        dblocks = (agcount - 1) * agsize
        agcount -= 1
    if agsize < ag_min or agcount < 1:
        raise ValueError(f"mkfs.xfs refuses a device under {_XFS_AG_MIN_BYTES} bytes")
    return dblocks, agsize, agcount


def _xfs_geometry(size: int, blocksize: int, reflink: bool) -> Geometry:
    blocklog = blocksize.bit_length() - 1
    dblocks, agsize, agcount = _xfs_ag_geometry(size // blocksize, blocklog)
    lv = _xfs_levels(blocksize, agsize, reflink)
    ag_lengths = [agsize] * (agcount - 1) + [dblocks - (agcount - 1) * agsize]

    # XFS_PREALLOC_BLOCKS: 4 header sectors, then bnobt, cntbt, inobt, finobt
    # and (reflink) refcountbt root blocks.
    headers = _howmany(4 * _XFS_SECTOR, blocksize)
    prealloc = headers + 4 + (1 if reflink else 0)

    # calculate_log_size (mkfs/xfs_mkfs.c)
    min_log = max(_XFS_MIN_LOG_BLOCKS, _xfs_min_log_blocks(lv))
    if dblocks >= _GIB >> blocklog:
        min_log = max(min_log, _XFS_MIN_LOG_BYTES >> blocklog)
    max_log = agsize - (headers + _XFS_AGFL_RESERVE + 3 + 1 + (1 if reflink else 0)) - 1
    if dblocks < (300 * _MIB) >> blocklog:
        log_blocks = min_log  # tiny filesystem: the absolute minimum
    else:
        log_blocks = max((dblocks << blocklog) // 2048 >> blocklog, (64 * _MIB) >> blocklog)
    log_blocks = min(max(min_log, log_blocks), max_log)
    log_blocks = min(log_blocks, _XFS_MAX_LOG_BLOCKS, _XFS_MAX_LOG_BYTES >> blocklog)
    log_ag = agcount // 2
    chunk = max(_XFS_INODES_PER_CHUNK * _XFS_INODE_SIZE // blocksize, 1)  # ialloc_blks
    if log_ag == 0:  # adjust_ag0_internal_logblocks: leave room for the root inode chunk
        log_blocks = min(log_blocks, max_log - 4 * chunk)
    log_start = log_ag * agsize + prealloc

    # Per AG: headers + btree roots, then (log AG) the log, then the 4 AGFL
    # blocks; AG 0 also gets the root inode chunk, aligned to its size
    # (sparse inodes: sb_inoalignmt = chunk size).
    metadata: list[tuple[int, int]] = []
    for agno in range(agcount):
        start = agno * agsize
        metadata.append((start, prealloc))
        cursor = start + prealloc
        if agno == log_ag:
            metadata.append((cursor, log_blocks))
            cursor += log_blocks
        metadata.append((cursor, _XFS_AGFL_INITIAL))
        cursor += _XFS_AGFL_INITIAL
        if agno == 0:
            metadata.append((start + _howmany(cursor - start, chunk) * chunk, chunk))
    metadata = _merge(metadata)
    fdblocks = dblocks - agcount * prealloc - log_blocks - chunk  # AGFL blocks count as free

    # Mount (xfs_mountfs): reserve pool (xfs_default_resblks), set-aside for
    # AGFL refills and bmbt splits (xfs_alloc_set_aside), and per-AG
    # reservations for finobt and refcountbt growth (xfs_ag_resv_init), of
    # which only the part the trees do not use yet is hidden from fdblocks.
    reserve_pool = min(dblocks // 20, 8192)
    set_aside = agcount * (_XFS_AGFL_RESERVE + 4)
    inobt_min = _short_btree_minrecs(blocksize, 16, 4)
    refc_min = _short_btree_minrecs(blocksize, 12, 4)
    ag_reserved = 0
    for agno, length in enumerate(ag_lengths):
        if agno == log_ag:  # the log never frees up: not counted (xfs_ag_contains_log)
            length -= log_blocks
        # xfs_inobt_max_size: one finobt record per possible inode chunk.
        ask = _btree_calc_size(inobt_min, length * (blocksize // _XFS_INODE_SIZE) // 64)
        used = 1  # agi_fino_blocks: the finobt root
        if reflink:
            ask += _btree_calc_size(refc_min, length)  # xfs_refcountbt_max_size
            used += 1  # agf_refcount_blocks
        ag_reserved += max(ask, used) - used
    free_blocks = max(fdblocks - reserve_pool - set_aside - ag_reserved, 0)
    metadata_blocks = sum(count for _, count in metadata)
    return Geometry(
        fs_type="xfs",
        blocksize=blocksize,
        size=size,
        reflink=reflink,
        total_blocks=dblocks,
        metadata=tuple(metadata),
        free_blocks=free_blocks,
        unavailable_blocks=dblocks - metadata_blocks - free_blocks,
        ag_blocks=agsize,
        ag_count=agcount,
        statfs_blocks=dblocks - log_blocks,  # xfs_statfs_data
        avail_blocks=free_blocks,  # XFS has no root-only reserve
        inode_count=_xfs_statfs_files(dblocks, blocksize, free_blocks),
        log_start=log_start,
        log_blocks=log_blocks,
        reserve_pool=reserve_pool,
        set_aside=set_aside,
        ag_reserved=ag_reserved,
        bmap_levels=lv.bmap_levels,
    )


def _xfs_statfs_files(dblocks: int, blocksize: int, free_blocks: int) -> int:
    """statfs ``f_files``: allocated inodes plus room for more (xfs_statfs_inodes)."""
    # calculate_imaxpct (mkfs): 25% of the space under 1 TiB, 5% to 50 TiB, 1% above.
    blocklog = blocksize.bit_length() - 1
    if dblocks < (1 * _TIB) >> blocklog:
        pct = 25
    elif dblocks < (50 * _TIB) >> blocklog:
        pct = 5
    else:
        pct = 1
    inopblock = blocksize // _XFS_INODE_SIZE
    chunk = max(_XFS_INODES_PER_CHUNK // inopblock, 1)  # ialloc_blks
    maxicount = dblocks * pct // 100 // chunk * chunk * inopblock  # xfs_set_maxicount
    return min(_XFS_INODES_PER_CHUNK + free_blocks * inopblock, maxicount)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort ``(start, count)`` ranges and join touching ones."""
    out: list[tuple[int, int]] = []
    for start, count in sorted(r for r in ranges if r[1] > 0):
        if out and out[-1][0] + out[-1][1] >= start:
            first, length = out[-1]
            out[-1] = (first, max(length, start + count - first))
        else:
            out.append((start, count))
    return out


# -------------------------------------------------------------------------- ext4
#
# mke2fs 1.47.0 with the Debian mke2fs.conf: ext4 = has_journal, extent,
# huge_file, flex_bg (16 groups), metadata_csum, 64bit, dir_nlink,
# extra_isize, sparse_super, large_file, filetype, resize_inode, dir_index,
# ext_attr; 256-byte inodes; 5% reserved for root.
_EXT4_INODE_SIZE = 256
_EXT4_DESC_SIZE = 64  # 64bit feature
_EXT4_FLEX_BG = 16
_EXT4_EXTENT_INIT_MAX = 32768  # EXT_INIT_MAX_LEN
_EXT4_INODE_EXTENTS = 4  # extent records in i_block


class _Blocks:
    """The block bitmap mke2fs builds, as sorted disjoint used ranges."""

    def __init__(self, first: int, total: int) -> None:
        self.first = first  # s_first_data_block: bitmaps start here
        self.total = total
        self.starts: list[int] = []
        self.ends: list[int] = []

    def mark(self, start: int, count: int) -> None:
        """Mark ``[start, start + count)`` used.  O(ranges)."""
        end = start + count
        i = bisect.bisect_left(self.ends, start)
        j = bisect.bisect_right(self.starts, end)
        if i < j:
            start = min(start, self.starts[i])
            end = max(end, self.ends[j - 1])
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]

    def next_used(self, block: int) -> tuple[int, int] | None:
        """The used range containing or following ``block``.  O(log ranges)."""
        i = bisect.bisect_right(self.ends, block)
        return (self.starts[i], self.ends[i]) if i < len(self.starts) else None

    def fit(self, start: int, finish: int, count: int) -> int | None:
        """ext2fs_get_free_blocks2: first ``b`` from ``start`` (wrapping before
        ``finish``) with ``count`` free blocks at ``b``."""
        if start == 0:
            start = self.first
        wrapped = False
        b = start
        while True:
            if b + count > self.total:
                if finish > start or wrapped:
                    return None
                b, wrapped = self.first, True
            used = self.next_used(b)
            if used is None or used[0] >= b + count:
                return b
            b = used[1]
            if (finish > start or wrapped) and b >= finish:
                return None

    def free_run(self, goal: int) -> tuple[int, int]:
        """First free block at or after ``goal`` (wrapping) and the length of its run."""
        b = self.fit(goal, goal, 1)
        if b is None:
            raise ValueError("mkfs ran out of space")
        used = self.next_used(b)
        return b, (used[0] if used is not None else self.total) - b

    def used_in(self, start: int, end: int) -> int:
        """Used blocks in ``[start, end)``."""
        i = bisect.bisect_right(self.ends, start)
        total = 0
        while i < len(self.starts) and self.starts[i] < end:
            total += min(end, self.ends[i]) - max(start, self.starts[i])
            i += 1
        return total


def _has_super(group: int) -> bool:
    """ext2fs_bg_has_super with sparse_super: groups 0, 1 and powers of 3, 5, 7."""
    if group <= 1:
        return True
    for base in (3, 5, 7):
        n = base
        while n < group:
            n *= base
        if n == group:
            return True
    return False


def ext4_extent_tree_blocks(extents: int, blocksize: int = 4096) -> int:
    """Blocks an ext4 extent tree with ``extents`` leaf records needs outside the inode.

    Four records fit in the inode (i_block); beyond that the records move to
    leaf blocks of ``(blocksize - 12) // 12`` entries, indexed from the inode
    (4 entries) and, if needed, from index blocks of the same fan-out
    (fs/ext4/ext4_extents.h).

    Examples
    --------
    >>> [ext4_extent_tree_blocks(n, 1024) for n in (4, 5, 84 * 4, 84 * 4 + 1)]
    [0, 1, 4, 6]
    """
    if extents <= _EXT4_INODE_EXTENTS:
        return 0
    per_block = (blocksize - 12) // 12
    blocks = 0
    level = _howmany(extents, per_block)
    while level > _EXT4_INODE_EXTENTS:
        blocks += level
        level = _howmany(level, per_block)
    return blocks + level


def _ext4_geometry(size: int, blocksize: int) -> Geometry:
    blocks = size // blocksize
    first = 1 if blocksize == 1024 else 0  # s_first_data_block
    per_group = 8 * blocksize  # one block of block bitmap

    # parse_fs_type (misc/mke2fs.c) and mke2fs.conf: inode_ratio by size class.
    mib = _MIB // blocksize
    if blocks < 3 * mib:
        ratio = 8192  # floppy
    elif blocks < 512 * mib:
        ratio = 4096  # small
    elif blocks < 4 * 1024 * 1024 * mib:
        ratio = 16384  # default
    elif blocks < 16 * 1024 * 1024 * mib:
        ratio = 32768  # big
    else:
        ratio = 65536  # huge
    ratio = max(ratio, blocksize)
    want_inodes = min(blocks * blocksize // ratio, (1 << 32) - 1)

    # ext2fs_initialize: groups, inodes per group filling whole table blocks,
    # reserved GDT blocks for 1024x online growth, dropping a runt last group.
    while True:
        groups = _howmany(blocks - first, per_group)
        if groups == 0:
            raise ValueError("mkfs.ext4 refuses a device this small")
        desc_blocks = _howmany(groups, blocksize // _EXT4_DESC_SIZE)
        ipg = min(_howmany(want_inodes, groups), (1 << 16) - blocksize // _EXT4_INODE_SIZE)
        table = _howmany(ipg * _EXT4_INODE_SIZE, blocksize)
        ipg = max(table * blocksize // _EXT4_INODE_SIZE, 8) & ~7
        table = _howmany(ipg * _EXT4_INODE_SIZE, blocksize)
        max_blocks = blocks * 1024 if blocks < 0xFFFFFFFF // 1024 else 0xFFFFFFFF
        rsv_gdt = (
            _howmany(_howmany(max_blocks - first, per_group), blocksize // _EXT4_DESC_SIZE)
            - desc_blocks
        )
        if rsv_gdt < 0 or rsv_gdt > blocksize // 4:  # unsigned in calc_reserved_gdt_blocks
            rsv_gdt = blocksize // 4
        # More than 3/4 of a group of descriptors: meta_bg instead of resize_inode.
        meta_bg = rsv_gdt + desc_blocks > per_group * 3 // 4
        if meta_bg:
            rsv_gdt = 0
        overhead = 2 + table
        if _has_super(groups - 1):
            overhead += 1 + desc_blocks + rsv_gdt
        rem = (blocks - first) % per_group
        if groups == 1 and rem and rem < overhead:
            raise ValueError("mkfs.ext4 refuses a device this small")
        if rem and rem < overhead + 50:
            blocks -= rem
            continue
        break

    used = _Blocks(first, blocks)
    if first:
        used.mark(0, 1)  # block 0 of a 1k filesystem belongs to no group
    per_desc_block = blocksize // _EXT4_DESC_SIZE
    for group in range(groups):  # ext2fs_reserve_super_and_bgd, ext2fs_super_and_bgd_loc2
        start = first + group * per_group
        has_super = _has_super(group)
        if not meta_bg:
            if has_super:
                used.mark(start, min(1 + desc_blocks + rsv_gdt, blocks - start))
            continue
        if has_super:
            used.mark(start, 1)
        if group % per_desc_block in (0, 1, per_desc_block - 1):
            used.mark(start + has_super, 1)  # this meta group's descriptor block copy

    # ext2fs_allocate_group_table with flex_bg: each flex group's block
    # bitmaps, inode bitmaps and inode tables, packed at its start.
    _ext4_group_tables(used, groups, table, first, per_group, blocks)

    # Root directory, lost+found, the resize inode's double-indirect block.
    root = used.free_run(first)[0]  # ext2fs_find_inode_goal: group 0's first block
    used.mark(root, 1)
    lpf_blocks = 1
    while lpf_blocks < 12 and (lpf_blocks * blocksize < 16 * _KIB or lpf_blocks < 2):
        lpf_blocks += 1  # create_lost_and_found: grow to 16 KiB, at most 12 blocks
    goal = root + 1
    for _ in range(lpf_blocks):
        b = used.free_run(goal)[0]
        used.mark(b, 1)
        goal = b + 1
    if rsv_gdt:
        sb_block = first if first else 0
        dind = used.free_run(sb_block + desc_blocks + rsv_gdt + 2 + table)[0]
        used.mark(dind, 1)

    # The journal (ext2fs_default_journal_size), near the middle of the device
    # (get_midpoint_journal_block), taking free runs first-fit from there.
    journal = _ext4_journal_blocks(blocks)
    journal_pieces: list[tuple[int, int]] = []
    journal_tree = 0  # extent blocks of the journal inode
    if journal:
        goal = _ext4_journal_goal(used, groups, first, per_group, blocks)
        left = journal
        while left:
            b, run = used.free_run(goal)
            take = min(run, left, _EXT4_EXTENT_INIT_MAX)
            used.mark(b, take)
            if (
                journal_pieces
                and journal_pieces[-1][0] + journal_pieces[-1][1] == b
                and journal_pieces[-1][1] + take <= _EXT4_EXTENT_INIT_MAX
            ):
                journal_pieces[-1] = (journal_pieces[-1][0], journal_pieces[-1][1] + take)
            else:
                journal_pieces.append((b, take))
                while journal_tree < ext4_extent_tree_blocks(len(journal_pieces), blocksize):
                    # extent_node_split: "put the index block before the first extent"
                    used.mark(used.free_run(journal_pieces[0][0] - 1)[0], 1)
                    journal_tree += 1
            left -= take
            goal = b + take

    metadata = [(start, end - start) for start, end in zip(used.starts, used.ends, strict=True)]
    free = blocks - sum(count for _, count in metadata)
    # ext4_calculate_resv_clusters: 2% or 4096 clusters, whichever is smaller.
    resv = min(blocks // 50, 4096)
    root_reserved = blocks * 5 // 100  # mke2fs: reserved_ratio 5%
    # s_overhead_clusters as mke2fs 1.47 records it: everything but the
    # directories, the resize inode's indirect block and the journal's
    # extent blocks.
    overhead = blocks - free - 1 - lpf_blocks - (1 if rsv_gdt else 0) - journal_tree
    return Geometry(
        fs_type="ext4",
        blocksize=blocksize,
        size=size,
        reflink=False,
        total_blocks=blocks,
        metadata=tuple(metadata),
        free_blocks=free,
        unavailable_blocks=min(resv, free),
        ag_blocks=per_group,
        ag_count=groups,
        statfs_blocks=blocks - overhead,  # ext4_statfs
        avail_blocks=max(free - root_reserved - resv, 0),
        inode_count=ipg * groups,
        log_start=journal_pieces[0][0] if journal_pieces else 0,
        log_blocks=journal,
        resv_clusters=resv,
        root_reserved=root_reserved,
    )


def _ext4_group_tables(
    used: _Blocks, groups: int, table: int, first: int, per_group: int, blocks: int
) -> None:
    """ext2fs_allocate_tables with flex_bg (lib/ext2fs/alloc_tables.c).

    Each flex group's block bitmaps, then inode bitmaps, then inode tables
    go at its start, ``table_offset`` slots apart.  When that whole span is
    free the placement is computed at once, otherwise group by group as
    ext2fs_allocate_group_table does it.
    """
    last: dict[str, int] = {}
    for flex_first in range(0, groups, _EXT4_FLEX_BG):
        last_grp = min(flex_first + _EXT4_FLEX_BG - 1, groups - 1)
        offset = _EXT4_FLEX_BG
        if last_grp == groups - 1:  # the last flex group keeps its tables contiguous
            offset = (last_grp & (_EXT4_FLEX_BG - 1)) + 1
        count = last_grp - flex_first + 1
        last_block = first + (last_grp + 1) * per_group - 1
        start = _flexbg_offset(used, flex_first, 0, count, 1, groups, first, per_group, blocks)
        span = 2 * offset + count * table
        hit = used.next_used(start)
        if start and start + span - 1 <= last_block and (hit is None or hit[0] >= start + span):
            used.mark(start, count)
            used.mark(start + offset, count)
            used.mark(start + 2 * offset, count * table)
            continue
        for group in range(flex_first, last_grp + 1):
            rem_grps = last_grp - group + 1
            for kind, size_each in (("bb", 1), ("ib", 1), ("it", table)):
                if group != flex_first:
                    prev = last[kind] + size_each
                elif kind == "bb":
                    prev = 0
                else:
                    prev = last["bb" if kind == "ib" else "ib"] + offset
                goal = _flexbg_offset(
                    used, group, prev, rem_grps, size_each, groups, first, per_group, blocks
                )
                where = used.fit(goal, last_block + 1, size_each)
                if where is None:
                    where = used.fit(first + group * per_group, last_block + 1, size_each)
                if where is None:
                    raise ValueError("mkfs.ext4 could not place its group tables")
                used.mark(where, size_each)
                last[kind] = where


def _flexbg_offset(
    used: _Blocks,
    group: int,
    start_blk: int,
    rem_grp: int,
    elem_size: int,
    groups: int,
    first: int,
    per_group: int,
    blocks: int,
) -> int:
    """flexbg_offset (lib/ext2fs/alloc_tables.c): where a flex group's tables go."""
    flex = group // _EXT4_FLEX_BG
    size = min(rem_grp * elem_size, per_group // 4)
    if start_blk and start_blk < blocks:
        hit = used.fit(start_blk, start_blk + size, elem_size)
        if hit is not None:
            return hit
    start_blk = first + flex * _EXT4_FLEX_BG * per_group
    last_grp = min(group | (_EXT4_FLEX_BG - 1), groups - 1)
    last_blk = first + (last_grp + 1) * per_group - 1
    for start, want in ((start_blk, size), (start_blk, elem_size), (0, elem_size)):
        hit = used.fit(start, last_blk, want)
        if hit is not None:
            return hit
    return 0


def _ext4_journal_blocks(blocks: int) -> int:
    """ext2fs_default_journal_size (lib/ext2fs/mkjournal.c); 0: no journal."""
    if blocks < 2048:
        return 0
    for limit, size in (
        (32768, 1024),
        (256 * 1024, 4096),
        (512 * 1024, 8192),
        (4096 * 1024, 16384),
        (8192 * 1024, 32768),
        (16384 * 1024, 65536),
        (32768 * 1024, 131072),
    ):
        if blocks < limit:
            return size
    return 262144


def _ext4_journal_goal(used: _Blocks, groups: int, first: int, per_group: int, blocks: int) -> int:
    """get_midpoint_journal_block: the emptiest group next to the middle one."""

    def free_in(g: int) -> int:
        lo = first + g * per_group
        hi = min(lo + per_group, blocks)
        return hi - lo - used.used_in(lo, hi)

    group = (blocks - first) // 2 // per_group
    if group > _EXT4_FLEX_BG:
        group &= ~(_EXT4_FLEX_BG - 1)
        while group < groups and free_in(group) == 0:
            group += 1
        if group == groups:
            group = 0
        start = group
    else:
        start = group - 1 if group > 0 else group
    end = group + 1 if group + 1 < groups else group
    best = start
    for g in range(start + 1, end + 1):
        if free_in(g) > free_in(best):
            best = g
    return first + best * per_group
