"""The widgets around the figure: header, controls, narration, event log, scenario text.

Text that comes from a scenario is escaped before it reaches a ``Div``
(which renders HTML); the player escapes what it writes later in the same
way (``esc`` in ``js/util.js``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bokeh.models import GlobalInlineStyleSheet, InlineStyleSheet
from bokeh.models.widgets import Button, Div, RadioButtonGroup, Slider

from mapviz.render.page_data import header_html as header_html  # (re-exported)
from mapviz.render.player import PLAY_LABEL, SPEED_LABELS
from mapviz.render.theme import Theme


@dataclass(slots=True)
class Panels:
    """Every widget beside the plot (the player mutates all but the header)."""

    header: Div
    first: Button
    prev: Button
    play: Button
    next: Button
    last: Button
    speed: RadioButtonGroup
    slider: Slider
    hint: Div
    narration: Div
    log: Div
    source: Div


@functools.cache
def _panel_css() -> str:
    return resources.files("mapviz.render").joinpath("css", "panel.css").read_text("utf-8")


def theme_css(theme: Theme) -> str:
    """The theme as CSS custom properties on each widget's shadow host."""
    current = "#2A3340" if theme.dark else "#FFF3C4"
    ok_bg, ok_fg = ("#1F4D3A", "#CFF5E3") if theme.dark else ("#D6F0E4", "#0B5237")
    return (
        f":host {{ --mv-fg: {theme.foreground}; --mv-bg: {theme.background}; "
        f"--mv-muted: {theme.muted}; --mv-grid: {theme.grid}; "
        f"--mv-bad: {theme.colour('vermillion')}; --mv-pin: {theme.colour('green')}; "
        f"--mv-ok-bg: {ok_bg}; --mv-ok-fg: {ok_fg}; --mv-current: {current}; "
        f"--mv-font: {theme.font}; --mv-mono: {theme.mono}; "
        f"--mv-size: {theme.font_size}px; --mv-title: {theme.title_size}px; }}\n"
    )


def text_sheet(theme: Theme) -> InlineStyleSheet:
    """Styles for a ``Div`` of mapviz text (narration, log, header) in ``theme``."""
    return InlineStyleSheet(css=theme_css(theme) + _panel_css())


def widget_sheet(theme: Theme) -> InlineStyleSheet:
    """Buttons and the slider in the theme's colours (BokehJS styles them light by default)."""
    raised = "#262A30" if theme.dark else "#F4F4F4"
    active = theme.colour("blue")
    size = theme.control_size
    return InlineStyleSheet(
        css=f"""
:host {{ --mv-fg: {theme.foreground}; font-family: {theme.font}; }}
.bk-btn {{ background: {raised}; color: {theme.foreground}; border-color: {theme.grid};
  font-size: {size}px; font-family: {theme.font}; padding: 4px 8px; }}
.bk-btn:hover {{ border-color: {theme.muted}; }}
.bk-btn.bk-active, .bk-btn:active {{ background: {active}; color: #FFFFFF; border-color: {active};
  box-shadow: none; }}
.bk-btn:focus-visible {{ outline: 2px solid {theme.colour("orange")}; outline-offset: 1px; }}
.bk-slider-title, .bk-slider-value {{ color: {theme.foreground}; font-size: {size}px; }}
.noUi-connect {{ background: {active}; }}
.noUi-target {{ background: {raised}; border-color: {theme.grid}; }}
"""
    )


def page_sheet(theme: Theme) -> GlobalInlineStyleSheet:
    """The page itself (body background) in the theme's colours."""
    return GlobalInlineStyleSheet(
        css=f"""
html, body {{ background: {theme.background}; color: {theme.foreground}; margin: 0; }}
@media (prefers-reduced-motion: reduce) {{ * {{ transition: none !important; }} }}
"""
    )


def build_panels(
    theme: Theme, *, title: str, kernel: str, fs: str, name: str, frames: int
) -> Panels:
    """The widgets, sized for ``theme``; ``frames`` counts the start and every step."""
    text = text_sheet(theme)
    widget = widget_sheet(theme)
    width = theme.panel_width
    unit = theme.control_size
    button: dict[str, Any] = dict(stylesheets=[widget], syncable=False, height=round(unit * 2.3))

    def small(label: str, description: str, name: str) -> Button:
        return Button(
            label=label,
            name=name,
            width=round(unit * 3.3),
            html_attributes={"title": description, "aria-label": description},
            **button,
        )

    first = small("▮◀", "first step (Home)", "mapviz-first")
    prev = small("◀", "step back (←)", "mapviz-prev")
    play = Button(
        label=PLAY_LABEL,
        name="mapviz-play",
        html_attributes={"title": "play / pause (Space)"},
        button_type="primary",
        width=round(unit * 7.5),
        **button,
    )
    nxt = small("▶", "step forward (→)", "mapviz-next")
    last = small("▶▮", "last step (End)", "mapviz-last")
    speed = RadioButtonGroup(
        labels=list(SPEED_LABELS),
        active=1,
        name="mapviz-speed",
        stylesheets=[widget],
        syncable=False,
        width=round(unit * 12),
    )
    slider = Slider(
        start=0,
        end=max(1, frames - 1),
        value=0,
        step=1,
        title="step",
        name="mapviz-slider",
        stylesheets=[widget],
        syncable=False,
        width=width - 10,
        disabled=frames <= 1,
    )
    header = Div(
        text=header_html(title, kernel, fs, name),
        stylesheets=[text],
        sizing_mode="stretch_width",
        name="mapviz-header",
    )
    hint = Div(
        text='<div class="mv-hint"><kbd>←</kbd> <kbd>→</kbd> step · <kbd>Space</kbd> '
        "play · <kbd>Home</kbd> <kbd>End</kbd> · hover a block for its "
        "counterparts</div>",
        stylesheets=[text],
        width=width,
        styles={"font-size": f"{theme.log_size}px"},
    )
    # aria-live: a screen reader reads each step's narration as it changes.
    narration = Div(
        text="",
        stylesheets=[text],
        width=width,
        name="mapviz-narration",
        syncable=False,
        min_height=round(theme.font_size * 9),
        html_attributes={"aria-live": "polite", "role": "status"},
    )
    log = Div(
        text="",
        stylesheets=[text],
        width=width,
        name="mapviz-log",
        syncable=False,
        height=round(theme.log_size * 16),
        styles={
            "overflow-y": "auto",
            "border-top": f"1px solid {theme.grid}",
            "font-size": f"{theme.log_size}px",
        },
    )
    source = Div(
        text="",
        stylesheets=[text],
        sizing_mode="stretch_width",
        name="mapviz-source",
        syncable=False,
    )
    return Panels(header, first, prev, play, nxt, last, speed, slider, hint, narration, log, source)
