"""A view as plain data: everything a page needs to show it, with no Bokeh and no numpy.

Two places turn a :class:`~mapviz.view.storyboard.View` into what the browser
draws.  ``mapviz export`` builds Bokeh models in Python
(:mod:`mapviz.render.document`); the playground (``mapviz site``) runs the
simulator in Pyodide, which has neither Bokeh nor numpy, and hands the page
this module's JSON, which ``play.js`` loads into a Bokeh document built from
the very same :func:`~mapviz.render.document.build_view`.  Both go through
:func:`plot_layout` (ranges, axes, guides, legend) and
:func:`~mapviz.render.tables.build_tables` (the player's stores), so the
picture has one truth.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> from mapviz.render.theme import theme_named
>>> view = Storyboard.from_scenario(load_scenario("hole-sigbus")).view()
>>> data = view_data(view, theme_named("light"), name="hole-sigbus")
>>> data["frames"], sorted(data["stores"])[:3], data["dtypes"]["store_p"]
(12, ['bands', 'beats', 'files'], {'x': 'float32', 'y': 'float32'})
>>> import json; len(json.dumps(data)) > 1000
True
"""

from __future__ import annotations

import html
from typing import Any

from mapviz._version import __version__
from mapviz.render import schema
from mapviz.render.tables import Tables, build_tables
from mapviz.render.theme import (
    LEGEND_HIDDEN,
    LEGEND_LABELS,
    PROTECTION_STYLE,
    Theme,
    narrowest_plot_px,
)
from mapviz.render.ticks import device_breaks, device_ticks, file_ticks
from mapviz.view.axes import WIDTH
from mapviz.view.frames import OWNER_TINTS, STATES
from mapviz.view.storyboard import View

OVERVIEW_FROM = 256
"""Blocks in the file axis from which the overview strip shows (about 4 px a block at 1000 px)."""
SMALLEST = 4
"""The fewest blocks a zoomed view shows across its width (:mod:`mapviz.render.zoom`)."""
HEADROOM = 0.8  # band units above the top band: room for badges
FOOTROOM = 0.25
# Short: they run vertically beside one band each (the band itself says "page cache").
MARK_LABELS = {"shared": "shared (reflink)"}


def header_html(title: str, kernel: str, fs: str, name: str) -> str:
    """Title and what the view is of: every part escaped.

    >>> header_html("<b>x</b>", "mainline", "xfs", "n")[:48]
    '<div class="mv-title">&lt;b&gt;x&lt;/b&gt;</div>'
    """
    e = html.escape
    return (
        f'<div class="mv-title">{e(title)}</div>'
        f'<div class="mv-meta">kernel model <b>{e(kernel)}</b> · {e(fs)} · '
        f"scenario <b>{e(name)}</b> · mapviz {e(__version__)}</div>"
    )


def y_span(view: View) -> tuple[float, float]:
    """The y range: from just under the lowest band to the badges over the highest.

    The layout leaves room for a layer even when it is empty (no mapping yet),
    so the top comes from the bands, not from y = 0.
    """
    bands = view.layout.bands
    top = max((b.y1 for b in bands), default=0.0) + HEADROOM
    return -view.layout.height - FOOTROOM, top


def frame_px(units: float, theme: Theme) -> int:
    """The figure's height in pixels for ``units`` band units."""
    return min(round(units * theme.unit_px), theme.max_frame_px)


def label_room(view: View, theme: Theme) -> int:
    """Pixels left of the plot for the longest lane name (and a margin)."""
    longest = max((len(b.label) for b in view.layout.bands), default=6)
    return round(longest * theme.band_label_size * 0.6 + 16)


