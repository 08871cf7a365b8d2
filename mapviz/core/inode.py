"""A file: its size, its block map, its page cache, its content and its flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from sortedcontainers import SortedSet

from mapviz.core.content import Content
from mapviz.core.extents import ExtentMap, ExtentState
from mapviz.core.pagecache import Folios, PageCache


@dataclass(slots=True)
class Lease:
    """A lease-model MAP_DIRECT lease: one per mapping, covering the whole file (§1.4)."""

    mapping_id: int
    holder: str  # process that called mmap: it gets the SIGIO
    address: int
    break_deadline: float | None = None  # simulated time the holder must munmap by


@dataclass(slots=True)
class Inode:
    """One regular file on the simulated filesystem.

    Sizes are bytes; ``data`` (the data fork) and ``cow`` (XFS's CoW fork:
    staged copy-on-write of shared blocks, kernel-semantics §4.1) are in
    blocks.  ``disk_size`` is the size already on disk (``i_disk_size``):
    writeback moves it, and XFS's truncate flushes when it lags (``ops/setsize.py``, §4.5).
    """

    number: int
    name: str
    owner: int
    mode: int = 0o600
    size: int = 0
    disk_size: int = 0
    data: ExtentMap = field(default_factory=ExtentMap)
    cow: ExtentMap = field(default_factory=ExtentMap)
    content: Content = field(default_factory=Content)
    cache: PageCache = field(default_factory=PageCache)
    immutable: bool = False  # chattr +i
    swapfile: bool = False  # S_SWAPFILE: an active swapfile (§3.1)
    prealloc: bool = False  # XFS_DIFLAG_PREALLOC: fallocate made preallocation (§4.5)
    truncated: bool = False  # XFS_ITRUNCATED: flush delalloc on close (xfs_file_release)
    eofblocks_released: bool = False  # XFS_EOFBLOCKS_RELEASED (xfs_file_release)
    reflinked: bool = False  # xfs_is_reflink_inode(): has had shared extents
    da_alloc_close: bool = False  # ext4 EXT4_STATE_DA_ALLOC_CLOSE: truncated to 0
    eofblocks_tag: bool = False  # XFS_IEOFBLOCKS: has had speculative preallocation
    extsize: int = 0  # XFS extent size hint, blocks (0: none; §9.11)
    cowextsize: int = 0  # XFS CoW extent size hint, blocks (0: none; §9.11)
    indlen: int = 0  # XFS: blocks reserved for the bmbt growth of its delalloc extents
    folios: Folios = field(default_factory=Folios)  # large folios: first page -> pages
    ra_marks: SortedSet[int] = field(default_factory=SortedSet)  # folios flagged PG_readahead
    dirty_pages: bool = False  # I_DIRTY_PAGES: set by dirtying, cleared by sync(2)-style writeback
    seal_count: int = 0  # v5: MAP_DIRECT mappings of the inode (i_mapdcount, §2.4)
    leases: list[Lease] = field(default_factory=list)

    @property
    def sealed(self) -> bool:
        """v5's S_IOMAP_SEALED: some MAP_DIRECT mapping of the inode exists (§2.2)."""
        return self.seal_count > 0

    def delalloc_blocks(self) -> int:
        """Blocks reserved but not yet allocated (data and CoW fork)."""
        return sum(
            e.length
            for fork in (self.data, self.cow)
            for e in fork
            if e.state is ExtentState.DELALLOC
        )

    def copy(self) -> Inode:
        """An independent copy (leases copied, everything else copy-on-write safe)."""
        return Inode(
            number=self.number,
            name=self.name,
            owner=self.owner,
            mode=self.mode,
            size=self.size,
            disk_size=self.disk_size,
            data=self.data.copy(),
            cow=self.cow.copy(),
            content=self.content.copy(),
            cache=self.cache.copy(),
            immutable=self.immutable,
            swapfile=self.swapfile,
            prealloc=self.prealloc,
            truncated=self.truncated,
            eofblocks_released=self.eofblocks_released,
            reflinked=self.reflinked,
            da_alloc_close=self.da_alloc_close,
            eofblocks_tag=self.eofblocks_tag,
            extsize=self.extsize,
            cowextsize=self.cowextsize,
            indlen=self.indlen,
            folios=self.folios.copy(),
            ra_marks=SortedSet(self.ra_marks),
            dirty_pages=self.dirty_pages,
            seal_count=self.seal_count,
            leases=[
                Lease(x.mapping_id, x.holder, x.address, x.break_deadline) for x in self.leases
            ],
        )

    def _check(self) -> None:
        self.data._check()
        self.cow._check()
        self.content._check()
        self.cache._check()
        assert self.size >= 0 and self.disk_size >= 0
        assert self.seal_count >= 0
