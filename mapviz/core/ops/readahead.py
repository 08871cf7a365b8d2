"""read(2) through the page cache, with Linux's readahead (mm/readahead.c, mm/filemap.c).

Which folios a read brings in matters to the block map later: writeback
writes whole folios, so dirty blocks that share a large folio with a page
being flushed are written too.  ``filemap_read()`` takes the cached folios
from the read position on; when the first is missing it runs synchronous
readahead (``page_cache_sync_ra``: a new window of ``get_init_ra_size()``
pages, order-0 folios, the PG_readahead mark ``async_size`` pages before its
end); reaching a marked folio runs asynchronous readahead
(``page_cache_async_ra``: the next window, ``get_next_ra_size()`` pages, folio
order + 2).  ``page_cache_ra_order()`` allocates aligned folios, smaller near
EOF, and falls back to single pages (``page_cache_ra_unbounded``) when it meets
a cached page.  The window state lives in the open file (``OpenFile.ra_*``).
``RA_PAGES`` is the loop devices' read_ahead_kb (2560 KiB) on the recording
machine.  Faults through a mapping use order-0 read-around and are not
modelled here (``fault.py`` caches just the faulting page).
"""

from __future__ import annotations

from mapviz.core.inode import Inode
from mapviz.core.machine import Machine
from mapviz.core.memory import PAGE_SIZE, OpenFile
from mapviz.core.ops.pages import cache_pages, note_folio

RA_PAGES = 640  # bdi->ra_pages of the test filesystems' loop devices
ULONG_MAX = (1 << 64) - 1


def read(
    machine: Machine, entry: OpenFile | None, inode: Inode, offset: int, length: int, chunk: int
) -> int:
    """xfs_io ``pread``: read(2) calls of ``chunk`` bytes; returns the bytes read.

    Like xfs_io's read_buffer(), it stops at the first short (or empty) read.
    """
    done = 0
    position, end = offset, offset + length
    while position < end:
        settled = _past_cached_calls(entry, inode, position, end, chunk)
        if settled > position:
            done += settled - position
            position = settled
            continue
        count = min(chunk, end - position)
        got = _filemap_read(machine, entry, inode, position, count)
        done += got
        position += got
        if got < count:
            break
    return done