def plot_layout(view: View, tables: Tables, theme: Theme) -> dict[str, Any]:
    """The figure's settings for ``view``: ranges, height, guides, breaks, ticks, legend.

    Plain data (lists, dicts, numbers, strings): ``figure.fill_plot`` sets it on
    the Python models, ``play.js`` on the page's.  Ticks are ``[[where, label], ...]``.
    """
    layout = view.layout
    bottom, top = y_span(view)
    bands = layout.bands
    room = label_room(view, theme)
    upper = [b for b in bands if b.layer in ("actor", "virtual", "file", "cache")]
    most = 5 if theme.font_size > 16 else 8
    # As few labels as keep apart on the narrowest figure a page gives (the side panel
    # wraps below the plot before the figure gets narrower than this).
    plot_px = (narrowest_plot_px(theme) - room - 14) * 1000 / 1012
    offsets = file_ticks(
        layout.file_axis.span, most, plot_px=plot_px, char_px=theme.band_label_size * 0.6
    )
    guides_bottom = min((b.y0 for b in upper), default=0.0)
    gap = 1000 * theme.font_size * 5 / 900  # about five characters of a ~900 px plot
    blocks = device_ticks(layout.device_axis, view.blocksize, gap)
    device = layout.band("device", "device")
    breaks = device_breaks(layout.device_axis, view.blocksize) if device else []
    return {
        "y_range": [bottom, top],
        "frame_height": frame_px(top - bottom, theme),
        # Room for the longest lane name whatever the frame shows, so the plot never shifts.
        "min_border_left": room,
        "guides": {
            "x": list(offsets),
            "y0": [guides_bottom] * len(offsets),
            "y1": [top] * len(offsets),
        },
        "breaks": {
            "x0": [b[0] for b in breaks],
            "x1": [b[1] for b in breaks],
            "y0": [device.y0 if device else 0.0] * len(breaks),
            "y1": [device.y1 if device else 0.0] * len(breaks),
            "tip": [b[2] for b in breaks],
        },
        "ticks": {
            "offsets": list(offsets.items()),
            "blocks": list(blocks.items()),
            "lanes": [((b.y0 + b.y1) / 2, b.label) for b in bands],
        },
        "legend": legend_entries(view, tables, theme),
        "zoom": zoom_settings(view, theme, offsets, blocks),
    }


def zoom_settings(
    view: View, theme: Theme, offsets: dict[float, str], blocks: dict[float, str]
) -> dict[str, Any]:
    """How far ``view`` may zoom, whether the overview strip shows, and what ``js/zoom.js``
    needs to label the axes anew (:mod:`mapviz.render.zoom`)."""
    layout = view.layout
    span = layout.file_axis.span
    blocks_across = max(1, span // view.blocksize)
    return {
        "min_interval": min(WIDTH, WIDTH * SMALLEST / blocks_across),
        # A file binned for its many extents is always this long (core.scene.MAX_EXTENTS).
        "overview": blocks_across >= OVERVIEW_FROM,
        "span": span,
        "pieces": [list(piece) for piece in layout.device_axis.pieces],
        "bs": view.blocksize,
        "full": {
            "offsets": [[x, label] for x, label in offsets.items()],
            "blocks": [[x, label] for x, label in blocks.items()],
        },
        "char": theme.band_label_size * 0.6,
    }


def legend_entries(view: View, tables: Tables, theme: Theme) -> dict[str, Any]:
    """Only what the view shows: its states, protections, sharing, and whose blocks are
    whose: ``{"keys", "labels", "nrows"}`` (labels of owners' items name the files)."""
    keys = [s for s in STATES if s in tables.states and s not in LEGEND_HIDDEN]
    keys += ["shared"] if tables.shared else []
    keys += tables.protections
    owners: dict[str, list[str]] = {}
    for name, number in view.layout.file_ids.items():
        owners.setdefault(f"owner-{number % OWNER_TINTS}", []).append(name)
    labels = [
        MARK_LABELS.get(key) or PROTECTION_STYLE.get(key, ("", "", ""))[2] or LEGEND_LABELS[key]
        for key in keys
    ]
    for at, key in enumerate(keys):
        if key in owners:
            labels[at] = "blocks of " + ", ".join(owners[key])
    nrows = -(-len(keys) // _per_row(theme, labels, label_room(view, theme))) if keys else 1
    return {"keys": keys, "labels": labels, "owners": sorted(owners), "nrows": nrows}


def _per_row(theme: Theme, labels: list[str], room: int) -> int:
    """How many legend items fit side by side under the plot on a 1280 px wide screen.

    ``room`` is what the lane names take left of the plot (``label_room``).
    """
    plot_px = 1280 - theme.panel_width - 60 - room
    longest = max(len(label) for label in labels)
    item_px = theme.control_size * (2.2 + 0.5 * longest) + 20
    return max(1, int(plot_px // item_px))


def view_data(view: View, theme: Theme, *, name: str) -> dict[str, Any]:
    """Everything a page built by ``build_view`` needs to show ``view`` instead, as JSON-able
    data: the player's stores (plain lists; ``dtypes`` names the typed arrays they travel
    in), the figure's layout, the header's HTML (escaped), and how many frames there are."""
    tables = build_tables(view, theme, arrays=False)
    stores = {
        "store_q": tables.quads,
        "store_l": tables.links,
        "store_p": tables.points,
        "files": tables.files,
        "store_g": tables.badges,
        "beats": tables.beats,
        "bands": tables.bands,
        "sections": tables.sections,
        "story": tables.story,
    }
    return {
        "title": view.title,
        "kernel": view.kernel,
        "fs": view.fs,
        "name": name,
        "frames": len(view.frames),
        "header": header_html(view.title, view.kernel, view.fs, name),
        "stores": stores,
        "dtypes": {store: schema.dtypes(store) for store in stores if store in schema.STORES},
        "plot": plot_layout(view, tables, theme),
    }
