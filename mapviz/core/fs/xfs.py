"""XFS (Linux 6.18, v5 format, made by mkfs.xfs 6.1): its answers, each with its source.

The block-map facts are kernel-semantics §4 (forks and states §4.1, reflink
and copy-on-write §4.4, speculative preallocation and busy extents §4.5);
the geometry is ``xfs_geometry.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapviz.core.fs.base import FsPolicy
from mapviz.core.fs.xfs_geometry import (
    xfs_create_space_res,
    xfs_delalloc_indlen,
    xfs_falloc_reservation,
    xfs_geometry,
)

if TYPE_CHECKING:
    from mapviz.core.geometry import Geometry
    from mapviz.core.inode import Inode


class Xfs(FsPolicy):
    name = "xfs"
    summary = "XFS: reflink and CoW fork, speculative preallocation, busy extents"

    def mkfs(self, size: int, blocksize: int, reflink: bool) -> Geometry:
        # mkfs.xfs -m reflink=0|1 + mount, as measured (docs/geometry-notes.md)
        return xfs_geometry(size, blocksize, reflink)

    def falloc_reservation(self, range_blocks: int, blocksize: int) -> int:
        # xfs_alloc_file_space() reserves the whole rest of the range per iteration
        return xfs_falloc_reservation(range_blocks, blocksize)

    def delalloc_indlen(self, blocks: int, blocksize: int) -> int:
        # xfs_bmapi_reserve_delalloc(): alen + xfs_bmap_worst_indlen(alen)
        return xfs_delalloc_indlen(blocks, blocksize)

    def create_space_res(self, geometry: Geometry) -> int | None:
        # xfs_create() reserves XFS_CREATE_SPACE_RES, needed or not
        return xfs_create_space_res(geometry)

    def max_file_size(self, blocksize: int) -> int:
        return (1 << 63) - 1  # xfs_max_file_offset(): 8 EiB - 1

    # xfs_extent_busy_insert(): a freed extent stays busy until the transaction that
    # freed it reaches the log on disk (§4.5)
    busy_extents = True
    # xfs_blockgc_free_space() on ENOSPC: post-EOF preallocation and unused CoW
    # staging are given back (§4.5)
    blockgc = True

    shares_blocks = True  # xfs_file_remap_range(), the CoW fork (§4.4)
    xfs_ioctls = True  # xfs_file_ioctl(): XFS_IOC_SWAPEXT, XFS_IOC_GETBMAPX (§4.2)
    xfs_io_foreign = False  # platform_test_xfs_fd(): xfs_io's own filesystem (§9.7)
    map_direct = True  # v5 and the lease series implemented MAP_DIRECT for XFS (§2.6, §1.4)

    # The write checks of XFS do not look at the immutable flag of an fd opened
    # before chattr +i, nor does xfs_filemap_page_mkwrite() (§3.3): the defaults.

    # xfs_buffered_write_iomap_begin(): CoW staging of shared blocks, delalloc with
    # speculative preallocation past EOF, one write(2) at a time (§4.4, §4.5)
    buffered_iomap = True
    # xfs_bmapi_convert_delalloc() allocates the whole delalloc extent, unwritten
    # until the I/O completes (§4.1, §4.5)
    converts_whole_delalloc = True

    # xfs_setattr_size(): "if (newsize == 0 && oldsize == 0 && nextents == 0)" returns
    empty_truncate_noop = True
    # xfs_setattr_size(): xfs_zero_range() over the growth, xfs_truncate_page() at the new
    # EOF; a delalloc extent met past EOF is converted, not zeroed (§4.5)
    iomap_zeroing = True
    # xfs_setattr_size(): filemap_write_and_wait_range(i_disk_size, newsize) (§4.5)
    setattr_writes_back = True

    def after_truncate_down(self, inode: Inode) -> None:
        inode.truncated = True  # XFS_ITRUNCATED: the next close flushes (§4.5)
        inode.eofblocks_tag = False  # "A truncate down always removes post-EOF blocks."
        if not inode.data and not inode.cow:
            inode.reflinked = False  # xfs_itruncate_clear_reflink_flags()

    def release_flush(self, inode: Inode) -> str | None:
        # xfs_file_release(): after a truncate down the delalloc data is flushed
        # (the "NULL files" heuristic) and XFS_EOFBLOCKS_RELEASED cleared (§4.5)
        if not inode.truncated:
            return None
        inode.truncated = False
        inode.eofblocks_released = False
        return 'close after a truncate down starts writeback (the "NULL files" heuristic)'

    # xfs_file_release() -> xfs_free_eofblocks() on the first writable close (§4.5)
    frees_eofblocks_on_close = True

    # xfs_file_dio_write(): unaligned to the logical sector is EINVAL before anything (§9.3)
    dio_checks_alignment_first = True
    # xfs_file_dio_write_unaligned(): "we can't properly handle unaligned direct I/O to
    # reflink files yet" -- ENOTBLK, then a buffered write (§9.3)
    dio_unaligned_cow_buffered = True
    # xfs_file_write_checks() -> xfs_file_write_zero_eof(), direct or not (§9.3)
    dio_zeroes_past_eof = True
    # xfs_iomap_write_direct(): XFS_DIOSTRAT_SPACE_RES, new blocks + bmap_levels - 1
    dio_reserves_bmbt_split = True

    # xfs_file_write_checks() -> kiocb_modified(): the times need a transaction, so a
    # NOWAIT write gives up (§9.4)
    nowait_needs_times_update = True