def _past_cached_calls(
    entry: OpenFile | None, inode: Inode, position: int, end: int, chunk: int
) -> int:
    """Where the read(2) calls from ``position`` on stop being ones that find every page
    cached and no folio marked PG_readahead, inside EOF, having moved the file's
    ``prev_pos`` over those that are.

    Such a call only copies from the cache (filemap_get_read_batch() finds it all,
    no readahead starts): most calls of a long read after the window is read in,
    so they are taken together.
    """
    limit = min(end, inode.size)
    if chunk <= 0 or position + chunk > limit:
        return position
    page = position // PAGE_SIZE
    head = inode.folios.start_of(page)  # the first call's batch starts at its folio
    stop_page = inode.cache.next_uncached(page, -(-limit // PAGE_SIZE))
    for marked in inode.ra_marks.irange(page if head is None else head, stop_page - 1):
        stop_page = marked  # a call reaching this folio starts asynchronous readahead
        break
    covered = min(limit, stop_page * PAGE_SIZE)
    if covered < position + chunk:
        return position
    settled = position + (covered - position) // chunk * chunk
    if entry is not None:
        entry.ra_prev_pos = settled
    return settled


def _filemap_read(
    machine: Machine, entry: OpenFile | None, inode: Inode, pos: int, count: int
) -> int:
    start = pos
    last_pos = pos
    while count > 0 and pos < inode.size:
        index = pos // PAGE_SIZE
        last_index = -(-(pos + count) // PAGE_SIZE)
        batch = _read_batch(inode, index, last_index - 1)
        if not batch:
            if entry is not None:
                _sync_ra(machine, entry, inode, index, last_index - index)
            batch = _read_batch(inode, index, last_index - 1)
        if not batch:
            _add_folio(machine, inode, index, 0)  # filemap_create_folio()
            batch = [index]
        last = batch[-1]
        if last in inode.ra_marks and entry is not None:
            _async_ra(machine, entry, inode, last, last_index - last)
        folio_end = (last + _folio_pages(inode, last)) * PAGE_SIZE
        new_pos = min(folio_end, pos + count, inode.size)
        count -= new_pos - pos
        pos = last_pos = new_pos
    if entry is not None:
        entry.ra_prev_pos = last_pos
    return pos - start


def _folio_pages(inode: Inode, first: int) -> int:
    return inode.folios.get(first, 1)


def _read_batch(inode: Inode, index: int, last: int) -> list[int]:
    """filemap_get_read_batch(): cached folios from ``index`` on, up to ``last``, ending
    after one marked PG_readahead."""
    batch: list[int] = []
    cached, folios, marks = inode.cache.cached, inode.folios, inode.ra_marks
    page = index
    while page <= last and cached(page):
        first = folios.start_of(page)
        if first is None:  # a single page
            first = page
        batch.append(first)
        if first in marks:
            break
        page = first + folios.get(first, 1)
    return batch


def _add_folio(machine: Machine, inode: Inode, first: int, order: int) -> None:
    note_folio(inode, first, 1 << order)
    cache_pages(machine, inode, first, first + (1 << order), "readahead")


def _init_size(size: int, maximum: int) -> int:
    """get_init_ra_size()."""
    new = 1 << (size - 1).bit_length() if size > 1 else 1
    if new <= maximum // 32:
        return new * 4
    if new <= maximum // 4:
        return new * 2
    return maximum


def _next_size(current: int, maximum: int) -> int:
    """get_next_ra_size()."""
    if current < maximum // 16:
        return 4 * current
    if current <= maximum // 2:
        return 2 * current
    return maximum


def _prev_miss(inode: Inode, index: int, scan: int) -> int:
    """page_cache_prev_miss(): the first uncached page at or before ``index``, looking at
    ``scan`` pages (``index - scan`` if all are cached; ULONG_MAX past page 0)."""
    if scan <= 0:
        return index
    lowest = index - scan
    stop = max(lowest, -1)
    page = inode.cache.prev_uncached(index, stop)
    if page > stop:
        return page
    return ULONG_MAX if lowest < -1 else lowest


def _next_miss(inode: Inode, index: int, scan: int) -> int:
    """page_cache_next_miss(): the first uncached page at or after ``index``, looking at
    ``scan`` pages (``index + scan`` if all are cached)."""
    return inode.cache.next_uncached(index, index + max(scan, 0))


def force_readahead(machine: Machine, inode: Inode, index: int, count: int) -> None:
    """force_page_cache_ra(): read ``count`` pages from ``index`` (to EOF), single pages."""
    _do_ra(machine, inode, index, count, 0)


def _sync_ra(machine: Machine, ra: OpenFile, inode: Inode, index: int, req: int) -> None:
    """page_cache_sync_ra()."""
    if ra.ra_random:
        # POSIX_FADV_RANDOM (FMODE_RANDOM): just the pages asked for (§9.5)
        force_readahead(machine, inode, index, req)
        return
    maximum = ra.ra_max or RA_PAGES
    prev_index = (ra.ra_prev_pos >> 12) if ra.ra_prev_pos >= 0 else ULONG_MAX
    if not index or req > maximum or (index - prev_index) % (1 << 64) <= 1:
        ra.ra_start = index
        ra.ra_size = _init_size(req, maximum)
        ra.ra_async = ra.ra_size - req if ra.ra_size > req else ra.ra_size >> 1
    else:
        miss = _prev_miss(inode, index - 1, maximum)
        contig = index - miss - 1 if miss != ULONG_MAX else index
        if contig <= req:
            _do_ra(machine, inode, index, req, 0)  # "Standalone, small random read"
            return
        if miss == ULONG_MAX:
            contig *= 2
        ra.ra_start = index
        ra.ra_size = min(contig + req, maximum)
        ra.ra_async = 1
    ra.ra_order = 0
    _ra_order(machine, ra, inode)


def _async_ra(machine: Machine, ra: OpenFile, inode: Inode, folio: int, req: int) -> None:
    """page_cache_async_ra(), for the marked folio starting at page ``folio``."""
    inode.ra_marks.discard(folio)
    maximum = ra.ra_max or RA_PAGES
    pages = _folio_pages(inode, folio)
    expected = (ra.ra_start + ra.ra_size - ra.ra_async) // pages * pages
    if folio == expected:
        ra.ra_start += ra.ra_size
        ra.ra_size = max(ra.ra_size, _next_size(ra.ra_size, maximum))
        ra.ra_async = ra.ra_size
    else:
        start = _next_miss(inode, folio + 1, maximum)
        if not start or start - folio > maximum:
            return
        ra.ra_start = start
        ra.ra_size = _next_size(start - folio + req, maximum)
        ra.ra_async = ra.ra_size
    ra.ra_order += 2
    _ra_order(machine, ra, inode)


def _ra_order(machine: Machine, ra: OpenFile, inode: Inode) -> None:
    """page_cache_ra_order(): aligned folios of the window's order, none past EOF."""
    start = index = ra.ra_start
    if inode.size == 0:
        return
    limit = min((inode.size - 1) // PAGE_SIZE, start + ra.ra_size - 1)
    mark = start + ra.ra_size - ra.ra_async
    new_order = min(9, ra.ra_order, max(ra.ra_size, 1).bit_length() - 1)
    ra.ra_order = new_order
    failed = False
    while index <= limit:
        order = new_order
        if index & ((1 << order) - 1):
            order = (index & -index).bit_length() - 1
        while order > 0 and index + (1 << order) - 1 > limit:
            order -= 1
        if inode.cache.any_cached(index, index + (1 << order)):
            failed = True  # filemap_add_folio(): -EEXIST
            break
        _add_folio(machine, inode, index, order)
        if mark - index < (1 << order) and mark >= index:
            inode.ra_marks.add(index)
        index += 1 << order
    if failed and ra.ra_size > index - start:
        _do_ra(machine, inode, index, ra.ra_size - (index - start), ra.ra_async)


def _do_ra(machine: Machine, inode: Inode, index: int, count: int, lookahead: int) -> None:
    """do_page_cache_ra() -> page_cache_ra_unbounded(): single pages, skipping cached ones."""
    if inode.size == 0:
        return
    end_index = (inode.size - 1) // PAGE_SIZE
    if index > end_index:
        return
    count = min(count, end_index - index + 1)
    mark = count - lookahead
    cached, folios = inode.cache.cached, inode.folios
    i = 0
    while i < count:
        page = index + i
        if cached(page):  # on past its folio
            first = folios.start_of(page)
            if first is None:
                first = page
            i = first + folios.get(first, 1) - index
            continue
        _add_folio(machine, inode, page, 0)
        if i == mark:
            inode.ra_marks.add(page)
        i += 1
