"""Zoom for big files: an overview strip with Bokeh's RangeTool, and axes that follow.

A real file's map spans gigabytes in a thousand x units: one block is far
less than a pixel.  The plot pans sideways (drag), zooms sideways (Ctrl and
the wheel, or the overview), and a double click shows the whole width
again.  The overview strip above it shows the whole picture small, with
the zoomed part outlined; it appears when a file is too long to show
each block (``page_data.OVERVIEW_FROM``).  While zoomed, ``js/zoom.js`` labels
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

OVERVIEW_PX = 44

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
    relabel = CustomJS(args={}, code=_code(), name="mapviz-relabel")
    plot.x_range.js_on_change("start", relabel)
    plot.x_range.js_on_change("end", relabel)
    return Zoom(overview, relabel)


def fill_zoom(zoom: Zoom, plot: Any, axes: dict[str, Any], settings: dict[str, Any]) -> None:
    """Fit the zoom to a view: how far it may go, the strip, the axes' whole-width ticks.

    ``settings`` is :func:`mapviz.render.page_data.zoom_settings` (the playground's page
    sets the same on its own models).
    """
    plot.x_range.min_interval = settings["min_interval"]
    zoom.overview.visible = settings["overview"]
    zoom.overview.min_border_left = plot.min_border_left
    zoom.relabel.args = {
        "plot": plot,
        "offsets": axes["offsets"],
        "blocks": axes["blocks"],
        **{key: settings[key] for key in RELABEL},
    }


RELABEL = ("span", "pieces", "bs", "full", "char")
"""What of the settings ``js/zoom.js`` reads (besides the plot and its axes)."""


def _code() -> str:
    return resources.files("mapviz.render").joinpath("js", "zoom.js").read_text(encoding="utf-8")
