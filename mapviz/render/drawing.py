"""A tiny display list: the shapes of one slide, in order, for the SVG and PNG writers.

The slide is laid out once, as these plain shapes in *design units* (the
image is :data:`DESIGN_WIDTH` units wide), and each writer only translates
them: SVG elements one for one, or Pillow draw calls at the pixel scale.  So
the two outputs cannot drift apart.

>>> drawing = Drawing(100, 50, "#FFFFFF")
>>> drawing.add(Text(10, 20, "hi", 12, "#000000"))
>>> len(drawing.shapes)
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DESIGN_WIDTH = 1600.0
"""Width of every slide in design units (an SVG's viewBox, a PNG at ``width=1600``)."""

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Rect:
    """An axis-aligned box; ``hatch`` is a theme hatch code drawn over the fill."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.0
    opacity: float = 1.0
    hatch: str = ""
    hatch_colour: str = "#000000"
    dash: bool = False


@dataclass(frozen=True, slots=True)
class Polygon:
    """A filled polygon (the ribbons between layers) or, with ``closed=False``, a polyline."""

    points: tuple[Point, ...]
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.0
    opacity: float = 1.0
    closed: bool = True


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; ``y`` is the baseline, ``anchor`` says which end ``x`` is."""

    x: float
    y: float
    text: str
    size: float
    colour: str
    bold: bool = False
    mono: bool = False
    italic: bool = False
    anchor: Literal["start", "middle", "end"] = "start"


Shape = Rect | Polygon | Text


@dataclass(slots=True)
class Drawing:
    """A slide: its size, background and shapes (painted in order)."""

    width: float
    height: float
    background: str
    title: str = ""
    hatch_spacing: float = 10.0
    hatch_width: float = 1.2
    shapes: list[Shape] = field(default_factory=list)

    def add(self, shape: Shape) -> None:
        self.shapes.append(shape)

    def add_all(self, shapes: list[Shape]) -> None:
        self.shapes.extend(shapes)


def reach(shape: Shape) -> tuple[float, float]:
    """How far up and down ``shape`` may paint (generously: strokes, ascenders, descenders).

    >>> reach(Rect(0, 10, 5, 20))
    (8.0, 32.0)
    """
    if isinstance(shape, Rect):
        pad = shape.stroke_width + 2
        return shape.y - pad, shape.y + shape.h + pad
    if isinstance(shape, Polygon):
        ys = [y for _, y in shape.points]
        pad = shape.stroke_width + 2
        return min(ys) - pad, max(ys) + pad
    return shape.y - shape.size * 1.5, shape.y + shape.size * 0.6


def luminance(colour: str) -> float:
    """Relative luminance of ``#RRGGBB`` (0 black .. 1 white), to pick a hatch that shows.

    >>> luminance("#FFFFFF"), luminance("#000000")
    (1.0, 0.0)
    """
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as a tuple of 0..255 integers.

    >>> rgb("#D55E00")
    (213, 94, 0)
    """
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def hatch_tile(code: str, size: float) -> tuple[list[tuple[Point, Point]], list[Point]]:
    """The lines and dots of one ``size`` square tile of hatch ``code`` (Bokeh's codes).

    Diagonals run past the corners so that tiles join without gaps; a writer
    clips them to the tile.  Dots are centres (their radius is the writer's).

    >>> hatch_tile("-", 10)
    ([((0, 5.0), (10, 5.0))], [])
    """
    s, h = size, size / 2
    slash: list[tuple[Point, Point]] = [
        ((-h, h), (h, -h)),
        ((0, s), (s, 0)),
        ((h, s + h), (s + h, h)),
    ]
    backslash: list[tuple[Point, Point]] = [
        ((-h, h), (h, s + h)),
        ((0, 0), (s, s)),
        ((h, -h), (s + h, h)),
    ]
    across: list[tuple[Point, Point]] = [((0, h), (s, h))]
    down: list[tuple[Point, Point]] = [((h, 0), (h, s))]
    lines: dict[str, list[tuple[Point, Point]]] = {
        "/": slash,
        "\\": backslash,
        "x": slash + backslash,
        "-": across,
        "|": down,
        "+": across + down,
        ":": [((h, s * 0.15), (h, s * 0.6))],
        "*": slash + backslash + across + down,
        "`": [((s * 0.3, s * 0.2), (s * 0.55, s * 0.65))],
    }
    if code == ".":
        return [], [(h, h)]
    if code == "o":  # a lease: sparse rings, drawn as dots
        return [], [(s * 0.25, s * 0.25), (s * 0.75, s * 0.75)]
    return lines.get(code, slash), []
