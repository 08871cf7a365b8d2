"""How wide text is, without a font file: DejaVu Sans advance widths, wrapping and fitting.

The SVG writer cannot measure text (the viewer picks the font), and the PNG
writer should lay out exactly like it, so both measure with this table: the
advance widths of DejaVu Sans and DejaVu Sans Bold (the fonts both ask for
first) in thousandths of an em, for ASCII, Latin-1 and the few symbols the
scenarios use.  DejaVu Sans Mono is 602 for every glyph.  A character not in
the table counts as a wide one, so text is never measured short.

>>> round(text_width("mmap", 20))
64
>>> wrap("a b c d", 40, 20)
['a b', 'c d']
"""

from __future__ import annotations

from collections.abc import Iterator

# Generated with Pillow: round(ImageFont.truetype("DejaVuSans.ttf", 1000).getlength(c)).
_CHARS = (
    "".join(map(chr, range(0x20, 0x7F)))  # ASCII
    + "".join(chr(c) for c in range(0xA1, 0x100) if c != 0xAD)  # Latin-1, no soft hyphen
    # section, middle dot, em and en dash, arrows, ellipsis, times, check marks, quotes,
    # comparison signs, double arrow, bullet
    + "\u00a7\u00b7\u2014\u2013\u2192\u2190\u2026\u00d7\u2713\u2717\u2019\u2018\u201c"
    + "\u201d\u2264\u2265\u2248\u21d2\u2022"
)
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684,
    686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695,
    635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550,
    635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392,
    634, 592, 818, 592, 592, 525, 636, 337, 636, 838, 401, 636, 636, 636, 636, 337, 500,
    500, 1000, 471, 612, 838, 1000, 500, 500, 838, 401, 401, 500, 636, 636, 318, 500, 401,
    471, 612, 969, 969, 969, 531, 684, 684, 684, 684, 684, 684, 974, 698, 632, 632, 632,
    632, 295, 295, 295, 295, 775, 748, 787, 787, 787, 787, 787, 838, 787, 732, 732, 732,
    732, 611, 605, 630, 613, 613, 613, 613, 613, 613, 982, 550, 615, 615, 615, 615, 278,
    278, 278, 278, 612, 634, 612, 612, 612, 612, 612, 838, 612, 634, 634, 634, 634, 592,
    635, 592, 500, 318, 1000, 500, 838, 838, 1000, 838, 838, 838, 318, 318, 518, 518, 838,
    838, 838, 838, 590,
)
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774,
    762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770,
    720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593,
    716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478,
    712, 652, 924, 645, 652, 582, 712, 365, 712, 838, 456, 696, 696, 636, 696, 365, 500,
    500, 1000, 564, 646, 838, 1000, 500, 500, 838, 438, 438, 500, 736, 636, 380, 500, 438,
    564, 646, 1035, 1035, 1035, 580, 774, 774, 774, 774, 774, 774, 1085, 734, 683, 683, 683,
    683, 372, 372, 372, 372, 838, 837, 850, 850, 850, 850, 850, 838, 850, 812, 812, 812,
    812, 724, 738, 719, 675, 675, 675, 675, 675, 675, 1048, 593, 678, 678, 678, 678, 343,
    343, 343, 343, 687, 712, 687, 687, 687, 687, 687, 838, 687, 712, 712, 712, 712, 652,
    716, 652, 500, 380, 1000, 500, 838, 838, 1000, 838, 838, 838, 380, 380, 657, 657, 838,
    838, 838, 838, 639,
)
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR, strict=True)),
           True: dict(zip(_CHARS, _BOLD, strict=True))}
_MONO = 602
_UNKNOWN = 1000  # an em: wide enough for any CJK or symbol glyph a note might hold
ELLIPSIS = "…"


def text_width(text: str, size: float, *, bold: bool = False, mono: bool = False) -> float:
    """Advance width of ``text`` set at ``size`` px.  O(len(text)).

    >>> text_width("iii", 10) < text_width("MMM", 10)
    True
    """
    if mono:
        return len(text) * _MONO * size / 1000
    table = _WIDTHS[bold]
    return sum(table.get(c, _UNKNOWN) for c in text) * size / 1000


def wrap(text: str, width: float, size: float, *, bold: bool = False, mono: bool = False,
         max_lines: int | None = None) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width``.

    A word wider than a line is cut between characters; with ``max_lines`` the
    last kept line ends in an ellipsis when text was left out.

    >>> wrap("one two three", 60, 20, max_lines=1)
    ['one…']
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_paragraph(paragraph, width, size, bold, mono))
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = fit(kept[-1] + " " + ELLIPSIS, width, size, bold=bold, mono=mono)
        return kept
    return lines


def fit(text: str, width: float, size: float, *, bold: bool = False, mono: bool = False) -> str:
    """``text``, cut and ended with an ellipsis if it is wider than ``width``.

    >>> fit("0x7f0000000000", 60, 20)
    '0x7…'
    """
    if text_width(text, size, bold=bold, mono=mono) <= width:
        return text
    while text and text_width(text + ELLIPSIS, size, bold=bold, mono=mono) > width:
        text = text[:-1]
    return text.rstrip(" " + ELLIPSIS) + ELLIPSIS if text else ""


def _wrap_paragraph(text: str, width: float, size: float, bold: bool,
                    mono: bool) -> Iterator[str]:
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold=bold, mono=mono) <= width:
            line = candidate
            continue
        if line:
            yield line
        line = word
        while text_width(line, size, bold=bold, mono=mono) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], size, bold=bold, mono=mono) > width:
                cut -= 1
            yield line[:cut]
            line = line[cut:]
    yield line
