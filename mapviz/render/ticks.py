"""Tick marks for the two horizontal scales: file offsets (top) and device blocks (bottom).

The virtual and file layers share one linear scale of file offsets; the
device has a compressed scale whose long unused stretches are squeezed into
breaks.  Labels must not collide, so each scale gets at most a few of them:
file offsets as far apart as their labels are wide on the plot (given its
width in pixels), device blocks at least ``min_gap`` x units apart.

File offsets fall at round values (multiples of a power of two) and say
exactly where they are, in KiB, MiB, GiB or TiB ("1.25 MiB", never "1.2 MiB").

>>> file_ticks(131072, 8)
{0.0: '0', 125.0: '16 KiB', 250.0: '32 KiB', 375.0: '48 KiB', 500.0: '64 KiB', \
625.0: '80 KiB', 750.0: '96 KiB', 875.0: '112 KiB', 1000.0: '128 KiB'}
>>> file_ticks(131072, 8, plot_px=300)  # a narrow plot: fewer labels, none touching
{0.0: '0', 250.0: '32 KiB', 500.0: '64 KiB', 750.0: '96 KiB', 1000.0: '128 KiB'}
"""

from __future__ import annotations

from itertools import pairwise

from mapviz.scenario.numbers import human_bytes, human_offset
from mapviz.view.axes import WIDTH, CompressedAxis, LinearAxis

CHAR_PX = 7.5
"""About the width of one character of an axis label (12 px type), in pixels."""


def file_ticks(
    span: int, most: int, *, plot_px: float | None = None, char_px: float = CHAR_PX
) -> dict[float, str]:
    """Ticks at round byte offsets across ``[0, span]``: at most ``most`` intervals.

    Parameters
    ----------
    span
        The scale's bytes: x 0 is offset 0, x ``WIDTH`` is ``span``.
    most
        At most this many intervals between ticks.
    plot_px
        How many pixels x 0 to ``WIDTH`` take on the page (the narrowest the
        plot gets); then neighbouring labels, each ``char_px`` a character and
        centred on its tick, keep at least a character between them.  None: no
        such limit (only ``most``).
    char_px
        The width of a label's character, in pixels.
    """
    if span <= 0:
        return {0.0: "0"}
    axis = LinearAxis(span)
    px_per_x = (plot_px / WIDTH) if plot_px else None

    def apart(x0: float, label0: str, x1: float, label1: str) -> bool:
        """Whether two labels at x0 < x1 leave a character between them."""
        if px_per_x is None:
            return True
        room = ((len(label0) + len(label1)) / 2 + 1) * char_px
        return (x1 - x0) * px_per_x >= room

    step = 1
    while True:
        if span / step <= most:
            out = {axis.x(offset): human_offset(offset) for offset in range(0, span + 1, step)}
            ticks = list(out.items())
            if all(apart(*a, *b) for a, b in pairwise(ticks)):
                break
        step *= 2
    last_x, last_label = max(out.items())
    end = human_offset(span)
    if span % step and WIDTH - last_x > WIDTH / most / 2 and apart(last_x, last_label, WIDTH, end):
        out[WIDTH] = end
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
        (
            x0,
            x1,
            f"device blocks {a // blocksize}..{b // blocksize - 1} are not drawn "
            f"({human_bytes(b - a)} nothing here uses)",
        )
        for x0, x1, a, b in axis.breaks()
    ]
