"""The core's interval structures against naive references (a dict or set per block).

Hypothesis drives random operations on each structure and on a deliberately
dumb model of it; after every rule the two must agree and ``_check()`` must
hold.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mapviz.core.allocator import FreeSpace
from mapviz.core.content import Content
from mapviz.core.extents import ExtentMap, ExtentState
from mapviz.core.intervals import IntervalSet
from mapviz.core.refcount import Refcounts

SPAN = 64
blocks = st.integers(0, SPAN - 1)
lengths = st.integers(1, 16)
states = st.sampled_from([ExtentState.WRITTEN, ExtentState.UNWRITTEN, ExtentState.DELALLOC])

FAST = settings(max_examples=60, stateful_step_count=40, deadline=None)


class IntervalSetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.real = IntervalSet()
        self.model: set[int] = set()

    @rule(start=blocks, length=lengths)
    def add(self, start: int, length: int) -> None:
        self.real.add(start, start + length)
        self.model |= set(range(start, start + length))

    @rule(start=blocks, length=lengths)
    def remove(self, start: int, length: int) -> None:
        self.real.remove(start, start + length)
        self.model -= set(range(start, start + length))

    @rule(start=blocks, delta=st.integers(1, 8))
    def shift(self, start: int, delta: int) -> None:
        # the set must not straddle ``start`` for a shift: cut it there first
        self.real.remove(start, start + 1)
        self.model.discard(start)
        self.real.shift(start + 1, delta)
        self.model = {b for b in self.model if b <= start} | {
            b + delta for b in self.model if b > start
        }

    @rule(start=blocks, length=lengths)
    def query(self, start: int, length: int) -> None:
        got = {b for a, z in self.real.overlapping(start, start + length) for b in range(a, z)}
        assert got == {b for b in self.model if start <= b < start + length}
        assert self.real.any_in(start, start + length) == bool(got)

    @invariant()
    def agrees(self) -> None:
        self.real._check()
        assert {b for a, z in self.real for b in range(a, z)} == self.model
        assert self.real.total() == len(self.model)
        for b in range(SPAN + 8):
            assert self.real.contains(b) == (b in self.model)


class ExtentMapMachine(RuleBasedStateMachine):
    """ExtentMap against a dict ``file block -> (device block | None, state)``."""

    def __init__(self) -> None:
        super().__init__()
        self.real = ExtentMap()
        self.model: dict[int, tuple[int | None, ExtentState]] = {}
        self.next_device = 1000

    @rule(start=blocks, length=lengths, state=states, contiguous=st.booleans())
    def insert(self, start: int, length: int, state: ExtentState, contiguous: bool) -> None:
        if any(b in self.model for b in range(start, start + length)):
            return
        if state is ExtentState.DELALLOC:
            device = None
        else:
            previous = self.model.get(start - 1)
            if contiguous and previous and previous[0] is not None:
                device = previous[0] + 1
            else:
                device = self.next_device
                self.next_device += length + 3
            taken = [v[0] for v in self.model.values() if v[0] is not None]
            if any(device <= d < device + length for d in taken):
                device = self.next_device
                self.next_device += length + 3
        self.real.insert(start, length, device, state)
        for i in range(length):
            self.model[start + i] = (None if device is None else device + i, state)

    @rule(start=blocks, length=lengths)
    def remove(self, start: int, length: int) -> None:
        removed = self.real.remove(start, start + length)
        expected = {b for b in self.model if start <= b < start + length}
        assert {e.file_block + i for e in removed for i in range(e.length)} == expected
        for b in expected:
            del self.model[b]

    @rule(start=blocks, length=lengths)
    def convert(self, start: int, length: int) -> None:
        if any(
            self.model.get(b, (0, None))[1] is ExtentState.DELALLOC
            for b in range(start, start + length)
        ):
            return
        self.real.set_state(start, start + length, ExtentState.WRITTEN)
        for b in range(start, start + length):
            if b in self.model:
                self.model[b] = (self.model[b][0], ExtentState.WRITTEN)

    @rule(start=blocks, delta=st.integers(-8, 8))
    def shift(self, start: int, delta: int) -> None:
        moving = {b: v for b, v in self.model.items() if b >= start}
        staying = {b: v for b, v in self.model.items() if b < start}
        if any(b + delta in staying or b + delta < 0 for b in moving):
            return
        self.real.shift(start, delta)
        self.model = staying | {b + delta: v for b, v in moving.items()}

    @rule(block=st.integers(0, SPAN + 20))
    def find(self, block: int) -> None:
        found = self.real.find(block)
        if block not in self.model:
            assert found is None
        else:
            assert found is not None
            device = found.physical_block
            got = None if device is None else device + block - found.file_block
            assert (got, found.state) == self.model[block]

    @invariant()
    def agrees(self) -> None:
        self.real._check()
        flat = {}
        for e in self.real:
            for i in range(e.length):
                device = None if e.physical_block is None else e.physical_block + i
                flat[e.file_block + i] = (device, e.state)
        assert flat == self.model
        pieces = list(self.real.walk(0, SPAN + 20))
        assert pieces[0][0] == 0 and pieces[-1][1] == SPAN + 20
        assert all(a[1] == b[0] for a, b in pairwise(pieces))


def _reference_allocate(
    free: set[int], count: int, goal: int, avoid: set[int]
) -> list[tuple[int, int]]:
    """FreeSpace.allocate as first written: rebuild the free runs without ``avoid`` for
    every piece, then choose among them (at the goal, first after it that holds all,
    wrapping around, whatever is at the goal, the first after it)."""
    free = set(free)
    pieces = []
    while count:
        usable = sorted(free - avoid)
        runs: dict[int, int] = {}
        for block in usable:
            if block - 1 in free - avoid:
                start = max(s for s in runs if s <= block)
                runs[start] += 1
            else:
                runs[block] = 1
        starts = sorted(runs)
        choice = None
        holding = [s for s in starts if s <= goal]
        at_goal = None
        if holding and holding[-1] + runs[holding[-1]] > goal:
            at_goal = (goal, min(count, holding[-1] + runs[holding[-1]] - goal))
            if at_goal[1] == count:
                choice = at_goal
        for s in [s for s in starts if s >= goal] + [s for s in starts if s < goal]:
            if choice is None and runs[s] >= count:
                choice = (s, count)
        if choice is None and at_goal is not None:
            choice = at_goal
        if choice is None:
            after = [s for s in starts if s >= goal] or starts
            choice = (after[0], min(count, runs[after[0]]))
        pieces.append(choice)
        free -= set(range(choice[0], choice[0] + choice[1]))
        count -= choice[1]
        goal = choice[0] + choice[1]
    return pieces


class FreeSpaceMachine(RuleBasedStateMachine):
    """FreeSpace against a set of free blocks; allocations passing over a set of busy
    ones (XFS's busy extents) against the reference placement above."""

    def __init__(self) -> None:
        super().__init__()
        self.real = FreeSpace(SPAN)
        self.free = set(range(SPAN))
        self.busy = IntervalSet()

    @precondition(lambda self: len(self.free) > 0)
    @rule(count=lengths, goal=blocks)
    def allocate(self, count: int, goal: int) -> None:
        busy = {b for a, z in self.busy for b in range(a, z)}
        room = len(self.free - busy)
        assert self.real.fits_outside(count, self.busy) == (room >= count)
        assert self.real.free_outside(self.busy) == room
        count = min(count, room)
        if not count:
            return
        expected = _reference_allocate(self.free, count, goal, busy)
        pieces = self.real.allocate(count, goal, self.busy)
        assert pieces == expected
        taken = {b for s, n in pieces for b in range(s, s + n)}
        assert len(taken) == count and taken <= self.free and not taken & busy
        self.free -= taken

    @rule(start=blocks, length=lengths)
    def release(self, start: int, length: int) -> None:
        span = set(range(start, min(start + length, SPAN)))
        if not span or span & self.free:
            return
        self.real.release(start, len(span))
        self.free |= span

    @rule(start=blocks, length=lengths, busy=st.booleans())
    def mark_busy(self, start: int, length: int, busy: bool) -> None:
        # busy blocks are free ones (``Filesystem._check``); a log force clears them
        if busy:
            for block in sorted(self.free & set(range(start, start + length))):
                self.busy.add(block, block + 1)
        else:
            self.busy.remove(start, start + length)

    @rule(start=blocks, length=lengths)
    def queries(self, start: int, length: int) -> None:
        span = set(range(start, start + length))
        assert self.real.is_free(start, length) == (span <= self.free)
        assert self.real.any_free(start, length) == bool(span & self.free)

    @invariant()
    def agrees(self) -> None:
        self.real._check()
        assert {b for s, n in self.real.runs() for b in range(s, s + n)} == self.free


class RefcountMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.real = Refcounts()
        self.count: dict[int, int] = {}  # allocated blocks -> owners

    @rule(start=blocks, length=lengths)
    def allocate_and_share(self, start: int, length: int) -> None:
        for b in range(start, start + length):
            self.count.setdefault(b, 1)
        self.real.increase(start, length)
        for b in range(start, start + length):
            self.count[b] += 1

    @rule(start=blocks, length=lengths)
    def drop(self, start: int, length: int) -> None:
        span = range(start, start + length)
        if any(b not in self.count for b in span):
            return
        orphaned = self.real.decrease(start, length)
        freed = {b for s, n in orphaned for b in range(s, s + n)}
        for b in span:
            self.count[b] -= 1
        assert freed == {b for b in span if self.count[b] == 0}
        for b in freed:
            del self.count[b]

    @invariant()
    def agrees(self) -> None:
        self.real._check()
        for b in range(SPAN + 20):
            if b in self.count:
                assert self.real.count(b) == self.count[b]
        for a, z, shared in self.real.runs(0, SPAN + 20):
            for b in range(a, z):
                assert shared == (self.count.get(b, 1) >= 2)


class ContentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.real = Content()
        self.model: list[object] = [0] * (SPAN * 2)

    def _value(self, position: int) -> object:
        for a, z, fill in self.real.runs(position, position + 1):
            assert a == position and z == position + 1
            return fill
        raise AssertionError

    @rule(start=blocks, length=lengths, value=st.integers(1, 3), stream=st.booleans())
    def fill(self, start: int, length: int, value: int, stream: bool) -> None:
        if stream:
            self.real.fill(start, start + length, (f"s{value}", 100))
            for i in range(length):
                self.model[start + i] = (f"s{value}", 100 + i)
        else:
            self.real.fill(start, start + length, value)
            self.model[start : start + length] = [value] * length

    @rule(start=blocks, length=lengths)
    def zero(self, start: int, length: int) -> None:
        self.real.zero(start, start + length)
        self.model[start : start + length] = [0] * length

    @rule(start=blocks, delta=st.integers(-8, 8))
    def shift(self, start: int, delta: int) -> None:
        if start + min(delta, 0) < 0:
            return
        self.real.shift(start, delta)
        head = self.model[: start + min(delta, 0)]
        tail = self.model[start:]
        gap = [0] * max(delta, 0)
        # Nothing is cut off: bytes shifted past the window come back with a later
        # negative shift, in the model as in Content.
        self.model = head + gap + tail
        self.model += [0] * (SPAN * 2 - len(self.model))

    @rule(a=blocks, b=blocks, length=lengths)
    def equal(self, a: int, b: int, length: int) -> None:
        assert self.real.equal(a, self.real, b, length) == (
            self.model[a : a + length] == self.model[b : b + length]
        )

    @invariant()
    def agrees(self) -> None:
        self.real._check()
        assert [self._value(i) for i in range(len(self.model))] == self.model


TestIntervalSet = FAST(IntervalSetMachine).TestCase
TestExtentMap = FAST(ExtentMapMachine).TestCase
TestFreeSpace = FAST(FreeSpaceMachine).TestCase
TestRefcounts = FAST(RefcountMachine).TestCase
TestContent = FAST(ContentMachine).TestCase
