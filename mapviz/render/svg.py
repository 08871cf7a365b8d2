"""A drawing as a self-contained SVG document: no scripts, no external fonts or links.

Hatches are ``<pattern>`` elements in ``<defs>`` (one per hatch and colour),
laid over the fill in user space so neighbouring quads' hatches line up.
Every piece of user text is XML-escaped, and characters XML 1.0 cannot
carry at all (control characters) are dropped, so the document always
parses.

>>> from mapviz.render.drawing import Drawing, Text
>>> drawing = Drawing(100, 40, "#FFFFFF")
>>> drawing.add(Text(5, 20, "<b>&", 12, "#000000"))
>>> "&lt;b&gt;&amp;" in to_svg(drawing)
True
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from mapviz.render.drawing import Drawing, Polygon, Rect, Text, hatch_tile

# DejaVu first: the layout measured text with its widths (mapviz.render.typeset).
SANS = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', Arial, sans-serif"
MONO = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` safe inside an XML element: escaped, with characters XML forbids removed.

    >>> clean('<script>alert(1)</script> & "q"\\x00')
    '&lt;script&gt;alert(1)&lt;/script&gt; &amp; "q"'
    """
    return escape(_NOT_XML.sub("", text))


def to_svg(drawing: Drawing) -> str:
    """The SVG document of ``drawing`` (UTF-8 text)."""
    patterns: dict[tuple[str, str], str] = {}
    body: list[str] = []
    for shape in drawing.shapes:
        if isinstance(shape, Rect):
            body.extend(_rect(shape, patterns))
        elif isinstance(shape, Polygon):
            body.append(_polygon(shape))
        else:
            body.append(_text(shape))
    w, h = _n(drawing.width), _n(drawing.height)
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="{SANS}" role="img">',
        f"<title>{clean(drawing.title)}</title>",
        "<defs>",
        *(_pattern(code, colour, ident, drawing) for (code, colour), ident in patterns.items()),
        "</defs>",
        f'<rect width="100%" height="100%" fill="{drawing.background}"/>',
    ]
    return "\n".join([*head, *body, "</svg>", ""])


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _rect(r: Rect, patterns: dict[tuple[str, str], str]) -> list[str]:
    box = f'x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}"'
    out = []
    if r.fill is not None or r.stroke is not None:
        paint = f'fill="{r.fill or "none"}"'
        if r.stroke is not None and r.stroke_width > 0:
            paint += f' stroke="{r.stroke}" stroke-width="{_n(r.stroke_width)}"'
            if r.dash:
                paint += f' stroke-dasharray="{_n(r.stroke_width * 3)} {_n(r.stroke_width * 2)}"'
        if r.opacity < 1:
            paint += f' opacity="{r.opacity:.2f}"'
        out.append(f"<rect {box} {paint}/>")
    if r.hatch:
        ident = patterns.setdefault((r.hatch, r.hatch_colour), f"hatch{len(patterns)}")
        out.append(f'<rect {box} fill="url(#{ident})"/>')
    return out


def _pattern(code: str, colour: str, ident: str, drawing: Drawing) -> str:
    size = drawing.hatch_spacing
    lines, dots = hatch_tile(code, size)
    path = " ".join(f"M{_n(a[0])},{_n(a[1])} L{_n(b[0])},{_n(b[1])}" for a, b in lines)
    marks = (
        [
            f'<path d="{path}" stroke="{colour}" stroke-width="{_n(drawing.hatch_width)}" '
            'stroke-linecap="square"/>'
        ]
        if lines
        else []
    )
    marks += [
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size * 0.14)}" fill="{colour}"/>'
        for x, y in dots
    ]
    return (
        f'<pattern id="{ident}" patternUnits="userSpaceOnUse" width="{_n(size)}" '
        f'height="{_n(size)}">{"".join(marks)}</pattern>'
    )


def _polygon(p: Polygon) -> str:
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in p.points)
    tag = "polygon" if p.closed else "polyline"
    paint = f'fill="{p.fill if p.fill and p.closed else "none"}"'
    if p.stroke is not None:
        paint += (
            f' stroke="{p.stroke}" stroke-width="{_n(p.stroke_width)}" '
            'stroke-linecap="round" stroke-linejoin="round"'
        )
    if p.opacity < 1:
        paint += f' opacity="{p.opacity:.2f}"'
    return f'<{tag} points="{points}" {paint}/>'


def _text(t: Text) -> str:
    style = [f'x="{_n(t.x)}" y="{_n(t.y)}" font-size="{_n(t.size)}" fill="{t.colour}"']
    if t.bold:
        style.append('font-weight="bold"')
    if t.italic:
        style.append('font-style="italic"')
    if t.mono:
        style.append(f"font-family={quoteattr(MONO)}")
    if t.anchor != "start":
        style.append(f'text-anchor="{t.anchor}"')
    return f"<text {' '.join(style)}>{clean(t.text)}</text>"
