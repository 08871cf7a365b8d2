"""Where things go horizontally: one scale for file offsets, a compressed one for the device.

File offsets share one linear scale across all files and mappings, so the
same offset lines up in the virtual and file layers.  The device is usually
vastly bigger than what the scenario touches (a 64 KiB file on a 64 MiB
device), so its axis keeps the ranges some step uses and squeezes every long
unused stretch into a fixed-width break.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

WIDTH = 1000.0
"""Every layer spans x in [0, WIDTH]."""

BREAK = 12.0
"""Width of a squeezed gap on the device axis."""


@dataclass(frozen=True, slots=True)
class LinearAxis:
    """Bytes [0, span) -> x in [0, WIDTH]."""

    span: int

    def x(self, value: int) -> float:
        return WIDTH * min(value, self.span) / self.span if self.span else 0.0


@dataclass(frozen=True, slots=True)
class CompressedAxis:
    """Bytes -> x, linear inside kept pieces, gaps squeezed to BREAK.

    ``pieces`` are ``(start, end, x_start, x_end)`` in increasing order.
    """

    pieces: tuple[tuple[int, int, float, float], ...]
    span: int
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The pieces' starts, to bisect: a big file's step asks for a million x's."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(p[0] for p in self.pieces))

    def x(self, value: int) -> float:
        index = bisect_right(self._starts, value) - 1
        if index < 0:
            return 0.0
        start, end, x0, x1 = self.pieces[index]
        if value <= end:
            return x0 + (x1 - x0) * (value - start) / (end - start)
        following = self.pieces[index + 1] if index + 1 < len(self.pieces) else None
        if following is None:
            return x1
        return x1 + (following[2] - x1) * 0.5  # inside a squeezed gap: its middle

    def breaks(self) -> list[tuple[float, float, int, int]]:
        """The squeezed gaps as ``(x0, x1, bytes_from, bytes_to)``."""
        out = []
        for left, right in zip(self.pieces, self.pieces[1:], strict=False):
            if right[0] > left[1]:
                out.append((left[3], right[2], left[1], right[0]))
        return out


def compressed_axis(used: Iterable[tuple[int, int]], size: int, quantum: int) -> CompressedAxis:
    """A device axis keeping ``used`` ranges (rounded out to ``quantum``) and squeezing the rest.

    A gap is squeezed when it is longer than the ranges around it deserve:
    more than an eighth of all kept bytes, or more than 64 quanta.
    """
    ranges = sorted(
        (max(0, a // quantum * quantum), min(size, -(-b // quantum) * quantum))
        for a, b in used
        if b > a
    )
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return CompressedAxis(((0, size, 0.0, WIDTH),), size)
    kept_bytes = sum(end - start for start, end in merged)
    squeeze_over = max(64 * quantum, kept_bytes // 8)
    pieces: list[list[int]] = [list(merged[0])]
    for start, end in merged[1:]:
        if start - pieces[-1][1] <= squeeze_over:
            pieces[-1][1] = end  # a short gap stays, drawn to scale
        else:
            pieces.append([start, end])
    # A little context on both sides so the first and last blocks are not at the border.
    pad = quantum * 2
    pieces[0][0] = max(0, pieces[0][0] - pad)
    pieces[-1][1] = min(size, pieces[-1][1] + pad)
    total = sum(end - start for start, end in pieces)
    gaps = len(pieces) - 1
    drawable = WIDTH - BREAK * gaps
    out = []
    x = 0.0
    for start, end in pieces:
        width = drawable * (end - start) / total
        out.append((start, end, x, x + width))
        x += width + BREAK
    return CompressedAxis(tuple(out), size)
