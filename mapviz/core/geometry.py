"""What mkfs + mount leave on a fresh device: block counts, metadata layout, free space.

The numbers reproduce ``mkfs.xfs`` (xfsprogs 6.1), ``mkfs.ext4`` (e2fsprogs
1.47 with Debian's ``mke2fs.conf``) and the statfs/ENOSPC accounting of Linux
6.18, as the recorder makes its images: ``mkfs.xfs -f -b size=N -m
reflink=0|1`` and ``mkfs.ext4 -b N -E nodiscard`` on a whole file, default
mount options.  They are derived from the sources (each rule names the
function it comes from) and checked against real images in
``tests/core/test_geometry.py``; ``docs/geometry-notes.md`` has the
measurements and the derivations.

This module holds what both filesystems share: the :class:`Geometry` record
and its units.  Each filesystem computes its own, next to its policy:
``mapviz/core/fs/xfs_geometry.py`` (mkfs.xfs) and
``mapviz/core/fs/ext4_geometry.py`` (mke2fs); ``mapviz.core.fs.mkfs_geometry``
picks one by type.

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
loses blocks to its extent tree (``ext4_extent_tree_blocks``); the filesystem's
policy (``FsPolicy.falloc_reservation``, ``FsPolicy.delalloc_indlen``) says which.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GIB", "KIB", "MIB", "TIB", "Geometry", "howmany"]

KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB


def howmany(a: int, b: int) -> int:
    """``a / b`` rounded up (the kernel's ``howmany``, ``DIV_ROUND_UP``)."""
    return -(-a // b)


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
    >>> from mapviz.core.fs import mkfs_geometry
    >>> g = mkfs_geometry("xfs", 64 * 1024 * 1024, 4096, True)
    >>> g.total_blocks, g.ag_count, g.log_blocks, g.free_blocks
    (16384, 4, 1368, 14023)
    >>> g.total_blocks - sum(n for _, n in g.metadata) - g.unavailable_blocks
    14023
    >>> g.usable_blocks
    14023
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
