"""Free space on the simulated device: which blocks are free, and where new ones go.

Free space is a ``SortedDict`` of free runs (first block -> length), always
coalesced.  Placement is deterministic and "near the goal": a file keeps
growing where its previous extent ended when that space is free, as XFS's
allocator tries first (``xfs_bmap_btalloc`` with an exact/near goal); otherwise
the next free run after the goal, wrapping around.  Physical addresses are
never compared with the real kernel, only the logical layout is, so this is
a faithful-enough picture rather than a copy of XFS's by-size btree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import takewhile

from sortedcontainers import SortedDict

from mapviz.core.intervals import IntervalSet
from mapviz.core.sortedkeys import (
    ceil_key,
    first_key_holding,
    floor_key,
    keys_at_or_after,
    keys_from_floor,
    keys_holding,
    replace_key,
)

_END = 1 << 62  # past every block


class FreeSpace:
    """Free runs of device blocks.

    >>> free = FreeSpace(100)
    >>> free.allocate(10, goal=0)
    [(0, 10)]
    >>> free.release(2, 3)
    >>> free.allocate(2, goal=2)   # everything fits at the goal: continue there
    [(2, 2)]
    >>> free.allocate(4, goal=0)   # first run after the goal that holds all 4
    [(10, 4)]
    >>> free.free_blocks
    87
    """

    __slots__ = ("_runs", "free_blocks", "total_blocks")

    def __init__(self, total_blocks: int) -> None:
        self.total_blocks = total_blocks
        self._runs: SortedDict[int, int] = SortedDict({0: total_blocks} if total_blocks else {})
        self.free_blocks = total_blocks

    def copy(self) -> FreeSpace:
        """An independent copy: O(n)."""
        clone = FreeSpace(0)
        clone.total_blocks = self.total_blocks
        clone._runs = self._runs.copy()
        clone.free_blocks = self.free_blocks
        return clone

    def runs(self) -> Iterator[tuple[int, int]]:
        """Free runs ``(first_block, length)`` in device order."""
        return iter(self._runs.items())

    def is_free(self, start: int, length: int) -> bool:
        """True if every block of ``[start, start + length)`` is free: O(log n)."""
        run_start = floor_key(self._runs, start)
        if run_start is None:
            return False
        return bool(run_start + self._runs[run_start] >= start + length)

    def any_free(self, start: int, length: int) -> bool:
        """True if some block of ``[start, start + length)`` is free: O(log n)."""
        runs = self._runs
        before = runs.bisect_right(start) - 1
        first = runs.keys()[before] if before >= 0 else start
        return any(
            key + runs[key] > start
            for key in runs.irange(first, start + length, inclusive=(True, False))
        )

    def claim(self, start: int, length: int) -> None:
        """Take exactly ``[start, start + length)``, which must be free: O(log n)."""
        runs = self._runs
        run_start = floor_key(runs, start)
        assert run_start is not None, (start, length)
        run_length = runs[run_start]
        assert length > 0 and run_start + run_length >= start + length, (start, length)
        run_end = run_start + run_length
        stop = start + length
        if run_start < start:  # its head stays free: a new length under the same key
            runs[run_start] = start - run_start
            if run_end > stop:
                runs[stop] = run_end - stop
        elif run_end > stop:  # its tail stays free: the run's key moves up to ``stop``
            replace_key(runs, run_start, stop, run_end - stop)
        else:
            del runs[run_start]
        self.free_blocks -= length

    def claim_sorted(self, claims: Callable[[], Iterator[tuple[int, int]]]) -> bool:
        """Take every ``(start, length)`` that ``claims()`` yields (sorted, disjoint), if all free.

        False, changing nothing, if one is not.  ``claims`` is called twice (to
        check, then to take), so that a million claims are never held at once.
        One pass over the claims and the free runs they fall in, then one bulk
        update: O(n log n) where :meth:`claim` one by one would split a run a
        million times.
        """
        runs = self._runs
        starts = runs.keys()
        for start, length in claims():
            index = runs.bisect_right(start) - 1
            if index < 0:
                return False
            run_start = starts[index]
            if run_start + runs[run_start] < start + length:
                return False
        emptied: list[int] = []
        claimed = 0

        def left_over() -> Iterator[tuple[int, int]]:
            nonlocal claimed
            run_start = run_end = position = -1
            for start, length in claims():
                if start >= run_end:  # the next free run: finish this one
                    if position < run_end:
                        yield position, run_end - position
                    run_start = starts[runs.bisect_right(start) - 1]
                    position, run_end = run_start, run_start + runs[run_start]
                    emptied.append(run_start)
                if start > position:
                    yield position, start - position
                position = start + length
                claimed += length
            if position < run_end:
                yield position, run_end - position

        pieces = dict(left_over())  # read before the runs it splits are removed
        for run_start in emptied:
            del runs[run_start]
        runs.update(pieces)
        self.free_blocks -= claimed
        return True

    def allocate(
        self, count: int, goal: int, avoid: IntervalSet | None = None
    ) -> list[tuple[int, int]]:
        """Take ``count`` blocks as few runs as possible near ``goal``: O(k log n).

        Prefers, in order: the free run holding ``goal`` (so the file continues
        contiguously), the first run after ``goal`` big enough for everything,
        then runs in device order from ``goal`` wrapping around.  The caller has
        checked there is room (``count <= free_blocks``).  Blocks in ``avoid``
        (XFS's busy extents) are passed over as if taken; the caller makes sure
        enough others are free (:meth:`fits_outside`).

        >>> from mapviz.core.intervals import IntervalSet
        >>> free = FreeSpace(100)
        >>> busy = IntervalSet()
        >>> busy.add(0, 10)
        >>> free.allocate(4, goal=0, avoid=busy)
        [(10, 4)]
        """
        assert 0 < count <= self.free_blocks, (count, self.free_blocks)
        pieces: list[tuple[int, int]] = []
        while count:
            start, length = self._choose(count, goal, avoid or None)
            self.claim(start, length)
            pieces.append((start, length))
            count -= length
            goal = start + length
        return pieces

    def fits_outside(self, count: int, avoid: IntervalSet) -> bool:
        """True if ``count`` free blocks lie outside ``avoid``: O(1) when plenty do,
        else O(m log n) in ``avoid``'s runs."""
        if self.free_blocks - avoid.total() >= count:  # even if every avoided block is free
            return True
        return self.free_outside(avoid) >= count

    def free_outside(self, avoid: IntervalSet) -> int:
        """Free blocks not in ``avoid``: O(m log n) in ``avoid``'s runs."""
        return self.free_blocks - sum(
            min(stop, end) - max(start, run_start)
            for start, stop in avoid
            for run_start, end in self._free_runs(start, stop)
        )

    def _free_runs(self, low: int | None, high: int | None) -> Iterator[tuple[int, int]]:
        """Free runs ``(start, end)`` overlapping ``[low, high)`` (None: unbounded), in order."""
        runs = self._runs
        for start in keys_from_floor(
            runs, -1 if low is None else low, _END if high is None else high
        ):
            end = start + runs[start]
            if low is None or end > low:
                yield start, end

    def _usable(
        self, avoid: IntervalSet, low: int | None, high: int | None, at_least: int = 1
    ) -> Iterator[tuple[int, int]]:
        """Free runs ``(start, length)`` with the blocks of ``avoid`` cut out, whose start
        is in ``[low, high)`` (None: unbounded), in device order: lazily, O(log n) a run.
        Those shorter than ``at_least`` may be left out.

        Cut out of coalesced runs, they never touch: as if the runs had been
        rebuilt without ``avoid``, without rebuilding them on every allocation.
        """
        for run_start, end in self._free_runs(low, high):
            if end - run_start < at_least:
                continue  # nothing cut out of it can be long enough
            for start, stop in avoid.gaps(run_start, end):
                if high is not None and start >= high:
                    return
                if low is None or start >= low:
                    yield start, stop - start

    def _choose(self, count: int, goal: int, avoid: IntervalSet | None) -> tuple[int, int]:
        """Where the next piece goes: continue at ``goal`` if everything fits there, else the
        first run after it that holds everything (XFS looks up its by-size tree for the
        whole length before settling for less), else whatever is at ``goal``, else the
        first run after it, wrapping around."""
        if avoid is None:
            return self._choose_plain(count, goal)
        at_goal = None
        run_start = floor_key(self._runs, goal)
        if run_start is not None:  # the usable piece holding the goal, if any
            for start, length in self._usable(avoid, run_start, goal + 1):
                if start + length > goal:
                    at_goal = (goal, min(count, start + length - goal))
                    if at_goal[1] == count:
                        return at_goal
        fits = self._first_fit(avoid, goal, count)  # the first after the goal
        if fits is not None:
            return fits
        for start, length in self._usable(avoid, None, goal, count):  # then wrap around
            if length >= count:
                return start, count
        if at_goal is not None:
            return at_goal
        after = next(self._usable(avoid, goal, None), None)
        if after is None:
            after = next(self._usable(avoid, None, None))
        start, length = after
        return start, min(count, length)

    def _first_fit(self, avoid: IntervalSet, low: int, count: int) -> tuple[int, int] | None:
        """``(start, count)`` of the first piece of ``count`` usable blocks (``avoid`` cut
        out) starting at or after ``low``, or ``None``: the first of
        ``_usable(avoid, low, None, count)`` that holds ``count``, with the free runs
        too short for it passed over at C speed (:func:`first_key_holding`)."""
        runs = self._runs
        head = floor_key(runs, low)
        if head is not None and head < low and runs[head] >= count:  # begun before ``low``
            for start, stop in avoid.gaps(head, head + runs[head]):
                if start >= low and stop - start >= count:
                    return start, count
        for key in keys_holding(runs, keys_at_or_after(runs, low), count):
            end = key + runs[key]
            if avoid.covers(key, end):  # wholly busy (freed, not yet logged): the usual case
                continue
            gap = avoid.first_gap(key, end, count)
            if gap is not None:
                return gap, count
        return None

    def _choose_plain(self, count: int, goal: int) -> tuple[int, int]:
        """:meth:`_choose` with nothing to avoid, straight over the free runs (every page
        cache fill and most block allocations come here; no generator of cut-out runs)."""
        runs = self._runs
        at_goal = None
        run_start = floor_key(runs, goal)
        if run_start is not None:
            run_end = run_start + runs[run_start]
            if run_end > goal:
                at_goal = (goal, min(count, run_end - goal))
                if at_goal[1] == count:
                    return at_goal
        after = ceil_key(runs, goal)
        if after is not None and runs[after] >= count:  # the next run holds everything
            return after, count
        # first-fit scans may pass thousands of short runs: done at C speed
        fits = first_key_holding(runs, keys_at_or_after(runs, goal), count)
        if fits is None:  # then wrap around
            fits = first_key_holding(runs, takewhile(goal.__gt__, iter(runs)), count)
        if fits is not None:
            return fits, count
        if at_goal is not None:
            return at_goal
        if after is None:
            after = runs.peekitem(0)[0]
        return after, min(count, runs[after])

    def release(self, start: int, length: int) -> None:
        """Give ``[start, start + length)`` back, coalescing: O(log n)."""
        assert length > 0, length
        self.free_blocks += length
        runs = self._runs
        left_start = floor_key(runs, start)
        grows_left = False
        if left_start is not None:
            left_length = runs[left_start]
            assert left_start + left_length <= start, ("double free", start, length)
            if left_start + left_length == start:  # grows the run before (same key, below)
                start, length = left_start, left_length + length
                grows_left = True
        following = ceil_key(runs, start + 1)  # (a run at ``start`` failed the check above)
        assert following is None or following >= start + length, ("double free", start, length)
        right_length = runs.get(start + length)
        if right_length is None:
            runs[start] = length
        elif grows_left:  # the run after joins the one before
            del runs[start + length]
            runs[start] = length + right_length
        else:  # the run after grows down: its key moves to ``start``
            replace_key(runs, start + length, start, length + right_length)

    def _check(self) -> None:
        """Assert: runs positive, in range, disjoint, coalesced; the count matches."""
        previous_end = -1
        for start, length in self._runs.items():
            assert length > 0 and start >= 0 and start + length <= self.total_blocks
            assert start > previous_end, (start, previous_end)
            previous_end = start + length
        assert self.free_blocks == sum(self._runs.values())
