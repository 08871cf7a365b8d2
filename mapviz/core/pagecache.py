"""The page cache of one file: which file pages sit in which memory frames, which are dirty.

Only files on a non-DAX filesystem have one (kernel-semantics §5: DAX "removes
the extra copy").  Cached pages are runs of file pages held in runs of
frames, stored in an :class:`~mapviz.core.extents.ExtentMap` whose "physical"
side is the frame number; dirty data is tracked per *block*, as iomap does
since it tracks dirty state per block inside a folio, so a sub-page write
with 1 KiB blocks dirties only its blocks while a store through a mapping
dirties the whole page (conformance README, 1k-block case).
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedDict

from mapviz.core.allocator import FreeSpace
from mapviz.core.extents import ExtentMap, ExtentState
from mapviz.core.intervals import IntervalSet
from mapviz.core.sortedkeys import floor_key, keys_from_floor

FRAME_SPACE = 1 << 40
"""Frames are numbered from 0; there is no memory pressure in the model, so no bound."""


class Frames:
    """Physical memory frames for the page cache and anonymous pages (lowest free first)."""

    __slots__ = ("_free",)

    def __init__(self) -> None:
        self._free = FreeSpace(FRAME_SPACE)

    def copy(self) -> Frames:
        clone = Frames.__new__(Frames)
        clone._free = self._free.copy()
        return clone

    def take(self, count: int) -> list[tuple[int, int]]:
        """``count`` frames as runs ``(first, length)``, lowest numbers first."""
        return self._free.allocate(count, goal=0)

    def give_back(self, first: int, count: int) -> None:
        self._free.release(first, count)

    def in_use(self) -> int:
        return FRAME_SPACE - self._free.free_blocks

    def _check(self) -> None:
        self._free._check()


class Folios:
    """Large folios of a file's page cache: first page -> pages (single pages are not kept).

    Writeback and faults act on whole folios, so "which folio holds page p" is
    asked on every write and read: a ``SortedDict`` answers it in O(log n).
    Unlike :class:`IntervalSet`, touching folios stay separate.
    """

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        self._runs: SortedDict[int, int] = SortedDict()

    def copy(self) -> Folios:
        clone = Folios()
        clone._runs = self._runs.copy()
        return clone

    def __setitem__(self, first: int, pages: int) -> None:
        self._runs[first] = pages

    def __delitem__(self, first: int) -> None:
        del self._runs[first]

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, first: int, default: int = 1) -> int:
        """Pages of the folio starting at ``first`` (``default`` if none starts there)."""
        return self._runs.get(first, default)

    def items(self) -> Iterator[tuple[int, int]]:
        return iter(self._runs.items())

    def start_of(self, page: int) -> int | None:
        """The first page of the large folio holding ``page``, or ``None``: O(log n)."""
        first = floor_key(self._runs, page)
        if first is None:
            return None
        return first if page < first + self._runs[first] else None

    def overlapping(self, first: int, stop: int) -> list[tuple[int, int]]:
        """Folios with a page in ``[first, stop)``: O(log n + k)."""
        head = self.start_of(first)
        low = head if head is not None else first
        runs = self._runs
        return [(s, runs[s]) for s in keys_from_floor(runs, low, stop) if s >= low]


class PageCache:
    """Cached pages (page -> frame runs) and dirty blocks of one file.

    >>> frames = Frames()
    >>> cache = PageCache()
    >>> cache.fill(0, 4, frames)
    [(0, 4, 0)]
    >>> cache.frame_of(2)
    2
    >>> cache.drop(1, 3, frames)
    [(1, 2, 1)]
    >>> list(cache.runs())
    [(0, 1, 0), (3, 1, 3)]
    """

    __slots__ = ("_pages", "dirty")

    def __init__(self) -> None:
        self._pages = ExtentMap()
        self.dirty = IntervalSet()  # dirty file *blocks*

    def copy(self) -> PageCache:
        clone = PageCache()
        clone._pages = self._pages.copy()
        clone.dirty = self.dirty.copy()
        return clone

    def runs(self) -> Iterator[tuple[int, int, int]]:
        """Cached runs ``(first_page, count, first_frame)`` in file order."""
        for run in self._pages:
            assert run.physical_block is not None
            yield run.file_block, run.length, run.physical_block

    def pages(self) -> int:
        """Number of cached pages: O(n) in runs."""
        return sum(run.length for run in self._pages)

    def cached(self, page: int) -> bool:
        """True if ``page`` is cached: O(log n)."""
        return self._pages.span_at(page) is not None

    def any_cached(self, first: int, stop: int) -> bool:
        """True if some page of ``[first, stop)`` is cached: O(log n)."""
        return self._pages.any_in(first, stop)

    def next_uncached(self, page: int, stop: int) -> int:
        """The first uncached page in ``[page, stop)``, else ``stop``: O(log n) a cached run."""
        while page < stop:
            span = self._pages.span_at(page)
            if span is None:
                return page
            page = span[1]
        return stop

    def prev_uncached(self, page: int, stop: int) -> int:
        """The last uncached page in ``(stop, page]``, going down, else ``stop``: O(log n)
        a cached run."""
        while page > stop:
            span = self._pages.span_at(page)
            if span is None:
                return page
            page = span[0] - 1
        return stop

    def frame_of(self, page: int) -> int | None:
        """The frame caching ``page``, or ``None``: O(log n)."""
        run = self._pages.find(page)
        if run is None:
            return None
        assert run.physical_block is not None
        return run.physical_block + page - run.file_block

    def missing(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        """Uncached page runs ``(first, stop)`` inside ``[first, stop)``."""
        return self._pages.holes(first, stop)

    def fill(self, first: int, stop: int, frames: Frames) -> list[tuple[int, int, int]]:
        """Cache every uncached page of ``[first, stop)``; return new runs ``(page, n, frame)``."""
        added: list[tuple[int, int, int]] = []
        if stop - first == 1:  # one page (readahead's single pages): one lookup, no walk
            holes = [] if self.cached(first) else [(first, stop)]
        else:
            holes = list(self.missing(first, stop))
        for start, end in holes:
            page = start
            for frame, count in frames.take(end - start):
                self._pages.insert(page, count, frame, ExtentState.WRITTEN)
                added.append((page, count, frame))
                page += count
        return added

    def drop(self, first: int, stop: int, frames: Frames) -> list[tuple[int, int, int]]:
        """Evict pages ``[first, stop)``; return the dropped runs ``(page, n, frame)``."""
        dropped: list[tuple[int, int, int]] = []
        for run in self._pages.remove(first, stop):
            assert run.physical_block is not None
            frames.give_back(run.physical_block, run.length)
            dropped.append((run.file_block, run.length, run.physical_block))
        return dropped

    def shift(self, first_page: int, delta_pages: int, blocks_per_page: int) -> None:
        """Move cached pages and dirty blocks at or after ``first_page`` (insert range)."""
        self._pages.shift(first_page, delta_pages)
        self.dirty.shift(first_page * blocks_per_page, delta_pages * blocks_per_page)

    def _check(self) -> None:
        self._pages._check()
        self.dirty._check()
