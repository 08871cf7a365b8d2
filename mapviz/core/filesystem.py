"""The simulated filesystem: one device, its free space, its refcounts, its files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from mapviz.core.allocator import FreeSpace
from mapviz.core.fs import FsPolicy, policy_named
from mapviz.core.geometry import Geometry
from mapviz.core.inode import Inode
from mapviz.core.intervals import IntervalSet
from mapviz.core.memory import PAGE_SIZE
from mapviz.core.pagecache import Frames
from mapviz.core.refcount import Refcounts
from mapviz.scenario.syntax import FsConfig


class NoSpace(Exception):
    """Not enough free blocks for an allocation or reservation (ENOSPC)."""


@dataclass(slots=True)
class Filesystem:
    """Device, allocator and files of the one simulated filesystem (DESIGN.md "Filesystem").

    Block numbers are device blocks of ``config.blocksize`` bytes.  Blocks
    the filesystem itself uses after mkfs (log, AG headers, inode tables,
    journal) are taken from free space at creation, as ``policy.mkfs``
    places them.  ``policy`` answers wherever the filesystem type matters
    (``mapviz/core/fs``), chosen once here from ``config.type``.
    """

    config: FsConfig
    policy: FsPolicy
    geometry: Geometry
    free: FreeSpace
    refcounts: Refcounts = field(default_factory=Refcounts)
    external: IntervalSet = field(default_factory=IntervalSet)  # blocks owned outside the scenario
    files: dict[str, Inode] = field(default_factory=dict)
    frames: Frames = field(default_factory=Frames)
    delalloc_reserved: int = 0
    next_inode: int = 131
    caller_privileged: bool = True  # the task making the current call: uid 0 or CAP_SYS_RESOURCE
    rotor: int = 0  # where the next file's first allocation looks for space
    busy: IntervalSet = field(default_factory=IntervalSet)  # XFS: freed, not yet reusable

    @classmethod
    def create(cls, config: FsConfig) -> Filesystem:
        """A freshly made filesystem (mkfs + mount) for ``config``."""
        policy = policy_named(config.type)
        geometry = policy.mkfs(config.size, config.blocksize, config.reflink)
        free = FreeSpace(geometry.total_blocks)
        for start, count in geometry.metadata:
            free.claim(start, count)
        first_free = next(free.runs(), (0, 0))[0]
        return cls(config=config, policy=policy, geometry=geometry, free=free, rotor=first_free)

    def copy(self) -> Filesystem:
        """An independent copy for checkpoints: O(size of the state)."""
        return Filesystem(
            config=self.config,
            policy=self.policy,
            geometry=self.geometry,
            free=self.free.copy(),
            refcounts=self.refcounts.copy(),
            external=self.external.copy(),
            files={name: inode.copy() for name, inode in self.files.items()},
            frames=self.frames.copy(),
            delalloc_reserved=self.delalloc_reserved,
            next_inode=self.next_inode,
            caller_privileged=self.caller_privileged,
            rotor=self.rotor,
            busy=self.busy.copy(),
        )

    # --- units -------------------------------------------------------------

    @property
    def blocksize(self) -> int:
        return self.config.blocksize

    @property
    def blocks_per_page(self) -> int:
        return PAGE_SIZE // self.config.blocksize

    def block_range(self, start: int, stop: int) -> tuple[int, int]:
        """File blocks touched by bytes ``[start, stop)`` (rounded outwards)."""
        bs = self.config.blocksize
        return start // bs, -(-stop // bs)

    def whole_blocks(self, start: int, stop: int) -> tuple[int, int]:
        """File blocks wholly inside bytes ``[start, stop)`` (rounded inwards)."""
        bs = self.config.blocksize
        return -(-start // bs), stop // bs

    # --- space -------------------------------------------------------------

    def available(self) -> int:
        """Blocks a new allocation or delalloc reservation may still use.

        On ext4 the last 5% (``r_blocks_count``) are root's: a caller that is
        not uid 0 and lacks CAP_SYS_RESOURCE stops short of them
        (``ext4_has_free_clusters``); XFS keeps no such reserve.
        """
        room = self.free.free_blocks - self.geometry.unavailable_blocks - self.delalloc_reserved
        if not self.caller_privileged:
            room -= self.geometry.root_reserved
        return room

    def reserve(self, blocks: int) -> None:
        """Reserve ``blocks`` for delalloc (xfs_mod_fdblocks / ext4 da reservation)."""
        if blocks > self.available():
            raise NoSpace
        self.delalloc_reserved += blocks

    def delalloc_indlen(self, blocks: int) -> int:
        """Extra blocks a delalloc extent of ``blocks`` reserves (``FsPolicy.delalloc_indlen``)."""
        return self.policy.delalloc_indlen(blocks, self.config.blocksize)

    def unreserve(self, blocks: int) -> None:
        self.delalloc_reserved -= blocks
        assert self.delalloc_reserved >= 0

    def allocate(
        self, count: int, goal: int | None, *, reserved: bool = False
    ) -> list[tuple[int, int]]:
        """Take ``count`` blocks near ``goal``; ``reserved`` if delalloc already reserved them."""
        if reserved:
            self.unreserve(count)
        elif count > self.available():
            raise NoSpace
        if self.busy and not self.free.fits_outside(count, self.busy):
            # nothing usable but busy extents: xfs_extent_busy_flush() forces the log
            self.force_log()
        pieces = self.free.allocate(count, self.rotor if goal is None else goal, self.busy)
        last_start, last_length = pieces[-1]
        self.rotor = last_start + last_length
        return pieces

    def goal_after(self, inode: Inode, file_block: int) -> int | None:
        """Where to put file block ``file_block`` of ``inode``: right after its previous
        real extent, so the file stays contiguous (None: no such extent, use the rotor)."""
        previous = inode.data.preceding(file_block)
        while previous is not None and previous.physical_block is None:
            previous = inode.data.preceding(previous.file_block)
        if previous is None or previous.physical_block is None:
            return None
        return previous.physical_block + (file_block - previous.file_block)

    def drop_reference(self, start: int, length: int) -> list[tuple[int, int]]:
        """An extent stops using ``[start, start + length)``; free blocks left with no owner."""
        orphaned = self.refcounts.decrease(start, length)
        for first, count in orphaned:
            self.free.release(first, count)
            if self.policy.busy_extents:
                # xfs_extent_busy_insert(): a freed extent stays busy until the
                # transaction that freed it reaches the log on disk; allocations
                # for file data pass it over until then (§4.5)
                self.busy.add(first, first + count)
        return orphaned

    def force_log(self) -> None:
        """The log is forced to disk (fsync, sync): every busy extent is free for use again
        (``xfs_extent_busy_clear`` when the checkpoint commits, §4.5)."""
        self.busy = IntervalSet()

    def add_reference(self, start: int, length: int) -> None:
        """Another extent starts using ``[start, start + length)`` (reflink, dedupe)."""
        self.refcounts.increase(start, length)

    def shared_runs(self, start: int, length: int) -> Iterator[tuple[int, int, bool]]:
        """``(first, last, shared)`` pieces of device blocks ``[start, start + length)``."""
        return self.refcounts.runs(start, start + length)

    def new_inode(self, name: str, owner: int) -> Inode:
        inode = Inode(number=self.next_inode, name=name, owner=owner)
        # Both forks keep a running total of XFS's worst-case bmbt reservation.
        inode.data.weigh = inode.cow.weigh = partial(
            self.policy.delalloc_indlen, blocksize=self.config.blocksize
        )
        self.next_inode += 1
        self.files[name] = inode
        return inode

    def _check(self) -> None:
        """Assert the device-wide invariants of DESIGN.md.

        Every allocated block is owned by exactly its refcount's number of
        extents (plus owners outside the scenario), and free + used = size.
        """
        self.free._check()
        self.refcounts._check()
        owners: dict[int, int] = {}
        used = sum(count for _start, count in self.geometry.metadata)
        for inode in self.files.values():
            inode._check()
            for fork in (inode.data, inode.cow):
                for extent in fork:
                    if extent.physical_block is None:
                        continue
                    _count_owners(owners, extent.physical_block, extent.length)
        for start, stop in self.external:
            _count_owners(owners, start, stop - start)
        distinct = 0
        for block, count in owners.items():
            assert not self.free.is_free(block, 1), ("allocated block is free", block)
            assert self.refcounts.count(block) == count, ("refcount", block, count)
            distinct += 1
        assert used + distinct + self.free.free_blocks == self.geometry.total_blocks, (
            used,
            distinct,
            self.free.free_blocks,
            self.geometry.total_blocks,
        )
        assert self.delalloc_reserved >= 0
        for start, stop in self.busy:
            assert self.free.is_free(start, stop - start), ("busy block in use", start, stop)


def _count_owners(owners: dict[int, int], start: int, length: int) -> None:
    # Checking walks blocks one by one; it runs in tests, on small devices.
    for block in range(start, start + length):
        owners[block] = owners.get(block, 0) + 1
