"""A filesystem policy: what the filesystem type decides, asked at named decision points.

The operations in ``mapviz/core/ops`` and ``mapviz/core/commands`` are the
VFS and the mechanics every filesystem shares (extents, page cache,
writeback).  Where XFS and ext4 differ, an operation asks the policy of the
filesystem it runs on (``machine.fs.policy``, chosen once by
``Filesystem.create`` from ``%fs``) instead of testing the type: a flag
named after the kernel mechanism (``buffered_iomap``, ``blockgc``), a number
(``max_file_size``), a check that may refuse (``write_checks``), or a small
state change of the inode (``after_truncate_down``).  Each subclass cites
the source of every answer: ``Xfs`` in ``xfs.py``, ``Ext4`` in ``ext4.py``.

A policy is stateless and shared by every filesystem of its type, like the
kernel models (``mapviz/core/models``).  It knows only the core's data
(geometry, inodes, errors), never the operations: those ask it, not the
other way round (``tests/codebase/test_layering.py``).  Whole procedures
that differ (the fallocate modes, ``->release``) stay in the operations,
named after the kernel functions, and are picked by ``name`` from one table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mapviz.core.geometry import Geometry
    from mapviz.core.inode import Inode


class FsPolicy:
    """Decision points every filesystem answers.  See each subclass for the rules and sources."""

    name = "base"
    summary = ""

    # --- mkfs and space -------------------------------------------------------------------

    def mkfs(self, size: int, blocksize: int, reflink: bool) -> Geometry:
        """The geometry ``mkfs`` + ``mount`` give a ``size``-byte device (blocksize checked)."""
        raise NotImplementedError

    def falloc_reservation(self, range_blocks: int, blocksize: int) -> int:
        """Free blocks one fallocate step over ``range_blocks`` needs up front."""
        raise NotImplementedError

    def delalloc_indlen(self, blocks: int, blocksize: int) -> int:
        """Extra blocks a delalloc extent of ``blocks`` blocks reserves on top of them."""
        raise NotImplementedError

    def create_space_res(self, geometry: Geometry) -> int | None:
        """Blocks creating a file reserves up front, or None: it reserves nothing."""
        return None

    def max_file_size(self, blocksize: int) -> int:
        """``s_maxbytes``: the largest file, in bytes."""
        raise NotImplementedError

    busy_extents = False
    """Freed extents stay busy (not reused for data) until the log is forced."""

    blockgc = False
    """On ENOSPC, flush and give back speculative preallocation and staged CoW blocks."""

    # --- sharing, ioctls, xfs_io --------------------------------------------------------------

    shares_blocks = False
    """Reflink and dedupe: files may share blocks; a store to a shared block is copied
    on write (through a CoW fork on buffered I/O)."""

    xfs_ioctls = False
    """The XFS-only ioctls (XFS_IOC_SWAPEXT, XFS_IOC_GETBMAPX) exist; elsewhere ENOTTY."""

    xfs_io_foreign = True
    """xfs_io calls a file on this filesystem *foreign*: its ``-b`` default is 4096, not
    the block size, and the XFS-only commands are refused without being issued."""

    map_direct = False
    """The MAP_DIRECT proposals (``%kernel map-direct-*``) wire MAP_DIRECT up here."""

    # --- an fd opened before chattr +i -----------------------------------------------------

    def write_checks(self, inode: Inode) -> None:
        """Raise ``SyscallError`` to refuse a write(2) through an already-open fd."""

    def setattr_checks(self, inode: Inode, what: str) -> None:
        """Raise ``SyscallError`` to refuse a size change (``what``) of ``inode``."""

    def page_mkwrite_refusal(self, inode: Inode) -> str | None:
        """Why ``->page_mkwrite`` refuses a store to a shared mapping of ``inode`` (SIGBUS), or
        None."""
        return None

    flushes_before_immutable = False
    """``chattr +i`` writes the file's dirty pages back first."""

    # --- buffered writes, page_mkwrite, writeback ---------------------------------------------

    buffered_iomap = False
    """Buffered writes and ``page_mkwrite`` map through the filesystem's iomap_begin one
    write(2) at a time: shared blocks are staged in the CoW fork, holes reserved as
    delalloc with speculative preallocation past EOF, the gap past EOF zeroed per call.
    False: the holes of the whole range are reserved as delalloc (``write_begin``)."""

    converts_whole_delalloc = False
    """Writeback allocates a whole delalloc extent (unwritten until its data is written),
    not just the dirty range."""

    # --- size changes --------------------------------------------------------------------------

    def before_setattr_size(self, inode: Inode, size: int) -> None:
        """``notify_change(ATTR_SIZE)`` to ``size`` is about to run: note what the
        filesystem's setattr remembers (nothing by default)."""

    empty_truncate_noop = False
    """A truncate to 0 of an empty file with no extents does nothing at all."""

    iomap_zeroing = False
    """Size changes zero through ``iomap_zero_range`` (which converts speculative
    preallocation met past EOF); False: only the partial block at EOF is zeroed."""

    setattr_writes_back = False
    """A size change writes the file back from the on-disk size to the new size first."""

    def after_truncate_down(self, inode: Inode) -> None:
        """A truncate down has freed the blocks past EOF: update the inode's flags."""

    # --- the last close (->release) -----------------------------------------------------------

    def release_flush(self, inode: Inode) -> str | None:
        """The last close of ``inode``: why its delalloc data is written back now (clearing
        the flag that asked for it), or None."""
        return None

    frees_eofblocks_on_close = False
    """The first close of a writable fd frees the blocks past EOF (speculative
    preallocation)."""

    # --- direct I/O and RWF_NOWAIT --------------------------------------------------------------

    dio_checks_alignment_first = False
    """An O_DIRECT write checks its alignment before anything else (else: after mapping
    the holes)."""

    dio_unaligned_cow_buffered = False
    """An unaligned O_DIRECT write to a file with shared extents falls back to a buffered
    write."""

    dio_zeroes_past_eof = False
    """An O_DIRECT write past EOF zeroes the gap first, as a buffered write does."""

    dio_reserves_bmbt_split = False
    """An O_DIRECT write into holes reserves its blocks plus a block-map btree split up
    front, or fails with ENOSPC."""

    buffered_nowait = True
    """A buffered write may be RWF_NOWAIT at all (else EOPNOTSUPP before any other check)."""

    nowait_needs_times_update = False
    """An RWF_NOWAIT write gives up with EAGAIN because updating the file's times needs a
    transaction."""
