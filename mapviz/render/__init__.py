"""Renderers of the view model (frames): Bokeh documents and standalone HTML, SVG/PNG images.

The only package besides the front ends that imports Bokeh (and only in the
modules that draw with it).
"""

THEME_NAMES = ("dark", "light", "talk")
"""The themes (``mapviz.render.theme.THEMES``), named without importing the renderer."""
