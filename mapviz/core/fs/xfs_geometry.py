"""mkfs.xfs (xfsprogs 6.1) + mount on Linux 6.18: the XFS geometry and its reservations.

The layout of allocation groups, their headers and free lists, the internal
log, the first inode chunk, the reserve pool and per-AG reservations hidden
from statfs, and the per-transaction and per-delalloc-extent block
reservations that follow from the btree heights.  Each rule names the
function it comes from; ``tests/core/test_geometry.py`` checks them against
real images and ``docs/geometry-notes.md`` has the derivations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from mapviz.core.geometry import GIB, KIB, MIB, TIB, Geometry, howmany

__all__ = [
    "xfs_create_space_res",
    "xfs_delalloc_indlen",
    "xfs_falloc_reservation",
    "xfs_geometry",
]

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
_XFS_MIN_LOG_BYTES = 10 * MIB
_XFS_MAX_LOG_BYTES = 2 * GIB - _XFS_MIN_LOG_BYTES
_XFS_AG_MIN_BYTES = 16 * MIB
_XFS_AG_MAX_BYTES = 1 * TIB


def _log2_roundup(x: int) -> int:
    return (x - 1).bit_length()


def _btree_maxlevels(minrecs: tuple[int, int], records: int) -> int:
    """xfs_btree_compute_maxlevels: height of a btree of ``records`` at minimum fill."""
    blocks = howmany(records, minrecs[0])
    height = 1
    while blocks > 1:
        blocks = howmany(blocks, minrecs[1])
        height += 1
    return height


def _btree_calc_size(minrecs: tuple[int, int], records: int) -> int:
    """xfs_btree_calc_size: blocks of a btree holding ``records`` at minimum fill."""
    level = howmany(records, minrecs[0])
    blocks = level
    while level > 1:
        level = howmany(level, minrecs[1])
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
    blocks = howmany(max_extents, minrecs)
    level = 1
    while blocks > 1:
        blocks = 1 if blocks <= root_records else howmany(blocks, minrecs)
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
@lru_cache(maxsize=1 << 12)  # pure; asked twice for every delalloc extent that merges
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
        length = howmany(length, maxrecs)
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
    dirop = 7 * dir_fsbs + 7 * (howmany(dir_fsbs, contig) * extentadd) + 1
    inobt = buf(lv.inobt_levels, bs) + buf(allocfree(1), bs)  # xfs_calc_inobt_res
    finobt = inobt  # finobt=1
    chunk_alloc = buf(allocfree(1), bs)  # v5 inode chunks are ordered buffers
    chunk_free = buf(allocfree(1), bs) + buf(_XFS_INODES_PER_CHUNK * _XFS_INODE_SIZE // bs, 0)
    cluster = max(bs, 16 * KIB)  # inode_cluster_size: 8k scaled by isize/256
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
            + buf(howmany(dir_fsbs, contig) * extentadd + 1, bs)
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
    nblks = 5 + 5 * attr_extentadd + howmany(value, bs) + howmany(value, contig) * attr_extentadd
    attrsetrt = buf(1, sect) + buf(lv.attr_bmap_levels, bs)
    attr_space = permanent["attrsetm"][0] + attrsetrt * nblks
    if attr_space > logres * logcount:
        logres, logcount = attr_space, 3
    unit = _xfs_log_unit_res(logres) * logcount
    basic_blocks = (howmany(unit, 512) + 2 * 512) * 3  # + 2*BBSIZE, XFS_MIN_LOG_FACTOR
    return howmany(basic_blocks * 512, bs)


def _xfs_log_unit_res(unit: int) -> int:
    """xfs_log_calc_unit_res (libxfs/util.c) for a v2 log without stripe unit."""
    iclog_size, iclog_header = 256 * KIB, 4096  # XLOG_MAX_RECORD_BSIZE, its header
    space = iclog_size - iclog_header
    unit += 12 + 16 + 12  # op header + trans header, start record op header
    headers = howmany(unit, space)
    unit += 12 * headers  # split-record op headers
    while headers == 0 or howmany(unit, space) > headers:
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
    if dblocks >= (4 * TIB) >> blocklog:
        agsize = ag_max  # single disk (or anything) over 4 TiB: maximal AGs
    else:
        if dblocks >= (128 * MIB) >> blocklog:
            shift = 2  # XFS_NOMULTIDISK_AGLOG: 4 AGs
        else:
            shift = 5 - 1 - 1  # XFS_MULTIDISK_AGLOG, <= 512 GiB, <= 8 GiB
            shift -= 1  # < 128 MiB
            shift -= dblocks < (64 * MIB) >> blocklog
            shift -= dblocks < (32 * MIB) >> blocklog
        agsize = dblocks >> shift
        if dblocks & ((1 << shift) - 1) and agsize < ag_max:
            agsize += 1
    agcount = howmany(dblocks, agsize)
    if dblocks % agsize and dblocks % agsize < ag_min:
        dblocks = (agcount - 1) * agsize
        agcount -= 1
    if agsize < ag_min or agcount < 1:
        raise ValueError(f"mkfs.xfs refuses a device under {_XFS_AG_MIN_BYTES} bytes")
    return dblocks, agsize, agcount


def xfs_geometry(size: int, blocksize: int, reflink: bool) -> Geometry:
    """What ``mkfs.xfs -b size=BLOCKSIZE -m reflink=0|1`` + mount give a ``size``-byte device."""
    blocklog = blocksize.bit_length() - 1
    dblocks, agsize, agcount = _xfs_ag_geometry(size // blocksize, blocklog)
    lv = _xfs_levels(blocksize, agsize, reflink)
    ag_lengths = [agsize] * (agcount - 1) + [dblocks - (agcount - 1) * agsize]

    # XFS_PREALLOC_BLOCKS: 4 header sectors, then bnobt, cntbt, inobt, finobt
    # and (reflink) refcountbt root blocks.
    headers = howmany(4 * _XFS_SECTOR, blocksize)
    prealloc = headers + 4 + (1 if reflink else 0)

    # calculate_log_size (mkfs/xfs_mkfs.c)
    min_log = max(_XFS_MIN_LOG_BLOCKS, _xfs_min_log_blocks(lv))
    if dblocks >= GIB >> blocklog:
        min_log = max(min_log, _XFS_MIN_LOG_BYTES >> blocklog)
    max_log = agsize - (headers + _XFS_AGFL_RESERVE + 3 + 1 + (1 if reflink else 0)) - 1
    if dblocks < (300 * MIB) >> blocklog:
        log_blocks = min_log  # tiny filesystem: the absolute minimum
    else:
        log_blocks = max((dblocks << blocklog) // 2048 >> blocklog, (64 * MIB) >> blocklog)
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
            metadata.append((start + howmany(cursor - start, chunk) * chunk, chunk))
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
    if dblocks < (1 * TIB) >> blocklog:
        pct = 25
    elif dblocks < (50 * TIB) >> blocklog:
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


def xfs_create_space_res(geometry: Geometry) -> int:
    """XFS_CREATE_SPACE_RES(): blocks xfs_create() reserves, whether it needs them or not.

    XFS_IALLOC_SPACE_RES (a whole inode chunk, ``ialloc_blks``, plus two
    inobt/finobt paths, ``2 * inobt_maxlevels``) + XFS_DIRENTER_SPACE_RES (a
    worst-case directory split: ``XFS_DAENTER_DBS`` = XFS_DA_NODE_MAXDEPTH + 2 =
    7 directory blocks of ``fsbcount`` fs blocks, each with a bmbt split of
    ``bmap_levels - 1``).  Checked on 6.18: 47 blocks at 4k, 69 at 2k, 106 at 1k.
    """
    bs = geometry.blocksize
    inobt_levels = _xfs_levels(bs, geometry.ag_blocks, geometry.reflink).inobt_levels
    ialloc_blks = 64 * 512 // bs  # XFS_INODES_PER_CHUNK inodes of 512 bytes
    fsbcount = max(4096, bs) // bs  # the directory block size is 4k
    dbs = 5 + 2
    return ialloc_blks + 2 * inobt_levels + fsbcount * dbs + dbs * (geometry.bmap_levels - 1)
