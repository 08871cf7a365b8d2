"""The one-file offline HTML: BokehJS inline, the view, its player; no network, no Python.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> scenario = load_scenario("hole-sigbus")
>>> page = standalone_html(Storyboard.from_scenario(scenario).view(), "light",
...                        name="hole-sigbus", source_text=scenario.text)
>>> page.startswith("<!DOCTYPE html>") and "cdn.bokeh.org" not in page
True
"""

from __future__ import annotations

from bokeh.embed import file_html
from bokeh.resources import INLINE

from mapviz.render.document import build_view, view_document
from mapviz.render.theme import theme_named
from mapviz.view.storyboard import View


def standalone_html(view: View, theme: str = "light", *, name: str, source_text: str = "") -> str:
    """The whole page for ``view``: BokehJS inline, the views, the player.

    ``file_html`` escapes the ``<title>``; every other scenario string is
    escaped where it becomes HTML (panels.py in Python, util.js in the page).

    Parameters
    ----------
    view
        The frames, from ``Storyboard.view()``.
    theme
        ``light``, ``dark`` or ``talk``.
    name
        The scenario's name, shown in the header.
    source_text
        The scenario's text, listed under the views with the current line marked.

    Returns
    -------
    str
        One HTML document that needs no network and no Python.
    """
    models = build_view(view, theme_named(theme), name=name, source_text=source_text)
    title = f"mapviz: {view.title}"
    return file_html(view_document(models, title), INLINE, title=title)
