"""A frame as text: one row of characters per band (used by tests and ``mapviz run --frames``).

>>> from mapviz.scenario import parse_scenario
>>> from mapviz.view import Storyboard
>>> text = "%kernel mainline\\nopen -f f\\npwrite 0 64k\\nfsync"
>>> board = Storyboard.from_scenario(parse_scenario(text))
>>> print(render_frame(board.view(), 3, width=16).splitlines()[1])
file    f        |################|
"""

from __future__ import annotations

from mapviz.view.frames import STATES, Band, Frame
from mapviz.view.storyboard import View

GLYPHS = {
    "hole": " ",
    "unwritten": "u",
    "written": "#",
    "delalloc": "d",
    "metadata": "=",
    "free": ".",
    "dirty": "*",
    "cached": "c",
    "anon": "a",
    "zero": "0",
    "mapping": "-",
    "entry": "r",
    "entry-w": "w",
    "revoked": "x",
    "swap": "S",
    "past-eof": "p",
    "track": " ",
    "asked": "?",
    "ghost": "g",
    "actor": " ",
}
OVER = frozenset({"cover", *(f"owner-{n}" for n in range(6))})
"""Drawn over other glyphs (a protection, an owner's tint): not a character of their own."""


def render_frame(view: View, index: int, *, width: int = 64) -> str:
    """The bands of frame ``index``, one line each, quads painted in drawing order."""
    frame = view.frames[index]
    lines = []
    for band in view.layout.bands:
        lines.append(f"{band.layer:<7} {band.label[:8]:<8} |{_row(frame, band, width)}|")
    return "\n".join(lines)


def _row(frame: Frame, band: Band, width: int) -> str:
    cells = [" "] * width
    quads = frame.quads
    for i, b in enumerate(quads["band"]):
        if b != band.index:
            continue
        state = STATES[quads["state"][i]]
        if state in OVER:
            continue
        glyph = GLYPHS[state]
        if quads["shared"][i] and glyph == "#":
            glyph = "s"
        lo = int(quads["x0"][i] / 1000 * width)
        hi = max(lo + 1, round(quads["x1"][i] / 1000 * width))
        for col in range(max(lo, 0), min(hi, width)):
            cells[col] = glyph
    return "".join(cells)
