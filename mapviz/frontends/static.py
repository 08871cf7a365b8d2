"""What a notebook needs around a live view: BokehJS in the page, and a picture for later.

``jupyter_bokeh``'s front end calls ``window.Bokeh``, so BokehJS must be in
the page before the first view renders (STACK.md pitfall 3); it is loaded
inline, never from a CDN, so a notebook works offline (pitfall 2).  Only the
two components the views use are sent (about 1.7 MB instead of 8 MB).

A saved notebook opened without a kernel (GitHub, nbviewer, VS Code without
the widget extension) cannot show a widget, so each view's output also
carries a PNG of the step it shows, drawn in Python (no browser).
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

from mapviz.render.png import to_image
from mapviz.render.slide import draw_slide, plan_slides
from mapviz.render.theme import Theme
from mapviz.view.storyboard import View

if TYPE_CHECKING:
    from bokeh.resources import Component

COMPONENTS: list[Component] = ["bokeh", "bokeh-widgets"]
FALLBACK_WIDTH = 1000

_loaded = False


def load_bokehjs(*, force: bool = False) -> bool:
    """Put BokehJS (inline) into the notebook page, once per kernel.

    Called by every view when it is displayed; a page that already holds
    BokehJS keeps its copy (BokehJS checks for itself).  Call it yourself
    (``force=True`` to send it again) if you put a view inside another
    container before any view was displayed.

    Returns
    -------
    bool
        Whether the loader was sent now.
    """
    global _loaded
    if _loaded and not force:
        return False
    _publish_loader()
    _loaded = True
    return True


def _publish_loader() -> None:
    from bokeh.io import output_notebook
    from bokeh.resources import Resources

    output_notebook(Resources(mode="inline", components=list(COMPONENTS)), hide_banner=True)


def fallback_png(view: View, frame: int, theme: Theme) -> str:
    """Frame ``frame`` of ``view`` as a base64 PNG, for a notebook's mime bundle."""
    drawing = draw_slide(view, frame, plan_slides(view, theme))
    buffer = io.BytesIO()
    to_image(drawing, FALLBACK_WIDTH).save(buffer, "PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
