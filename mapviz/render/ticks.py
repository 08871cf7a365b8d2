"""Tick marks for the two horizontal scales: file offsets (top) and device blocks (bottom).

The virtual and file layers share one linear scale of file offsets; the
device has a compressed scale whose long unused stretches are squeezed into
breaks.  Labels must not collide, so each scale gets at most a few of them,
spaced at least ``min_gap`` x units apart.

>>> file_ticks(131072, 8)
{0.0: '0', 125.0: '16 KiB', 250.0: '32 KiB', 375.0: '48 KiB', 500.0: '64 KiB', \
625.0: '80 KiB', 750.0: '96 KiB', 875.0: '112 KiB', 1000.0: '128 KiB'}
"""

from __future__ import annotations

from mapviz.scenario.numbers import human_bytes
from mapviz.view.axes import WIDTH, CompressedAxis, LinearAxis


def _label(n: int) -> str:
    return "0" if n == 0 else human_bytes(n) if n % 1024 == 0 else f"{n} B"


def file_ticks(span: int, most: int) -> dict[float, str]:
    """Ticks at round byte offsets across ``[0, span]``: at most ``most`` intervals."""
    if span <= 0:
        return {0.0: "0"}
    axis = LinearAxis(span)
    step = 1
    while span / step > most:
        step *= 2
    out = {axis.x(offset): _label(offset) for offset in range(0, span + 1, step)}
    last = max(out)
    if span % step and WIDTH - last > WIDTH / most / 2:
        out[WIDTH] = _label(span)
    return out


def device_ticks(axis: CompressedAxis, blocksize: int, min_gap: float) -> dict[float, str]:
    """Block numbers: where each kept piece starts, the end, and round numbers between.

    ``min_gap`` is the width of about five characters; block numbers of a big
    device are longer than that, so labels keep the widest one's width apart.
    """
    widest = len(str(axis.pieces[-1][1] // blocksize))
    min_gap = max(min_gap, min_gap / 5 * (widest + 2))
    wanted: list[tuple[float, int]] = []
    for start, _, x0, _ in axis.pieces:
        wanted.append((x0, start // blocksize))
    last = axis.pieces[-1]
    wanted.append((last[3], last[1] // blocksize))
    # Round block numbers inside each piece, as dense as the gap allows.
    for start, end, x0, x1 in axis.pieces:
        blocks = max(1, (end - start) // blocksize)
        per_x = blocks / max(x1 - x0, 1e-9)
        step = 1
        while step / per_x < min_gap:
            step *= 2
        first = -(-(start // blocksize) // step) * step
        for block in range(first, end // blocksize, step):
            wanted.append((axis.x(block * blocksize), block))
    out: dict[float, str] = {}
    for x, block in wanted:
        if all(abs(x - other) >= min_gap for other in out):
            out[x] = str(block)
    return dict(sorted(out.items()))


def device_breaks(axis: CompressedAxis, blocksize: int) -> list[tuple[float, float, str]]:
    """Squeezed gaps as ``(x0, x1, tooltip)``."""
    return [
        (x0, x1, f"device blocks {a // blocksize}..{b // blocksize - 1} are not drawn "
                 f"({human_bytes(b - a)} nothing here uses)")
        for x0, x1, a, b in axis.breaks()
    ]
