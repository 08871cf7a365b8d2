"""A drawing as a PNG, painted with Pillow straight from the shapes (no browser, no cairo).

The slide is painted at twice the requested size and halved (a box filter),
which is Pillow's way to antialias the slanted ribbon edges and hatch lines.
Hatches are tiled over the whole canvas once per hatch and colour, as a
mask, and each quad takes its piece, so neighbouring quads' hatches line
up as in the SVG.  Colours stay exact (no palette reduction): the theme's
Okabe-Ito colours are what tell states apart.

Text uses DejaVu Sans (what the layout measured, :mod:`mapviz.render.typeset`)
when the system has it, else Arial or Liberation Sans, else Pillow's own
font, which lacks a few symbols (``§``, ``—``): those are spelled out.

>>> from mapviz.render.drawing import Drawing, Rect
>>> drawing = Drawing(160, 90, "#FFFFFF")
>>> drawing.add(Rect(10, 10, 50, 20, fill="#0072B2", hatch="/"))
>>> to_image(drawing, 320).size
(320, 180)
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from mapviz.render.drawing import Drawing, Point, Polygon, Rect, Text, hatch_tile, reach, rgb

SUPERSAMPLE = 2
FONTS = {
    (False, False, False): (
        "DejaVuSans.ttf",
        "Arial.ttf",
        "arial.ttf",
        "LiberationSans-Regular.ttf",
    ),
    (True, False, False): (
        "DejaVuSans-Bold.ttf",
        "Arial Bold.ttf",
        "arialbd.ttf",
        "LiberationSans-Bold.ttf",
    ),
    (False, True, False): (
        "DejaVuSans-Oblique.ttf",
        "Arial Italic.ttf",
        "ariali.ttf",
        "LiberationSans-Italic.ttf",
        "DejaVuSans.ttf",
    ),
    (False, False, True): (
        "DejaVuSansMono.ttf",
        "Courier New.ttf",
        "cour.ttf",
        "LiberationMono-Regular.ttf",
    ),
    (True, False, True): (
        "DejaVuSansMono-Bold.ttf",
        "Courier New Bold.ttf",
        "courbd.ttf",
        "LiberationMono-Bold.ttf",
        "DejaVuSansMono.ttf",
    ),
}
# Pillow's built-in font has no glyph for these.
SPELLED = str.maketrans(
    {
        "\u00a7": "sec. ",
        "\u2014": "-",
        "\u2013": "-",
        "\u2192": "->",
        "\u2190": "<-",
        "\u2026": "...",
        "\u00b7": "-",
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00d7": "x",
    }
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


HatchMasks = dict[tuple[object, ...], Image.Image]
"""Hatch masks over a whole canvas, by hatch and canvas: reusable across slides of one size."""


def to_image(
    drawing: Drawing,
    width: int,
    hatches: HatchMasks | None = None,
    rows: tuple[int, int] | None = None,
) -> Image.Image:
    """``drawing`` painted ``width`` pixels wide (height in proportion), as RGB.

    ``hatches`` keeps the tiled hatch masks for the next drawing of the same
    size (a series of slides): building them is half the cost of a slide.
    ``rows`` paints only the image's rows ``[top, bottom)``: the very pixels
    of the whole image cropped there, for a fraction of the work when only
    part of a slide changes (``mapviz.render.animation``).
    """
    height = max(1, round(drawing.height * width / drawing.width))
    top, bottom = (0, height) if rows is None else rows
    if not 0 <= top < bottom <= height:
        raise ValueError(f"rows {top}..{bottom} are not inside an image {height} high")
    scale = width * SUPERSAMPLE / drawing.width
    full = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    canvas = Image.new("RGB", (full[0], (bottom - top) * SUPERSAMPLE), drawing.background)
    painter = _Painter(
        canvas, scale, drawing, {} if hatches is None else hatches, full, -top * SUPERSAMPLE
    )
    # Whatever reaches the rows is painted (and clipped); what cannot is skipped.
    low, high = top / scale * SUPERSAMPLE, bottom / scale * SUPERSAMPLE
    for shape in drawing.shapes:
        if rows is not None:
            up, down = reach(shape)
            if up >= high or down <= low:
                continue
        if isinstance(shape, Rect):
            painter.rect(shape)
        elif isinstance(shape, Polygon):
            painter.polygon(shape)
        else:
            painter.text(shape)
    return canvas.reduce(SUPERSAMPLE)


class _Painter:
    def __init__(
        self,
        canvas: Image.Image,
        scale: float,
        drawing: Drawing,
        hatches: HatchMasks,
        full: tuple[int, int],
        dy: int,
    ) -> None:
        self.canvas = canvas
        self.draw = ImageDraw.Draw(canvas)
        self.blend = ImageDraw.Draw(canvas, "RGBA")
        self.k = scale
        self.drawing = drawing
        self.hatches = hatches
        self.full = full  # the whole image's canvas; ``canvas`` is its rows from -dy on
        self.dy = dy

    def rect(self, r: Rect) -> None:
        k, dy = self.k, self.dy
        box = (r.x * k, r.y * k + dy, (r.x + r.w) * k, (r.y + r.h) * k + dy)
        if r.fill is not None:
            if r.opacity < 1:
                self._translucent(
                    [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])],
                    r.fill,
                    r.opacity,
                )
            else:
                self.draw.rectangle(box, fill=r.fill)
        if r.hatch:
            self._hatch(box, r.hatch, r.hatch_colour)
        if r.stroke is not None and r.stroke_width > 0:
            w = max(1, round(r.stroke_width * k))
            half = w / 2
            outer = (box[0] - half, box[1] - half, box[2] + half, box[3] + half)
            if r.dash:
                self._dashed(outer, r.stroke, w)
            else:
                self.draw.rectangle(outer, outline=r.stroke, width=w)

    def polygon(self, p: Polygon) -> None:
        points = [(x * self.k, y * self.k + self.dy) for x, y in p.points]
        if p.closed and p.fill is not None:
            if p.opacity < 1:
                self._translucent(points, p.fill, p.opacity)
            else:
                self.draw.polygon(points, fill=p.fill)
        if p.stroke is not None and p.stroke_width > 0:
            w = max(1, round(p.stroke_width * self.k))
            line = [*points, points[0]] if p.closed else points
            self.draw.line(line, fill=p.stroke, width=w, joint="curve")
            for x, y in (line[0], line[-1]):  # round caps, as in the SVG
                self.draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=p.stroke)

    def text(self, t: Text) -> None:
        font, builtin = _font(
            t.bold and not t.italic, t.italic and not t.mono, t.mono, round(t.size * self.k)
        )
        text = t.text.translate(SPELLED) if builtin else t.text
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[t.anchor]
        self.draw.text(
            (t.x * self.k, t.y * self.k + self.dy), text, font=font, fill=t.colour, anchor=anchor
        )

    def _translucent(self, points: list[Point], colour: str, opacity: float) -> None:
        # Blended as it is drawn (an RGBA pen on the RGB canvas): no layer, no mask.
        self.blend.polygon(points, fill=(*rgb(colour), round(255 * opacity)))

    def _hatch(self, box: tuple[float, float, float, float], code: str, colour: str) -> None:
        left, top = max(0, round(box[0])), max(0, round(box[1]))
        right = min(self.canvas.width, round(box[2]))
        bottom = min(self.canvas.height, round(box[3]))
        if right <= left or bottom <= top:
            return
        key = (code, self.full, self.k, self.drawing.hatch_spacing, self.drawing.hatch_width)
        mask = self.hatches.get(key)
        if mask is None:
            mask = self.hatches[key] = self._tiled(code)
        # The mask spans the whole image: its tiles line up however much of it is painted.
        piece = mask.crop((left, top - self.dy, right, bottom - self.dy))
        self.canvas.paste(colour, (left, top, right, bottom), piece)

    def _tiled(self, code: str) -> Image.Image:
        size = max(2, round(self.drawing.hatch_spacing * self.k))
        tile = Image.new("L", (size, size), 0)
        pen = ImageDraw.Draw(tile)
        width = max(1, round(self.drawing.hatch_width * self.k))
        unit = size / self.drawing.hatch_spacing
        lines, dots = hatch_tile(code, self.drawing.hatch_spacing)
        for (x0, y0), (x1, y1) in lines:
            pen.line([(x0 * unit, y0 * unit), (x1 * unit, y1 * unit)], fill=255, width=width)
        radius = self.drawing.hatch_spacing * 0.14 * unit
        for x, y in dots:
            pen.ellipse(
                (x * unit - radius, y * unit - radius, x * unit + radius, y * unit + radius),
                fill=255,
            )
        # A row of tiles, then rows of rows: two short loops instead of one per tile.
        width, height = self.full
        row = Image.new("L", (width, size), 0)
        for x in range(0, width, size):
            row.paste(tile, (x, 0))
        mask = Image.new("L", self.full, 0)
        for y in range(0, height, size):
            mask.paste(row, (0, y))
        return mask

    def _dashed(self, box: tuple[float, float, float, float], colour: str, width: int) -> None:
        dash, gap = width * 3, width * 2
        x0, y0, x1, y1 = box
        for (ax, ay), (bx, by) in (
            ((x0, y0), (x1, y0)),
            ((x1, y0), (x1, y1)),
            ((x1, y1), (x0, y1)),
            ((x0, y1), (x0, y0)),
        ):
            length = max(abs(bx - ax), abs(by - ay))
            position = 0.0
            while position < length:
                end = min(position + dash, length)
                f0, f1 = position / length, end / length
                self.draw.line(
                    [
                        (ax + (bx - ax) * f0, ay + (by - ay) * f0),
                        (ax + (bx - ax) * f1, ay + (by - ay) * f1),
                    ],
                    fill=colour,
                    width=width,
                )
                position += dash + gap


@lru_cache(maxsize=64)
def _font(bold: bool, italic: bool, mono: bool, size: int) -> tuple[Font, bool]:
    """The font for a style and pixel size, and whether it is Pillow's built-in one."""
    for name in FONTS[(bold, italic, mono)]:
        try:
            # A bare file name makes Pillow search the system's font folders.
            return ImageFont.truetype(name, size), False
        except OSError:
            continue
    return ImageFont.load_default(size), True
