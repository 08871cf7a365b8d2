"""The bands of one frame as shapes: quads in their state's colour and hatch, ribbons, highlights.

Everything is read from the frame's column dicts (``mapviz.view.frames``):
x in [0, 1000] becomes the plot's width, band units (y negative downward)
become ``geometry.unit`` design units each.  States are told apart by colour
and hatch, never colour alone (``mapviz.render.theme``).  The step's
animations are drawn in their final state: each target outlined in its
event colour, refusals and signals tagged with their result, a seal with a
lock.

>>> from mapviz.scenario import parse_scenario
>>> from mapviz.view import Storyboard
>>> from mapviz.render.drawing import Drawing
>>> from mapviz.render.theme import theme_named
>>> view = Storyboard.from_scenario(parse_scenario("open -f f\\npwrite 0 64k")).view()
>>> style = Style.for_theme(theme_named("light"))
>>> drawing = Drawing(1600, 900, "#FFFFFF")
>>> marks = draw_diagram(drawing, view, view.frames[2], Geometry(200, 1560, 300, 40), style)
>>> sorted({mark.kind for mark in marks})
['cache_fill', 'delalloc', 'dirty', 'size_change']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mapviz.render.drawing import Drawing, Point, Polygon, Rect, Shape, Text, luminance, rgb
from mapviz.render.theme import EVENT_COLOURS, PROTECTION_STYLE, SHARED_HATCH, Theme
from mapviz.render.typeset import text_width, wrap
from mapviz.view.frames import PROTECTIONS, STATES, Band, Frame
from mapviz.view.storyboard import View

# Refusals and signals are the point of most slides: drawn last, thickest, tagged.
STRONG = ("refuse", "sigbus", "sigsegv", "revoke")
TAGS = {
    "seal": "sealed",
    "unseal": "unsealed",
    "lease": "lease taken",
    "lease_break": "lease broken",
    "revoke": "revoked",
    "sigbus": "SIGBUS",
    "sigsegv": "SIGSEGV",
    "swapon": "swapon",
    "swapoff": "swapoff",
}
# What an event kind is called in a legend or on a flash (else its name, spaced).
KIND_WORDS = {
    "map_page": "page mapped",
    "zap_page": "entries removed",
    "write_protect": "write-protected",
    "cache_fill": "cache filled",
    "cache_drop": "cache dropped",
    "size_change": "size changed",
    "lease_break": "lease broken",
    "metadata_sync": "metadata synced",
    "sigbus": "SIGBUS",
    "sigsegv": "SIGSEGV",
}
# Bookkeeping with no place in the picture (an open is a 0-wide tick at offset 0).
UNMARKED = frozenset({"open", "close", "time"})
# How strongly a flashed range is tinted, by how loud its kind is.
FLASH_OPACITY = {"strong": 0.55, "coloured": 0.4}
RIBBON_ORDER = {"vma": 0, "extent": 1, "cache": 2, "entry": 3}


@dataclass(frozen=True, slots=True)
class Style:
    """Type sizes and stroke widths of a slide, in design units, from a theme."""

    theme: Theme
    title: float
    body: float
    small: float
    label: float
    tag: float
    stroke: float
    hatch_spacing: float
    hatch_width: float
    line: float = 1.3  # line height, in font sizes

    @classmethod
    def for_theme(cls, theme: Theme) -> Style:
        # The themes' sizes are for a ~1000 px interactive view; a slide is 1600 wide and
        # seen from further away, so small type grows more than large type.
        body = 9 + 0.75 * theme.font_size
        return cls(
            theme=theme,
            title=body * 1.4,
            body=body,
            small=body * 0.85,
            label=9 + 0.75 * theme.band_label_size,
            tag=body * 0.8,
            stroke=1.5 + theme.line_width,
            hatch_spacing=8 + 2 * theme.line_width,
            hatch_width=0.9 + 0.5 * theme.line_width,
        )


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where the bands go: x [0, 1000] to [left, right]; band unit 0 at ``top``."""

    left: float
    right: float
    top: float
    unit: float

    def x(self, value: float) -> float:
        return self.left + (self.right - self.left) * value / 1000.0

    def y(self, value: float) -> float:
        return self.top - value * self.unit


