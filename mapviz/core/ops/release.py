"""What the last close of an open file description (``->release()``) does to its file.

xfs_io's ``close`` and the recorder's ``%swapon`` (mkswap opens, writes,
fsyncs and closes the file) both end in ``fput`` -> ``->release``:

* XFS, ``xfs_file_release()`` (kernel-semantics §4.5): after a truncate down
  (XFS_ITRUNCATED) the delalloc data is flushed ("NULL files" heuristic) and
  XFS_EOFBLOCKS_RELEASED is cleared; then, for a *writable* file only, the
  first such close frees the blocks past EOF -- if ``xfs_can_free_eofblocks()``
  finds any: an extent at or past the EOF block, or delalloc anywhere.  Files
  with fallocate'd preallocation (XFS_DIFLAG_PREALLOC) keep their real blocks
  and lose only post-EOF delalloc (``xfs_free_eofblocks()``).  The flag is
  per inode, not per file: every writable close counts, other writers or not.
* ext4, ``ext4_release_file()``: a file truncated to 0 (EXT4_STATE_DA_ALLOC_CLOSE,
  set by ``ext4_truncate()``) has its delalloc blocks allocated on close
  (``ext4_alloc_da_blocks()`` -> ``filemap_flush()``), read-only or not.
"""

from __future__ import annotations

from mapviz.core.events import EventKind
from mapviz.core.extents import ExtentState
from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.ops import blocks
from mapviz.core.ops.writeback import flush_all
from mapviz.core.outcome import SyscallError


def release(machine: Machine, inode: Inode, writable: bool) -> None:
    """The last close of one open of ``inode`` (``writable``: opened for writing)."""
    policy = machine.fs.policy
    why = policy.release_flush(inode)
    if why is not None and inode.delalloc_blocks():
        # filemap_flush(): its error, if any, is not close(2)'s
        flush_all(machine, inode, why)
    if not policy.frees_eofblocks_on_close or not writable or inode.eofblocks_released:
        return
    if not can_free_eofblocks(machine, inode):
        return
    if free_eofblocks(machine, inode, "the first close frees blocks past EOF"):
        inode.eofblocks_released = True


def can_free_eofblocks(machine: Machine, inode: Inode) -> bool:
    """xfs_can_free_eofblocks()."""
    delayed = inode.delalloc_blocks()
    if inode.size == 0 and not inode.cache.pages() and not delayed:
        return False
    if inode.prealloc and not delayed:
        return False
    end = -(-inode.size // machine.fs.blocksize)
    return bool(delayed) or next(inode.data.overlapping(end, 1 << 62), None) is not None


def free_eofblocks(machine: Machine, inode: Inode, why: str) -> bool:
    """xfs_free_eofblocks(): drop what lies past the EOF block; False if the model keeps it.

    The kernel does this on its own, so the kernel model decides first
    (``before_trim``): v5's seal keeps them (§2.2).
    """
    end = -(-inode.size // machine.fs.blocksize)
    try:
        machine.model.before_trim(machine, inode, why)
    except SyscallError as kept:
        bs = machine.fs.blocksize
        machine.emit(
            EventKind.SEAL,
            f"{kept.why}: the blocks past EOF stay",
            file=(inode.name, end * bs, max(end, inode.data.end_block()) * bs),
        )
        return False
    inode.eofblocks_tag = False  # xfs_inode_clear_eofblocks_tag()
    if inode.prealloc:
        # "For preallocated files only free delayed allocations."
        for extent in list(inode.data.overlapping(end, 1 << 62)):
            if extent.state is ExtentState.DELALLOC:
                piece = extent.clip(max(end, extent.file_block), extent.end)
                blocks.unmap(machine, inode, piece.file_block, piece.end, why, cancel_cow=False)
        return True
    stop = max(inode.data.end_block(), inode.cow.end_block())
    if stop > end:
        blocks.unmap(machine, inode, end, stop, why)
    if not inode.data and not inode.cow:
        inode.reflinked = False  # xfs_itruncate_clear_reflink_flags()
    return True


def xfs_blockgc_free_space(
    machine: Machine, *, sync: bool, why: str, locked: Inode | tuple[Inode, ...] = ()
) -> None:
    """Give back speculative space on XFS when an allocation hits ENOSPC.

    A buffered write that gets ENOSPC first flushes every dirty inode of the
    filesystem (``xfs_flush_inodes``) and then runs a synchronous blockgc scan
    (``xfs_blockgc_free_space`` with XFS_ICWALK_FLAG_SYNC) before retrying once
    (``xfs_file_buffered_write``); a transaction that cannot reserve its blocks
    runs a non-waiting scan and retries (``xfs_trans_alloc_inode``).  The scan
    frees the post-EOF blocks of inodes that had speculative preallocation
    (``xfs_inode_free_eofblocks``) and cancels the unused CoW-fork blocks of
    clean inodes (``xfs_inode_free_cowblocks``); a non-waiting scan skips inodes
    with dirty pages.  Both need the inode's IOLOCK (``xfs_ilock_nowait``): the
    inode whose fallocate or punch transaction is asking (``locked``) holds its
    own, so the scan passes it by and it keeps its preallocation (§4.5); an exchange
    of two files' ranges holds both IOLOCKs.
    """
    held = locked if isinstance(locked, tuple) else (locked,)
    if not machine.fs.policy.blockgc:
        return
    files = list(machine.fs.files.values())
    if sync:
        for inode in files:
            flush_all(machine, inode, f"{why}: ENOSPC makes XFS flush every inode")
            inode.dirty_pages = False  # sync_inodes_sb()
    for inode in files:
        dirty = bool(inode.cache.dirty)
        if (dirty and not sync) or any(inode is x for x in held):
            continue
        if inode.eofblocks_tag:
            if can_free_eofblocks(machine, inode):
                free_eofblocks(machine, inode, f"{why}: blockgc frees post-EOF preallocation")
            else:
                inode.eofblocks_tag = False
        if inode.cow and not dirty:
            for staged in list(inode.cow):
                inode.cow.remove(staged.file_block, staged.end)
                blocks.release_piece(
                    machine, inode, staged, f"{why}: blockgc cancels unused CoW blocks", fork="cow"
                )
