"""posix_fadvise(2) and madvise(2): what the hints do to the page cache and page tables.

(kernel-semantics §9.5.)  ``generic_fadvise()`` [mm/fadvise.c]:

* WILLNEED reads the range into the page cache now
  (``force_page_cache_readahead()``, single pages, up to EOF);
* DONTNEED starts writeback of the range's dirty pages (WB_SYNC_NONE: nobody
  waits) and then evicts the *whole* pages inside the range that are clean,
  not under writeback and not mapped (``invalidate_mapping_pages()``;
  ``find_lock_entries()`` takes only folios wholly inside): pages that were
  dirty are still under writeback then and stay;
* RANDOM / SEQUENTIAL / NORMAL change the open file's readahead (FMODE_RANDOM,
  twice the window, the default); NOREUSE changes only LRU aging.

``madvise()`` [mm/madvise.c] on a file mapping: DONTNEED zaps the range's
page-table entries (``zap_page_range_single()``; a dirty entry dirties its
page, and a private copy is freed, so the file's data shows again), WILLNEED
is ``vfs_fadvise(WILLNEED)`` over the file range behind it, RANDOM /
SEQUENTIAL set VM_RAND_READ / VM_SEQ_READ, which steer fault read-around
(not modelled: a fault caches just its page, ``fault.py``).
"""

from __future__ import annotations

from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, Mapping
from mapviz.core.ops.pages import evict_cached, zap
from mapviz.core.ops.readahead import force_readahead
from mapviz.core.ops.writeback import writeback

LLONG_MAX = (1 << 63) - 1


def fadvise_willneed(machine: Machine, inode: Inode, offset: int, length: int) -> None:
    """POSIX_FADV_WILLNEED: read ``[offset, offset + length)`` (0: to EOF) into the cache."""
    end = LLONG_MAX if length == 0 else min(offset + length - 1, LLONG_MAX)
    first, last = offset // PAGE_SIZE, end // PAGE_SIZE
    force_readahead(machine, inode, first, last - first + 1)


def fadvise_dontneed(machine: Machine, inode: Inode, offset: int, length: int) -> None:
    """POSIX_FADV_DONTNEED over ``[offset, offset + length)`` (length 0: to the end)."""
    end = LLONG_MAX if length == 0 else min(offset + length - 1, LLONG_MAX)
    why = f"fadvise DONTNEED {machine.span(offset, min(end + 1, 1 << 62))}"
    bpp = machine.fs.blocks_per_page
    # only whole pages: the first is rounded up, the last down
    first = -(-offset // PAGE_SIZE)
    stop = (end + 1) // PAGE_SIZE
    dirty = {
        page
        for lo, hi in inode.cache.dirty.overlapping(first * bpp, stop * bpp)
        for page in range(lo // bpp, -(-hi // bpp))
    }
    # __filemap_fdatawrite_range(WB_SYNC_NONE): the writeback is started (and, in
    # mapviz, done); those pages are under writeback when the eviction looks at them
    writeback(
        machine, inode, offset, min(end + 1, 1 << 62), f"{why} starts writeback (nobody waits)"
    )
    mapped = _mapped_pages(machine, inode)
    evict: list[tuple[int, int]] = []
    for page, count, _frame in list(inode.cache.runs()):
        lo, hi = max(page, first), min(page + count, stop)
        page_no = lo
        while page_no < hi:
            folio_first = inode.folios.start_of(page_no)
            if folio_first is None:
                folio_first = page_no
            folio_stop = folio_first + inode.folios.get(folio_first, 1)
            wholly_inside = folio_first >= first and folio_stop <= stop
            busy = any(p in dirty or p in mapped for p in range(folio_first, folio_stop))
            if wholly_inside and not busy:
                evict.append((folio_first, folio_stop))
            page_no = folio_stop
    for lo, hi in evict:
        evict_cached(machine, inode, lo, hi, why, what="clean pages")


def _mapped_pages(machine: Machine, inode: Inode) -> set[int]:
    """File pages some page-table entry maps from the page cache (mapped folios stay)."""
    pages: set[int] = set()
    for mapping in machine.mappings(inode.name):
        for vpage, pte in mapping.ptes.items():
            if pte.target == "frame":
                pages.add(mapping.file_page(vpage))
    return pages


def madvise_dontneed(machine: Machine, mapping: Mapping, start: int, stop: int) -> None:
    """MADV_DONTNEED over file offsets ``[start, stop)`` of ``mapping``: its entries go."""
    first = mapping.page_at(start)
    last = mapping.page_at(stop - 1) + 1
    zap(machine, mapping, first, last, "madvise DONTNEED", keep_private_copies=False)
