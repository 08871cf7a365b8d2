"""The page cache's range-based state against a per-page reference model.

The page cache holds its pages, dirty blocks and large folios as runs
(``PageCache``, ``IntervalSet``, ``Folios``), and readahead asks it questions
about ranges (is any page of a folio cached, where is the next or the previous
miss) in O(log n) instead of page by page.  Hypothesis drives random fills,
evictions, dirtying, cleaning, shifts and folio changes on both the real
structures and a deliberately dumb model -- a dict per page, a set per block,
the per-page loops readahead used before -- and after every step the two must
agree.  Derandomized, so every run checks the same few thousand sequences.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mapviz.core.inode import Inode
from mapviz.core.ops import readahead
from mapviz.core.pagecache import Frames, PageCache

SPAN = 48  # pages
BPP = 2  # blocks per page (1 KiB blocks would be 4; 2 keeps the block space small)
pages = st.integers(0, SPAN - 1)
counts = st.integers(1, 12)

ULONG_MAX = readahead.ULONG_MAX


def reference_prev_miss(cached: set[int], index: int, scan: int) -> int:
    """page_cache_prev_miss() page by page, as readahead.py first had it."""
    page = index
    for _ in range(scan):
        if page < 0:
            return ULONG_MAX
        if page not in cached:
            return page
        page -= 1
    return page


def reference_next_miss(cached: set[int], index: int, scan: int) -> int:
    page = index
    for _ in range(scan):
        if page not in cached:
            return page
        page += 1
    return page


class PageCacheMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.inode = Inode(number=1, name="f", owner=0)
        self.cache: PageCache = self.inode.cache
        self.frames = Frames()
        self.pages: dict[int, int] = {}  # page -> frame
        self.dirty: set[int] = set()  # blocks
        self.folios: dict[int, int] = {}  # first page -> pages (large folios only)

    @rule(first=pages, count=counts)
    def fill(self, first: int, count: int) -> None:
        stop = first + count
        expected_new = [p for p in range(first, stop) if p not in self.pages]
        added = self.cache.fill(first, stop, self.frames)
        got_new = [p for page, n, _ in added for p in range(page, page + n)]
        assert got_new == expected_new
        used = set(self.pages.values())
        for page, n, frame in added:
            for i in range(n):
                assert frame + i not in used
                self.pages[page + i] = frame + i

    @rule(first=pages, count=counts)
    def drop(self, first: int, count: int) -> None:
        stop = first + count
        dropped = self.cache.drop(first, stop, self.frames)
        got = {p: f + p - page for page, n, f in dropped for p in range(page, page + n)}
        assert got == {p: f for p, f in self.pages.items() if first <= p < stop}
        for page in got:
            del self.pages[page]

    @rule(first=pages, count=counts, dirty=st.booleans())
    def dirty_blocks(self, first: int, count: int, dirty: bool) -> None:
        lo, hi = first * BPP, (first + count) * BPP - (count % 2)
        if dirty:
            self.cache.dirty.add(lo, hi)
            self.dirty |= set(range(lo, hi))
        else:
            self.cache.dirty.remove(lo, hi)
            self.dirty -= set(range(lo, hi))

    @rule(order=st.integers(1, 3), at=pages)
    def new_folio(self, order: int, at: int) -> None:
        first = at >> order << order
        size = 1 << order
        if any(first < s + n and s < first + size for s, n in self.folios.items()):
            return  # folios never overlap
        self.inode.folios[first] = size
        self.folios[first] = size

    @precondition(lambda self: bool(self.folios))
    @rule(data=st.data())
    def drop_folio(self, data: st.DataObject) -> None:
        first = data.draw(st.sampled_from(sorted(self.folios)))
        del self.inode.folios[first]
        del self.folios[first]

    @rule(at=pages, delta=st.integers(1, 6))
    def shift(self, at: int, delta: int) -> None:
        # insert range: nothing cached, dirty or in a folio straddles the cut
        self.cache.drop(at, at + 1, self.frames)
        self.pages = {p: f for p, f in self.pages.items() if p != at}
        self.cache.dirty.remove(at * BPP, (at + 1) * BPP)
        self.dirty -= set(range(at * BPP, (at + 1) * BPP))
        for first in [s for s, n in self.folios.items() if s <= at < s + n]:
            del self.inode.folios[first]
            del self.folios[first]
        self.cache.shift(at + 1, delta, BPP)
        self.pages = {(p + delta if p > at else p): f for p, f in self.pages.items()}
        self.dirty = {(b + delta * BPP if b >= (at + 1) * BPP else b) for b in self.dirty}

    @rule(first=pages, count=st.integers(0, 70))
    def range_questions(self, first: int, count: int) -> None:
        stop = first + count
        cached = set(self.pages)
        inside = [p for p in range(first, stop) if p in cached]
        assert self.cache.any_cached(first, stop) == bool(inside)
        assert self.cache.next_uncached(first, stop) == next(
            (p for p in range(first, stop) if p not in cached), stop
        )
        low = first - count
        assert self.cache.prev_uncached(first, low) == next(
            (p for p in range(first, low, -1) if p not in cached), low
        )
        missing = [p for p in range(first, stop) if p not in cached]
        assert [p for a, b in self.cache.missing(first, stop) for p in range(a, b)] == missing
        runs = list(self.cache.missing(first, stop))
        assert all(b0 < a1 for (_, b0), (a1, _) in pairwise(runs))
        assert self.cache.dirty.any_in(first * BPP, stop * BPP) == any(
            first * BPP <= b < stop * BPP for b in self.dirty
        )
        # from the folio holding ``first`` (or ``first``) up to ``stop``, as it always was
        low = next((s for s, n in self.folios.items() if s <= first < s + n), first)
        holding = [(s, n) for s, n in sorted(self.folios.items()) if low <= s < stop]
        assert self.inode.folios.overlapping(first, stop) == holding

    @rule(index=st.integers(-2, SPAN + 4), scan=st.integers(0, 70))
    def readahead_misses(self, index: int, scan: int) -> None:
        cached = set(self.pages)
        if index >= 0:
            assert readahead._next_miss(self.inode, index, scan) == reference_next_miss(
                cached, index, scan
            )
        assert readahead._prev_miss(self.inode, index, scan) == reference_prev_miss(
            cached, index, scan
        )

    @invariant()
    def agrees(self) -> None:
        self.cache._check()
        self.frames._check()
        runs = {p: f + p - page for page, n, f in self.cache.runs() for p in range(page, page + n)}
        assert runs == self.pages
        assert self.cache.pages() == len(self.pages)
        for page in range(-1, SPAN + 8):
            assert self.cache.cached(page) == (page in self.pages)
            assert self.cache.frame_of(page) == self.pages.get(page)
            holder = next((s for s, n in self.folios.items() if s <= page < s + n), None)
            assert self.inode.folios.start_of(page) == holder
        assert {b for a, z in self.cache.dirty for b in range(a, z)} == self.dirty
        assert self.cache.dirty.total() == len(self.dirty)
        assert self.frames.in_use() == len(self.pages)


TestPageCacheRanges = settings(
    max_examples=2500, stateful_step_count=25, deadline=None, derandomize=True
)(PageCacheMachine).TestCase