@dataclass(frozen=True, slots=True)
class Mark:
    """One highlighted target of the step: animations of one kind merged per band."""

    kind: str
    band: int
    x0: float
    x1: float
    colour: str  # palette name, or "" for a kind the theme gives no colour
    result: str = ""


def kind_words(kind: str) -> str:
    """What happened, for an event ``kind``.

    >>> kind_words("zap_page"), kind_words("cow")
    ('entries removed', 'cow')
    """
    return KIND_WORDS.get(kind, kind.replace("_", " "))


def mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` of the way towards ``other``.

    >>> mix("#000000", "#FFFFFF", 0.5)
    '#808080'
    """
    a, b = rgb(colour), rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * amount):02X}" for x, y in zip(a, b, strict=True))


def ink_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG contrast)."""
    lum = luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def hatch_colour(fill: str) -> str:
    """A darker (or, on dark fills, lighter) shade of ``fill``: the pattern shows, tone kept."""
    return mix(fill, "#000000" if luminance(fill) > 0.3 else "#FFFFFF", 0.55)


def marks_of(frame: Frame) -> list[Mark]:
    """The frame's animations merged into one mark per kind and contiguous range of a band."""
    spans: dict[tuple[str, int], list[tuple[float, float, str]]] = {}
    for a in frame.animations:
        if a.kind in UNMARKED:
            continue
        spans.setdefault((a.kind, a.band), []).append((a.x0, a.x1, a.result))
    marks = []
    for (kind, band), ranges in spans.items():
        ranges.sort()
        x0, x1, result = ranges[0]
        for start, end, res in ranges[1:]:
            if start <= x1 + 0.5:  # touching pages (per-page faults) read as one range
                x1 = max(x1, end)
                continue
            marks.append(Mark(kind, band, x0, x1, EVENT_COLOURS.get(kind, ""), result))
            x0, x1, result = start, end, res
        marks.append(Mark(kind, band, x0, x1, EVENT_COLOURS.get(kind, ""), result))
    # Plain events first, refusals and signals on top.
    return sorted(marks, key=lambda m: (m.kind in STRONG, m.colour != "", m.band, m.x0))


def draw_diagram(
    drawing: Drawing,
    view: View,
    frame: Frame,
    g: Geometry,
    style: Style,
    *,
    marks: list[Mark] | None = None,
    flash: bool = False,
) -> list[Mark]:
    """Add the bands of ``frame`` to ``drawing``; return the marks drawn (for the legend).

    ``marks`` are the targets to highlight, ``frame``'s own step's by default.
    With ``flash`` they are tinted in their event colour too and each kind is
    tagged with its name, as the page flashes them while the step plays: the
    animated slides draw a step's marks so over the frame before it
    (:mod:`mapviz.render.keyframes`).
    """
    theme = style.theme
    _draw_links(drawing, frame, g, theme)
    # The lanes' tracks are the frame's first quads: opaque, after the ribbons, so a tie
    # passes behind the lanes it crosses instead of tinting an empty one.
    _draw_quads(drawing, frame, g, style)
    _draw_breaks(drawing, view, g, style)
    marks = marks_of(frame) if marks is None else marks
    tagged = _draw_marks(drawing, view, marks, g, style, flash)
    _draw_words(drawing, frame, g, style, tagged)
    return marks


def band_height(band: Band, g: Geometry) -> float:
    return (band.y1 - band.y0) * g.unit


def _draw_breaks(drawing: Drawing, view: View, g: Geometry, style: Style) -> None:
    # The device axis squeezes long unused stretches; mark each squeeze like a broken axis.
    device = view.layout.band("device", "device")
    if device is None:
        return
    top, bottom = g.y(device.y1), g.y(device.y0)
    for x0, x1, _, _ in view.layout.device_axis.breaks():
        middle = g.x((x0 + x1) / 2)
        lean = band_height(device, g) * 0.15
        for dx in (-3.0, 3.0):
            drawing.add(
                Polygon(
                    ((middle + dx - lean, bottom), (middle + dx + lean, top)),
                    stroke=style.theme.muted,
                    stroke_width=style.hatch_width,
                    closed=False,
                )
            )


def _draw_links(drawing: Drawing, frame: Frame, g: Geometry, theme: Theme) -> None:
    links = frame.links
    order = sorted(range(len(links["kind"])), key=lambda i: RIBBON_ORDER.get(links["kind"][i], 9))
    opacity = 0.3 if theme.name == "dark" else 0.22
    for i in order:
        points = tuple(
            (g.x(x), g.y(y)) for x, y in zip(links["xs"][i], links["ys"][i], strict=True)
        )
        colour = theme.state_colour(STATES[links["state"][i]])
        # The mapping colour is a pale tone of the background: faint unless denser.
        alpha = 0.6 if links["kind"][i] == "vma" else opacity
        drawing.add(Polygon(points, fill=colour, opacity=alpha))


def _draw_quads(drawing: Drawing, frame: Frame, g: Geometry, style: Style) -> None:
    theme, q = style.theme, frame.quads
    for i in range(len(q["state"])):
        state = STATES[q["state"][i]]
        x0, x1 = g.x(q["x0"][i]), g.x(q["x1"][i])
        if x1 - x0 < 2.0:  # a sliver still shows
            x0, x1 = (x0 + x1) / 2 - 1.0, (x0 + x1) / 2 + 1.0
        top, bottom = g.y(q["y1"][i]), g.y(q["y0"][i])
        box = (x0, top, x1 - x0, bottom - top)
        fill = theme.state_colour(state)
        if state != "cover":  # a cover is its protection's hatch and outline only
            # A background-coloured edge keeps neighbouring extents of one state apart; a
            # lane's track has the grid's, a range asked for past EOF the foreground's.
            edge = {"track": theme.grid, "asked": theme.foreground}.get(state, theme.background)
            drawing.add(
                Rect(
                    *box,
                    fill=fill,
                    stroke=edge,
                    stroke_width=1.0,
                    hatch=theme.state_hatch(state),
                    hatch_colour=hatch_colour(fill),
                )
            )
        protection = PROTECTIONS[q["pinned"][i]]
        hatches = [SHARED_HATCH] if q["shared"][i] else []
        if protection and PROTECTION_STYLE[protection][1]:
            hatches.append(PROTECTION_STYLE[protection][1])
        ink = (
            mix(fill, ink_on(fill), 0.75)
            if state != "cover"
            else theme.protection_colour(protection or "pinned")
        )
        for hatch in hatches:
            drawing.add(Rect(*box, hatch=hatch, hatch_colour=ink))
        if protection:
            drawing.add(
                Rect(
                    *box,
                    stroke=theme.protection_colour(protection),
                    stroke_width=style.stroke * 1.5,
                )
            )


def _draw_words(
    drawing: Drawing,
    frame: Frame,
    g: Geometry,
    style: Style,
    tagged: dict[int, list[tuple[float, float]]],
) -> None:
    """What protects a lane, over its right end; whose blocks are whose, on the device.

    A lane's words give way to the step's tags over the same lane (``tagged``:
    their x extents by band): the tag is the news, the lock and legend say the rest.
    """
    theme = style.theme
    for badge in frame.badges:
        if badge.kind == "flag":
            right = g.x(badge.x)
            left = right - text_width(badge.text, style.small, bold=True)
            if any(a < right and left < b for a, b in tagged.get(badge.band, ())):
                continue
            drawing.add(
                Text(
                    right,
                    g.y(badge.y) - style.small * 0.2,
                    badge.text,
                    style.small,
                    theme.foreground,
                    bold=True,
                    anchor="end",
                )
            )
        elif badge.kind == "owner":
            room = g.x(badge.x + badge.room / 2) - g.x(badge.x - badge.room / 2)
            if text_width(badge.text, style.small, bold=True) + style.small > room:
                continue  # wider than its blocks: the legend and the tips name the owner
            ink = ink_on(theme.state_colour(badge.on)) if badge.on else theme.foreground
            drawing.add(
                Text(
                    g.x(badge.x),
                    g.y(badge.y) + style.small * 0.35,
                    badge.text,
                    style.small,
                    ink,
                    bold=True,
                    anchor="middle",
                )
            )


def _draw_marks(
    drawing: Drawing, view: View, marks: list[Mark], g: Geometry, style: Style, flash: bool
) -> dict[int, list[tuple[float, float]]]:
    """Outline and tag what the step touched (filled too, ``flash``); tags' x extents, by band."""
    theme = style.theme
    tagged: dict[int, list[tuple[float, float]]] = {}
    bands = view.layout.bands
    if flash:  # under the outlines; one tint per range and colour (fault and map_page: one)
        filled = {(m.band, m.x0, m.x1, m.colour): m for m in marks if m.colour}
        for mark in filled.values():
            _fill(drawing, mark, bands[mark.band], g, style)
    tags: list[Shape] = []
    tag_end: dict[int, float] = {}
    seen: set[tuple[int, int, int, str]] = set()
    rings: dict[tuple[int, int, int], int] = {}
    named: set[tuple[int, str]] = set()
    for mark in marks:
        band = bands[mark.band]
        x0, x1 = g.x(mark.x0), g.x(mark.x1)
        if x1 - x0 < 8:  # a one-block target (truncate's new EOF) stays findable
            x0, x1 = (x0 + x1) / 2 - 4, (x0 + x1) / 2 + 4
        place = (mark.band, round(x0), round(x1))
        if (*place, mark.colour) not in seen:  # fault and map_page on the same pages: one
            seen.add((*place, mark.colour))
            # Different colours on one range (alloc, cow, free) nest like rings.
            ring = rings.get(place, 0)
            rings[place] = ring + 1
            _outline(drawing, mark, band, x0, x1, style.stroke * (1 + 1.5 * min(ring, 3)), g, style)
        label = mark.result if mark.kind == "refuse" else TAGS.get(mark.kind)
        if flash:  # while it flashes, every kind says what it is, once per lane
            label = label or kind_words(mark.kind)
            if (mark.band, label) in named:
                continue
            named.add((mark.band, label))
        if label and (mark.colour or flash):
            start = max(x0 - style.stroke, g.left, tag_end.get(mark.band, -math.inf))
            shapes, end = tag(
                start,
                g.y(band.y1) - style.stroke,
                label,
                theme.colour(mark.colour) if mark.colour else theme.muted,
                style,
                lock=mark.kind == "seal",
                right=g.right,
            )
            tags.extend(shapes)
            tag_end[mark.band] = end + style.tag * 0.4
            tagged.setdefault(mark.band, []).append((start, end))
    for shape in tags:  # tags last: no outline crosses their text
        drawing.add(shape)
    return tagged


def _fill(drawing: Drawing, mark: Mark, band: Band, g: Geometry, style: Style) -> None:
    # The page's flash at its height (anim.js drawFlash, drawRefuse, drawStrike): the
    # range tinted in its event colour, refusals and signals the strongest.  A kind with
    # no colour stays clear: a grey tint would read as a hole.
    theme = style.theme
    x0, x1 = g.x(mark.x0), g.x(mark.x1)
    if x1 - x0 < 8:
        x0, x1 = (x0 + x1) / 2 - 4, (x0 + x1) / 2 + 4
    colour = theme.colour(mark.colour)
    opacity = FLASH_OPACITY["strong" if mark.kind in STRONG else "coloured"]
    top, bottom = g.y(band.y1), g.y(band.y0)
    drawing.add(Rect(x0, top, x1 - x0, bottom - top, fill=colour, opacity=opacity))


def _outline(
    drawing: Drawing,
    mark: Mark,
    band: Band,
    x0: float,
    x1: float,
    pad: float,
    g: Geometry,
    style: Style,
) -> None:
    theme = style.theme
    top, bottom = g.y(band.y1) - pad, g.y(band.y0) + pad
    # Never into the gutter, where the band's label is.
    x0, x1 = max(x0 - pad, g.left - style.stroke), min(x1 + pad, g.right + style.stroke)
    colour = theme.colour(mark.colour) if mark.colour else theme.muted
    width = style.stroke * (1.6 if mark.kind in STRONG else 1.0 if mark.colour else 0.7)
    lines: list[tuple[Point, Point]] = []
    if mark.kind in ("sigbus", "sigsegv"):  # the page that faulted, crossed out
        lines = [((x0, top), (x1, bottom)), ((x0, bottom), (x1, top))]
    # A halo of background under each stroke: a vermillion SIGBUS cross must still show
    # on a vermillion (revoked) mapping.
    for ink, w in ((theme.background, width + 2 * style.hatch_width), (colour, width)):
        drawing.add(
            Rect(
                x0,
                top,
                x1 - x0,
                bottom - top,
                stroke=ink,
                stroke_width=w,
                dash=not mark.colour and ink == colour,
            )
        )
        for a, b in lines:
            drawing.add(Polygon((a, b), stroke=ink, stroke_width=w, closed=False))


def tag(
    x: float,
    middle: float,
    text: str,
    fill: str,
    style: Style,
    *,
    lock: bool = False,
    right: float = math.inf,
) -> tuple[list[Shape], float]:
    """A filled label centred on the line ``middle``, starting at ``x`` (shifted left to fit)."""
    size = style.tag
    height = size * 1.45
    icon = size * 1.1 if lock else 0.0
    width = text_width(text, size, bold=True) + icon + size * 0.8
    x = max(min(x, right - width), 0.0)
    ink = ink_on(fill)
    shapes: list[Shape] = [Rect(x, middle - height / 2, width, height, fill=fill)]
    if lock:
        shapes.extend(
            lock_icon(
                x + size * 0.4, middle - size * 0.55, size * 0.8, ink, style.hatch_width * 1.4
            )
        )
    shapes.append(Text(x + size * 0.4 + icon, middle + size * 0.36, text, size, ink, bold=True))
    return shapes, x + width


def lock_icon(x: float, y: float, size: float, colour: str, width: float) -> list[Shape]:
    """A padlock outline ``size`` tall, top-left at ``(x, y)``: a pinned block map."""
    body_top = y + size * 0.45
    cx, radius = x + size * 0.4, size * 0.24
    arc: list[Point] = [(cx + radius, body_top)]
    arc += [
        (
            cx + radius * math.cos(math.pi * k / 12),
            body_top - size * 0.1 - radius * math.sin(math.pi * k / 12),
        )
        for k in range(13)
    ]
    arc.append((cx - radius, body_top))
    return [
        Polygon(tuple(arc), stroke=colour, stroke_width=width, closed=False),
        Rect(x, body_top, size * 0.8, size * 0.55, stroke=colour, stroke_width=width),
    ]


def draw_gutter(
    drawing: Drawing, view: View, frame: Frame, g: Geometry, left: float, style: Style
) -> None:
    """Each lane's name beside it while the lane exists, a lock by a protected file."""
    theme = style.theme
    width = g.left - left - style.label * 0.6
    protected = {
        band for band, code in zip(frame.quads["band"], frame.quads["pinned"], strict=True) if code
    }
    bands = view.layout.bands
    for badge in frame.badges:
        if badge.kind != "label":
            continue
        band = bands[badge.band]
        top, bottom = g.y(band.y1), g.y(band.y0)
        lock = band.layer == "file" and band.index in protected
        icon = style.label * 1.2 if lock else 0.0
        lines = label_lines(badge.text, width - icon, max(bottom - top, style.label * 1.3), style)
        leading = style.label * style.line
        baseline = (top + bottom) / 2 - leading * (len(lines) - 1) / 2 + style.label * 0.36
        for k, line in enumerate(lines):
            drawing.add(
                Text(
                    g.left - style.label * 0.6,
                    baseline + k * leading,
                    line,
                    style.label,
                    theme.foreground,
                    anchor="end",
                )
            )
        if lock:
            widest = max(text_width(line, style.label) for line in lines)
            drawing.add_all(
                lock_icon(
                    g.left - style.label * 0.6 - widest - icon,
                    (top + bottom) / 2 - style.label * 0.5,
                    style.label,
                    theme.foreground,
                    style.hatch_width * 1.4,
                )
            )


def label_lines(label: str, width: float, height: float, style: Style) -> list[str]:
    """A band label in the lines that fit beside its band (``app 0x7f...`` may take two)."""
    room = max(1, int(height // (style.label * style.line)))
    return wrap(label, width, style.label, max_lines=min(room, 2))
