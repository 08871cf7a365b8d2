"""mke2fs (e2fsprogs 1.47, Debian's mke2fs.conf) + mount on Linux 6.18: the ext4 geometry.

Block groups and flex groups, superblock and descriptor backups, reserved
GDT blocks, bitmaps and inode tables, the root and lost+found directories,
the journal near the middle of the device, and the reserved clusters and
root reserve of statfs.  Each rule names the e2fsprogs or kernel function it
comes from; ``tests/core/test_geometry.py`` checks them against real images.
"""

from __future__ import annotations

import bisect

from mapviz.core.geometry import KIB, MIB, Geometry, howmany

__all__ = ["ext4_extent_tree_blocks", "ext4_geometry"]

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
    level = howmany(extents, per_block)
    while level > _EXT4_INODE_EXTENTS:
        blocks += level
        level = howmany(level, per_block)
    return blocks + level


def ext4_geometry(size: int, blocksize: int) -> Geometry:
    """What ``mkfs.ext4 -b BLOCKSIZE -E nodiscard`` + mount give a ``size``-byte device."""
    blocks = size // blocksize
    first = 1 if blocksize == 1024 else 0  # s_first_data_block
    per_group = 8 * blocksize  # one block of block bitmap

    # parse_fs_type (misc/mke2fs.c) and mke2fs.conf: inode_ratio by size class.
    mib = MIB // blocksize
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
        groups = howmany(blocks - first, per_group)
        if groups == 0:
            raise ValueError("mkfs.ext4 refuses a device this small")
        desc_blocks = howmany(groups, blocksize // _EXT4_DESC_SIZE)
        ipg = min(howmany(want_inodes, groups), (1 << 16) - blocksize // _EXT4_INODE_SIZE)
        table = howmany(ipg * _EXT4_INODE_SIZE, blocksize)
        ipg = max(table * blocksize // _EXT4_INODE_SIZE, 8) & ~7
        table = howmany(ipg * _EXT4_INODE_SIZE, blocksize)
        max_blocks = blocks * 1024 if blocks < 0xFFFFFFFF // 1024 else 0xFFFFFFFF
        rsv_gdt = (
            howmany(howmany(max_blocks - first, per_group), blocksize // _EXT4_DESC_SIZE)
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
    while lpf_blocks < 12 and (lpf_blocks * blocksize < 16 * KIB or lpf_blocks < 2):
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
