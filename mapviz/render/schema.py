"""Every column Python hands to the browser player, declared once.

The player (``js/*.js``) reads a view from *stores*: column tables filled
once by :mod:`mapviz.render.tables`, which it slices into the small
*drawn* sources each frame.  This module is the one place that says which
columns each store and each drawn source has, what type they travel in and
what they mean; the tables are built from it, the player's settings list it,
and ``tests/render/test_schema.py`` fails if the JavaScript reads a column
declared nowhere here.

Frames share rows: a store's rows are cut into *segments* (a lane's glyphs,
a lane's connectors) and a frame is a list of segments, so a row is sent
once however many frames show it -- a page's HTML grows with what changes,
not with steps x glyphs.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any

from mapviz.view.frames import RANGE_COLUMNS


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, the numpy type it travels in (None: a list), and what it is.

    The type is named, not imported: the schema is read where numpy is not (the playground's
    Python in the browser, :mod:`mapviz.render.page_data`).
    """

    name: str
    dtype: str | None
    meaning: str


def _columns(*specs: tuple[str, str | None, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


RANGES = (
    ("file", "int32", "the file the glyph stands for (a row of the files store), or -1"),
    ("f0", "float64", "the file bytes it stands for, [f0, f1); -1 when none"),
    ("f1", "float64", ""),
    ("d0", "float64", "the device bytes it stands for, [d0, d1); -1 when none"),
    ("d1", "float64", ""),
    ("c0", "int32", "the page-cache frames it stands for, [c0, c1); -1 when none"),
    ("c1", "int32", ""),
)

STORES: dict[str, tuple[Column, ...]] = {
    # One row per glyph of some frame (quads: lanes' marks, tracks, covers, owner strips).
    "store_q": _columns(
        ("x0", "float32", "left edge, x in [0, 1000] (lane names sit at x < 0)"),
        ("x1", "float32", "right edge"),
        ("y0", "float32", "bottom edge, in band units (y grows upward)"),
        ("y1", "float32", "top edge"),
        ("state", "uint8", "an index into mapviz.view.frames.STATES: fill colour and hatch"),
        ("band", "int16", "the band (lane) the glyph is in"),
        *RANGES,
        ("shared", "uint8", "1: blocks shared with another file"),
        ("pinned", "uint8", "an index into mapviz.view.frames.PROTECTIONS"),
        ("hg", "int8", "the hatch group drawing the state's own hatch, or -1"),
        ("mg", "int8", "the hatch group drawing its mark (protection, sharing), or -1"),
        ("ei", "uint8", "outline colour: an index into cfg.colours (Theme.inks())"),
        ("ew", "float32", "outline width in px"),
        ("fa", "float32", "fill alpha (0: a cover, drawn as hatch and outline only)"),
        ("tip", None, "the hover text, or empty: the player words it from the columns"),
    ),
    # One row per connector of some frame; its points are rows p0 .. p0+pn-1 of store_p.
    "store_l": _columns(
        ("p0", "int32", "the connector's first point in store_p"),
        ("pn", "uint8", "how many points"),
        ("kind", "uint8", "an index into cfg.link_kinds (extent, vma, entry, arrow)"),
        ("ci", "uint8", "fill colour: an index into cfg.colours"),
        ("fa", "float32", "fill alpha"),
        ("la", "float32", "outline alpha"),
        *RANGES,
        ("tip", None, "the hover text, or empty: the player words it from the columns"),
    ),
    "store_p": _columns(
        ("x", "float32", "a connector's point"),
        ("y", "float32", ""),
    ),
    # Words in the plot: lane names, what protects a lane, owners on device blocks.
    "store_g": _columns(
        ("band", "int16", "the band the words belong to"),
        ("text", None, "the words"),
        ("x", "float32", "where"),
        ("y", "float32", ""),
        ("align", None, "left, center or right"),
        ("kind", None, "label, flag or owner"),
        ("room", "float32", "the width the words must fit in (x units; 0: any)"),
        ("colour", None, "ink that reads on what is under the words"),
    ),
    # One row per frame.
    "story": _columns(
        ("frame", None, "the frame's index"),
        ("qsegs", None, "the frame's glyphs: store_q row ranges [lo0, hi0, lo1, hi1, ...]"),
        ("lsegs", None, "the frame's connectors: store_l row ranges"),
        ("glo", None, "the frame's words: store_g rows [glo, ghi)"),
        ("ghi", None, ""),
        ("blo", None, "the frame's animation beats: beats rows [blo, bhi)"),
        ("bhi", None, ""),
        ("command", None, "the step's command line ('' for the start)"),
        ("result", None, "ok, an errno name, a signal, or skipped"),
        ("why", None, "why it ended so"),
        ("note", None, "the %note in force"),
        ("carried", None, "the note was written for an earlier step"),
        ("process", None, "who issued the command"),
        ("line", None, "its scenario line"),
        ("clock", None, "simulated seconds after it"),
        ("output", None, "what xfs_io printed"),
        ("expect", None, "the scenario's %expect, or ''"),
    ),
    # One row per place of an animation beat.
    "beats": _columns(
        ("frame", None, "the frame whose step plays it"),
        ("beat", None, "the beat's number in the step"),
        ("kind", None, "an event kind (mapviz.core.events.EventKind values)"),
        ("t0", None, "ms into the step it starts"),
        ("dur", None, "ms it lasts"),
        ("band", None, "where: a band and an x range"),
        ("x0", None, ""),
        ("x1", None, ""),
        ("text", None, "what happened, in words"),
        ("result", None, "the errno or signal it ends in"),
        ("count", None, "events of the step it stands for"),
        ("until", None, "a lease break's deadline in simulated seconds, -1 if none"),
        ("clock0", None, "simulated seconds when the step began"),
    ),
    # One row per band: where it is and what it is.
    "bands": _columns(
        ("index", None, "the band's number"),
        ("layer", None, "actor, virtual, file, cache, connector or device"),
        ("key", None, "the picture's lane id"),
        ("label", None, "the lane's name"),
        ("y0", None, "bottom, in band units"),
        ("y1", None, "top"),
    ),
    # The files, by their index in the glyphs' ``file`` column.
    "files": _columns(
        ("name", None, "the file's name"),
    ),
    # The docs/ sections the text cites (mapviz.render.sources).
    "sections": _columns(
        ("key", None, "'kernel-semantics §2.2'"),
        ("html", None, "the section, rendered and escaped"),
    ),
}

DRAWN: dict[str, tuple[str, ...]] = {
    # What the player writes into the sources the figure draws (mapviz.render.figure).
    "base": (
        "x0",
        "x1",
        "y0",
        "y1",
        "state",
        "band",
        *RANGE_COLUMNS,
        "shared",
        "pinned",
        "hg",
        "mg",
        "edge",
        "ew",
        "fa",
        "tip",
    ),
    "links": (
        "xs",
        "ys",
        "fill",
        "fa",
        "la",
        "kind",
        "tip",
        *RANGE_COLUMNS,
    ),
    "badges": ("x", "y", "text", "align", "baseline", "colour", "bg", "ba"),
}


def names(store: str) -> tuple[str, ...]:
    """The column names of ``store``, in order."""
    return tuple(column.name for column in STORES[store])


def dtypes(store: str) -> dict[str, str]:
    """The numeric columns of ``store`` and their types' names (``"float32"``).

    >>> dtypes("store_p")
    {'x': 'float32', 'y': 'float32'}
    """
    return {column.name: column.dtype for column in STORES[store] if column.dtype}


def as_arrays(store: str, columns: Mapping[str, Sequence[object]]) -> dict[str, object]:
    """``columns`` of ``store`` in the types they travel in (numeric ones as numpy arrays)."""
    import numpy as np  # only where a page is written by Bokeh: the playground has no numpy

    out: dict[str, object] = {}
    for column in STORES[store]:
        values = columns[column.name]
        out[column.name] = np.asarray(values, dtype=column.dtype) if column.dtype else values
    return out


_ARRAY_CODES = {
    "float32": "f",
    "float64": "d",
    "int32": "i",
    "int16": "h",
    "int8": "b",
    "uint8": "B",
}
"""Each numeric type's ``array`` code (by name: importing the schema needs no numpy)."""


def empty_columns(store: str) -> dict[str, MutableSequence[Any]]:
    """Empty columns of ``store`` to append rows to: numeric ones packed in their own type.

    A long scenario's store holds a million rows; packed, a number costs its
    own few bytes, not a pointer and a Python object, and reaches numpy
    without a copy (:func:`as_arrays`).
    """
    return {
        column.name: array(_ARRAY_CODES[column.dtype]) if column.dtype else []
        for column in STORES[store]
    }
