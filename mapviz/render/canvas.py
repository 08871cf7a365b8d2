"""A bare Bokeh figure in the theme's colours: no tools shown, no axes of Bokeh's own.

The views' plot and the overview strip above it both start from this; mapviz
adds its own axes (figure.py) and tools (zoom.py).
"""

from __future__ import annotations

from typing import Any

from bokeh.plotting import figure

from mapviz.render.theme import Theme


def bare_figure(theme: Theme, **options: Any) -> Any:
    """A canvas figure with no toolbar, no axes and no outline unless ``options`` say so.

    Typed Any: bokeh's stubs lag its glyph methods (Text's background_fill_* is missing).
    """
    defaults: dict[str, Any] = dict(
        sizing_mode="stretch_width",
        output_backend="canvas",
        tools="",
        toolbar_location=None,
        x_axis_type=None,
        y_axis_type=None,
        background_fill_color=theme.background,
        border_fill_color=theme.background,
        outline_line_color=None,
    )
    return figure(**{**defaults, **options})
