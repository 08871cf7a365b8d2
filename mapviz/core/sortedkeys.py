"""Fast key searches in a ``SortedDict`` of ints: the greatest key at or before a point,
the least at or after it, the keys from the one at or before a point on.

Every range structure of the core (block map, page cache, dirty blocks, folios)
is a ``SortedDict`` keyed by the start of each run, and every command asks them
"which run holds x" many times.  sortedcontainers answers with ``bisect_right``
and a positional ``keys()[i]``, which walk its positional index in Python; these
do the same with two C-level bisects over its sublists (``_maxes``/``_lists``,
stable since sortedcontainers 2.0), in a fraction of the time.

>>> from sortedcontainers import SortedDict
>>> d = SortedDict({0: 'a', 10: 'b', 20: 'c'})
>>> floor_key(d, 15), floor_key(d, 20), floor_key(d, -1)
(10, 20, None)
>>> ceil_key(d, 15), ceil_key(d, 10), ceil_key(d, 21)
(20, 10, None)
>>> list(keys_from_floor(d, 15, 25)), list(keys_from_floor(d, -5, 10))
([10, 20], [0])
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import chain, compress, islice, tee
from typing import Any

from sortedcontainers import SortedDict


def _sublists(d: SortedDict[int, Any]) -> tuple[list[int], list[list[int]]]:
    keys = d._list  # type: ignore[attr-defined]  # the SortedList of keys
    return keys._maxes, keys._lists


def floor_key(d: SortedDict[int, Any], x: int) -> int | None:
    """The greatest key <= ``x``, or ``None``: O(log n)."""
    keys = d._list  # type: ignore[attr-defined]  # (inline _sublists: the hottest call)
    maxes: list[int] = keys._maxes
    if not maxes:
        return None
    pos = bisect_right(maxes, x)
    if pos == len(maxes):
        return maxes[-1]
    sub: list[int] = keys._lists[pos]
    i = bisect_right(sub, x)
    if i:
        return sub[i - 1]
    return maxes[pos - 1] if pos else None


def ceil_key(d: SortedDict[int, Any], x: int) -> int | None:
    """The least key >= ``x``, or ``None``: O(log n)."""
    maxes, lists = _sublists(d)
    pos = bisect_left(maxes, x)
    if pos == len(maxes):
        return None
    sub = lists[pos]
    return sub[bisect_left(sub, x)]


def keys_from_floor(d: SortedDict[int, Any], start: int, stop: int) -> Iterator[int]:
    """Keys from the greatest one <= ``start`` (or the first) up to, not including, ``stop``.

    The first sublist is entered at the floor key by setting its list iterator's
    position (``__setstate__``, as pickle does): a slice ``sub[index:]`` would copy
    up to a sublist's thousand-odd keys to yield the one or two a lookup wants.
    """
    keys = d._list  # type: ignore[attr-defined]  # the SortedList of keys
    maxes: list[int] = keys._maxes
    if not maxes:
        return
    lists: list[list[int]] = keys._lists
    pos = bisect_left(maxes, start)
    if pos == len(maxes):
        pos -= 1
    sub = lists[pos]
    index = bisect_right(sub, start) - 1
    if index < 0:  # the floor is the last key of the sublist before, if any
        if pos:
            pos -= 1
            sub = lists[pos]
            index = len(sub) - 1
        else:
            index = 0
    while True:
        walk = iter(sub)
        walk.__setstate__(index)  # type: ignore[attr-defined]  # list_iterator's position
        for key in walk:
            if key >= stop:
                return
            yield key
        pos += 1
        if pos == len(lists):
            return
        sub = lists[pos]
        index = 0


def keys_at_or_after(d: SortedDict[int, Any], start: int) -> Iterator[int]:
    """Every key >= ``start``, in order, iterated at C speed (``itertools`` over the
    sublists): for scans that may pass thousands of keys, like a first-fit search.

    >>> d = SortedDict({0: 'a', 10: 'b', 20: 'c'})
    >>> list(keys_at_or_after(d, 5)), list(keys_at_or_after(d, 20)), list(keys_at_or_after(d, 21))
    ([10, 20], [20], [])
    """
    maxes, lists = _sublists(d)
    pos = bisect_left(maxes, start)
    if pos == len(maxes):
        return iter(())
    sub = lists[pos]
    return chain(islice(sub, bisect_left(sub, start), None), *islice(lists, pos + 1, None))


def keys_holding(d: SortedDict[int, int], keys: Iterator[int], at_least: int) -> Iterator[int]:
    """Those of ``keys`` whose value is >= ``at_least``, lazily: the values are looked up
    and compared at C speed (``map`` and ``compress``), the keys passed over never
    reach Python code.

    >>> d = SortedDict({0: 1, 10: 5, 20: 9})
    >>> list(keys_holding(d, iter(d), 4)), list(keys_holding(d, iter(d), 10))
    ([10, 20], [])
    """
    keys, keys_again = tee(keys)
    return compress(keys_again, map(at_least.__le__, map(d.__getitem__, keys)))


def first_key_holding(d: SortedDict[int, int], keys: Iterator[int], at_least: int) -> int | None:
    """The first of ``keys`` whose value is >= ``at_least``, or ``None`` (see
    :func:`keys_holding`).

    >>> d = SortedDict({0: 1, 10: 5, 20: 9})
    >>> first_key_holding(d, iter(d), 4), first_key_holding(d, iter(d), 10)
    (10, None)
    """
    return next(keys_holding(d, keys, at_least), None)


def replace_key(d: SortedDict[int, Any], old: int, new: int, value: Any) -> None:
    """Put ``value`` under key ``new`` in place of the entry under ``old``, where no other
    key lies between the two (a run whose start moves within its own span): O(log n).

    The key changes in its slot of the sublists -- the order, the sublist sizes and
    the positional index all stay as they were -- where ``del d[old]; d[new] = value``
    would take it out of the sorted keys and insert it again.

    >>> d = SortedDict({0: 'a', 10: 'b', 20: 'c'})
    >>> replace_key(d, 10, 15, 'B'); d
    SortedDict({0: 'a', 15: 'B', 20: 'c'})
    """
    keys = d._list  # type: ignore[attr-defined]  # the SortedList of keys
    maxes: list[int] = keys._maxes
    lists: list[list[int]] = keys._lists
    pos = bisect_left(maxes, old)
    sub = lists[pos]
    index = bisect_left(sub, old)
    assert sub[index] == old, ("no key", old)
    before = sub[index - 1] if index else maxes[pos - 1] if pos else None
    after = (
        sub[index + 1]
        if index + 1 < len(sub)
        else lists[pos + 1][0]
        if pos + 1 < len(lists)
        else None
    )
    assert (before is None or before < new) and (after is None or new < after), (
        "keys between",
        old,
        new,
    )
    sub[index] = new
    if index == len(sub) - 1:
        maxes[pos] = new
    mapping: Any = d  # the dict under the SortedDict: its entries, not its sorted keys
    dict.__delitem__(mapping, old)
    dict.__setitem__(mapping, new, value)
