"""The view model: trace -> frames (plain column dicts, no Bokeh)."""

from mapviz.view.frames import STATES, Animation, Band, Frame, Layout
from mapviz.view.storyboard import Storyboard, View
from mapviz.view.text import render_frame

__all__ = ["STATES", "Animation", "Band", "Frame", "Layout", "Storyboard", "View", "render_frame"]
