"""ext4 (Linux 6.18, extent files, made by mke2fs 1.47): its answers, each with its source.

How ext4 differs from XFS is kernel-semantics §4.6: no reflink, delalloc
allocated range by range, ``auto_da_alloc`` on close, the immutable flag
checked on open fds (§3.3 and the conformance README); the geometry is
``ext4_geometry.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapviz.core.fs.base import FsPolicy
from mapviz.core.fs.ext4_geometry import ext4_geometry
from mapviz.core.outcome import SyscallError

if TYPE_CHECKING:
    from mapviz.core.geometry import Geometry
    from mapviz.core.inode import Inode


class Ext4(FsPolicy):
    name = "ext4"
    summary = "ext4: no reflink, delalloc by range, auto_da_alloc, immutable checked on open fds"

    def mkfs(self, size: int, blocksize: int, reflink: bool) -> Geometry:
        # mkfs.ext4 -E nodiscard + mount, as measured (docs/geometry-notes.md); no reflink
        return ext4_geometry(size, blocksize)

    def falloc_reservation(self, range_blocks: int, blocksize: int) -> int:
        # ext4_alloc_file_blocks() maps piece by piece, keeps what it got on ENOSPC
        # and moves i_size to its end: one free block is enough to start
        return min(range_blocks, 1)

    def delalloc_indlen(self, blocks: int, blocksize: int) -> int:
        return 0  # ext4_da_reserve_space() reserves the data blocks only

    def max_file_size(self, blocksize: int) -> int:
        return ((1 << 32) - 1) * blocksize  # ext4_max_size(): 2**32 - 1 blocks (extent files)

    # Not shared (§4.6): no reflink, no XFS ioctls, foreign to xfs_io (§9.7), no
    # MAP_DIRECT ("ext4's mmap_supported_mask does not have it", §2.6).

    def write_checks(self, inode: Inode) -> None:
        if inode.immutable:
            # ext4_write_checks refuses writes to an immutable file even through an
            # fd opened before chattr +i; XFS does not (conformance README, §3.3).
            raise SyscallError(
                "EPERM", f"{inode.name} is immutable (chattr +i): ext4 refuses writes"
            )

    def setattr_checks(self, inode: Inode, what: str) -> None:
        if inode.immutable:
            # ext4_setattr() refuses size changes of an immutable inode; XFS does not
            # check it on an fd opened before chattr +i (conformance README).
            raise SyscallError(
                "EPERM", f"{inode.name} is immutable (chattr +i): ext4 refuses {what}"
            )

    def page_mkwrite_refusal(self, inode: Inode) -> str | None:
        if inode.immutable:
            # ext4_page_mkwrite() refuses the store (conformance README, §3.3)
            return (
                f"{inode.name} is immutable: ext4_page_mkwrite "
                "refuses the store (conformance README)"
            )
        return None

    # ext4_ioctl_setflags(): "flush all the dirty pages for this file" before setting
    # EXT4_IMMUTABLE_FL (XFS does not)
    flushes_before_immutable = True

    def before_setattr_size(self, inode: Inode, size: int) -> None:
        if size == 0 and size <= inode.size:
            # ext4_setattr() calls ext4_truncate() for any size <= i_size, which
            # marks a file truncated to 0 for allocation on close (auto_da_alloc).
            inode.da_alloc_close = True

    def release_flush(self, inode: Inode) -> str | None:
        # ext4_release_file(): a file truncated to 0 (EXT4_STATE_DA_ALLOC_CLOSE) has its
        # delalloc blocks allocated, ext4_alloc_da_blocks() -> filemap_flush(), read-only
        # fd or not
        if not inode.da_alloc_close:
            return None
        inode.da_alloc_close = False
        return "close after a truncate to 0 allocates the delalloc blocks"

    # ext4_buffered_write_iter() refuses IOCB_NOWAIT before any other check (§9.4)
    buffered_nowait = False
