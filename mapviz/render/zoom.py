"""Zoom for big files: an overview strip with Bokeh's RangeTool, and axes that follow.

A real file's map spans gigabytes in a thousand x units: one block is far
less than a pixel.  The plot pans sideways (drag), zooms sideways (Ctrl and
the wheel, or the overview), and a double click shows the whole width
again.  The overview strip above it shows the whole picture small, with
the zoomed part outlined; it appears when a file is too long to show
each block (:data:`OVERVIEW_FROM`).  While zoomed, ``js/zoom.js`` labels
both axes anew, exactly, and never closer than their labels are wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    LinearColorMapper,
    PanTool,
    Range1d,
    RangeTool,
    WheelZoomTool,
)

from mapviz.render.canvas import bare_figure
from mapviz.render.theme import Theme
from mapviz.view.axes import WIDTH
from mapviz.view.storyboard import View

OVERVIEW_FROM = 256
"""Blocks in the file axis from which the overview strip shows (about 4 px a block at 1000 px)."""

OVERVIEW_PX = 44
SMALLEST = 4
"""The fewest blocks a zoomed view shows across its width."""

MARGIN = 6.0
"""x units either side of [0, WIDTH], as the plot's own range has."""


@dataclass(slots=True)
class Zoom:
    overview: Any  # a bokeh figure
    relabel: CustomJS


def add_zoom(plot: Any, base: ColumnDataSource, colours: LinearColorMapper, theme: Theme) -> Zoom:
    """Sideways pan and zoom on ``plot``, and an overview strip drawing ``base``'s quads."""
    plot.x_range.bounds = (-MARGIN, WIDTH + MARGIN)
    pan = PanTool(dimensions="width")
    wheel = WheelZoomTool(dimensions="width", modifiers={"ctrl": True})
    plot.add_tools(pan, wheel)
    plot.toolbar.active_drag = pan
    plot.toolbar.active_scroll = wheel
    whole = CustomJS(
        args={"range": plot.x_range},
        code="range.setv({start: range.bounds[0], end: range.bounds[1]})",
    )
    plot.js_on_event("doubletap", whole)
    overview = bare_figure(
        theme,
        name="mapviz-overview",
        height=OVERVIEW_PX,
        x_range=Range1d(start=-MARGIN, end=WIDTH + MARGIN),
        y_range=plot.y_range,
        outline_line_color=theme.grid,
        min_border_right=plot.min_border_right,
        min_border_top=2,
        min_border_bottom=2,
        visible=False,
    )
    overview.quad(
        "x0",
        "x1",
        "y1",
        "y0",
        source=base,
        fill_alpha="fa",
        fill_color={"field": "state", "transform": colours},
        line_color=None,
    )
    # The part the plot shows, outlined; drag it, or its edges, to move the zoom.
    chooser = RangeTool(x_range=plot.x_range)
    chooser.overlay.fill_color = theme.foreground
    chooser.overlay.fill_alpha = 0.12
    chooser.overlay.line_color = theme.foreground
    overview.add_tools(chooser)
    relabel = CustomJS(args={}, code=_code())
    plot.x_range.js_on_change("start", relabel)
    plot.x_range.js_on_change("end", relabel)
    return Zoom(overview, relabel)


def fill_zoom(
    zoom: Zoom,
    plot: Any,
    axes: dict[str, Any],
    view: View,
    theme: Theme,
    offsets: dict[float, str],
    blocks: dict[float, str],
) -> None:
    """Fit the zoom to ``view``: how far it may go, the strip, the axes' whole-width ticks."""
    layout = view.layout
    span = layout.file_axis.span
    blocks_across = max(1, span // view.blocksize)
    plot.x_range.min_interval = min(WIDTH, WIDTH * SMALLEST / blocks_across)
    # A file binned for its many extents is always this long (core.scene.MAX_EXTENTS).
    zoom.overview.visible = blocks_across >= OVERVIEW_FROM
    zoom.overview.min_border_left = plot.min_border_left
    zoom.relabel.args = {
        "plot": plot,
        "offsets": axes["offsets"],
        "blocks": axes["blocks"],
        "span": span,
        "pieces": [list(piece) for piece in layout.device_axis.pieces],
        "bs": view.blocksize,
        "full": {
            "offsets": [[x, label] for x, label in offsets.items()],
            "blocks": [[x, label] for x, label in blocks.items()],
        },
        "char": theme.band_label_size * 0.6,
    }


def _code() -> str:
    return resources.files("mapviz.render").joinpath("js", "zoom.js").read_text(encoding="utf-8")
