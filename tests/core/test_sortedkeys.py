"""The fast sorted-key helpers and the fast paths built on them, against plain references.

sortedcontainers keeps keys in sublists of about a thousand; the helpers walk
and rewrite those sublists directly, so these tests shrink the sublists
(``_reset(4)``, the load factor) to make every walk cross sublist boundaries.
"""

from __future__ import annotations

from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedDict

from mapviz.core.allocator import FreeSpace
from mapviz.core.intervals import IntervalSet
from mapviz.core.sortedkeys import (
    first_key_holding,
    keys_at_or_after,
    keys_from_floor,
    keys_holding,
    replace_key,
)

SPAN = 200
points = st.integers(-5, SPAN + 5)
key_sets = st.sets(st.integers(0, SPAN), max_size=60)
loads = st.sampled_from([4, 5, 1000])  # tiny sublists, and sortedcontainers' default

FAST = settings(max_examples=300, deadline=None, derandomize=True)  # the same examples every run


def sorted_dict(keys: set[int], load: int) -> SortedDict[int, int]:
    d: SortedDict[int, int] = SortedDict()
    d._list._reset(load)  # type: ignore[attr-defined]
    for key in keys:
        d[key] = key % 7
    return d


@FAST
@given(keys=key_sets, load=loads, start=points, stop=points)
def test_keys_from_floor(keys: set[int], load: int, start: int, stop: int) -> None:
    d = sorted_dict(keys, load)
    ordered = sorted(keys)
    floor = max(bisect_right(ordered, start) - 1, 0)
    assert list(keys_from_floor(d, start, stop)) == [k for k in ordered[floor:] if k < stop]


@FAST
@given(keys=key_sets, load=loads, start=points, at_least=st.integers(0, 7))
def test_keys_at_or_after_and_holding(keys: set[int], load: int, start: int, at_least: int) -> None:
    d = sorted_dict(keys, load)
    after = [k for k in sorted(keys) if k >= start]
    assert list(keys_at_or_after(d, start)) == after
    holding = [k for k in after if d[k] >= at_least]
    assert list(keys_holding(d, keys_at_or_after(d, start), at_least)) == holding
    assert first_key_holding(d, keys_at_or_after(d, start), at_least) == (
        holding[0] if holding else None
    )


@FAST
@given(keys=st.sets(st.integers(0, SPAN), min_size=1, max_size=60), load=loads, data=st.data())
def test_replace_key_keeps_the_dict_sorted(keys: set[int], load: int, data: st.DataObject) -> None:
    d = sorted_dict(keys, load)
    for _ in range(10):
        ordered = list(d)
        i = data.draw(st.integers(0, len(ordered) - 1))
        low = ordered[i - 1] + 1 if i else ordered[i] - 5
        high = ordered[i + 1] - 1 if i + 1 < len(ordered) else ordered[i] + 5
        new = data.draw(st.integers(low, high))
        expected = {k: v for k, v in d.items() if k != ordered[i]} | {new: -1}
        replace_key(d, ordered[i], new, -1)
        d._check()  # type: ignore[attr-defined]  # sortedcontainers' own invariants
        assert dict(d.items()) == expected and list(d) == sorted(expected)
        assert [d.keys()[j] for j in range(len(d))] == sorted(expected)  # positional index


runs = st.lists(st.tuples(st.integers(0, SPAN), st.integers(1, 20)), max_size=12)


def interval_set(pieces: list[tuple[int, int]], load: int) -> tuple[IntervalSet, set[int]]:
    s = IntervalSet()
    s._runs._list._reset(load)  # type: ignore[attr-defined]
    model: set[int] = set()
    for start, length in pieces:
        s.add(start, start + length)
        model |= set(range(start, start + length))
    return s, model


@FAST
@given(pieces=runs, load=loads, start=points, length=st.integers(1, 40), at_least=st.integers(1, 9))
def test_covers_and_first_gap(
    pieces: list[tuple[int, int]], load: int, start: int, length: int, at_least: int
) -> None:
    s, model = interval_set(pieces, load)
    stop = start + length
    assert s.covers(start, stop) == all(b in model for b in range(start, stop))
    gaps: list[list[int]] = []
    for b in range(start, stop):
        if b in model:
            continue
        if gaps and gaps[-1][1] == b:
            gaps[-1][1] = b + 1
        else:
            gaps.append([b, b + 1])
    assert s.first_gap(start, stop, at_least) == next(
        (a for a, z in gaps if z - a >= at_least), None
    )


@FAST
@given(taken=runs, busy=runs, load=loads, goal=st.integers(0, SPAN), count=st.integers(1, 12))
def test_allocation_around_busy_blocks(
    taken: list[tuple[int, int]],
    busy: list[tuple[int, int]],
    load: int,
    goal: int,
    count: int,
) -> None:
    """The first fit past the goal (free runs too short skipped in C, wholly busy ones with
    one lookup) is the first usable piece the general walk yields."""
    free = FreeSpace(SPAN + 40)
    free._runs._list._reset(load)  # type: ignore[attr-defined]
    for start, length in taken:
        if free.is_free(start, length):
            free.claim(start, length)
    avoid, _ = interval_set(busy, load)
    reference = next(
        (
            (start, count)
            for start, length in free._usable(avoid, goal, None, count)
            if length >= count
        ),
        None,
    )
    assert free._first_fit(avoid, goal, count) == reference
