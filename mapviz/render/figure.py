"""The three-layer figure: bands, glyphs, connectors, overlays, axes and legend.

One figure holds every band, so connectors between layers are real glyphs
(STACK.md pitfall 11) and one canvas is painted.  Renderers, bottom to top:

* *decoration*: a track per band, dotted offset guides, the device's breaks;
* *base*: connectors (patches), glyphs (quads: state colour plus state
  hatch), marks (pinned / shared hatch over the same quads), badges;
* *overlay* (``level="overlay"``, repainted alone while animating):
  hover highlights and the animation sources.

The player mutates base and overlay sources, so they are ``syncable=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bokeh.core.properties import value
from bokeh.models import (
    ColumnDataSource,
    FixedTicker,
    HoverTool,
    LinearAxis,
    LinearColorMapper,
    Range1d,
    TapTool,
)
from bokeh.models.annotations import Legend, LegendItem
from bokeh.models.renderers import GlyphRenderer

from mapviz.render.canvas import bare_figure
from mapviz.render.hatching import hatch_groups
from mapviz.render.page_data import MARK_LABELS, frame_px, plot_layout, y_span
from mapviz.render.schema import DRAWN
from mapviz.render.tables import Tables
from mapviz.render.theme import (
    LEGEND_LABELS,
    PROTECTION_STYLE,
    SHARED_HATCH,
    Theme,
)
from mapviz.render.zoom import Zoom, add_zoom, fill_zoom
from mapviz.view.frames import STATES
from mapviz.view.storyboard import View

TOOLTIP = '<div style="max-width: 360px; white-space: normal; font-size: 13px">@tip</div>'


@dataclass(slots=True)
class PlotModels:
    """The figure and every source the player or a server update touches."""

    plot: Any
    base: ColumnDataSource
    links: ColumnDataSource
    badges: ColumnDataSource
    overlays: dict[str, ColumnDataSource]  # ovq, ovp, ovl, ovt, hlq, hll
    decoration: dict[str, ColumnDataSource]  # guides, breaks
    rquads: GlyphRenderer[Any]
    rlinks: GlyphRenderer[Any]
    hover: HoverTool
    axes: dict[str, LinearAxis]  # offsets (file offsets, above), blocks (device), lanes (left)
    legend: Legend
    legend_items: dict[str, LegendItem]  # one per state, plus "shared" and "pinned"
    hatches: list[ColumnDataSource]  # one per hatching.hatch_groups(theme)
    zoom: Zoom  # the overview strip and the axes' relabelling while zoomed


def _source(
    data: dict[str, Any], *, player: bool = True, name: str | None = None
) -> ColumnDataSource:
    # syncable=False: what the player changes must not be echoed back (STACK.md §5, pitfall 6).
    return ColumnDataSource(data=data, syncable=not player, name=name)


def _empty(*names: str) -> dict[str, list[Any]]:
    return {name: [] for name in names}


def build_plot(view: View, theme: Theme) -> PlotModels:
    """The figure for ``view`` in ``theme``, with empty sources.

    Call :func:`fill_plot` to load a view's layout into it (and again for a
    later view of the same storyboard, as the server does).
    """
    bottom, top = y_span(view)
    plot = bare_figure(
        theme,
        name="mapviz-plot",
        x_range=Range1d(start=-6, end=1006),
        y_range=Range1d(start=bottom, end=top),
        frame_height=frame_px(top - bottom, theme),
        min_border_left=8,
        min_border_right=14,
        min_border_top=6,
        min_border_bottom=4,
    )
    decoration = {
        "guides": _source(_empty("x", "y0", "y1"), player=False, name="mapviz-guides"),
        "breaks": _source(
            _empty("x0", "x1", "y0", "y1", "tip"), player=False, name="mapviz-breaks"
        ),
    }
    plot.segment(
        "x",
        "y0",
        "x",
        "y1",
        source=decoration["guides"],
        line_color=theme.grid,
        line_dash="dotted",
        line_width=1,
        level="underlay",
    )
    links = _source(_empty(*DRAWN["links"]), name="mapviz-links")
    rlinks = plot.patches(
        "xs",
        "ys",
        source=links,
        fill_color="fill",
        fill_alpha="fa",
        line_color="fill",
        line_alpha="la",
        line_width=1,
    )
    base = _source(_empty(*DRAWN["base"]), name="mapviz-base")
    palette = theme.palette()
    colours = LinearColorMapper(palette=palette, low=-0.5, high=len(palette) - 0.5)
    rquads = plot.quad(
        "x0",
        "x1",
        "y1",
        "y0",
        source=base,
        fill_alpha="fa",
        fill_color={"field": "state", "transform": colours},
        line_color="edge",
        line_width="ew",
    )
    # Taps select without fading everything else: the highlight shows the selection.
    rquads.selection_glyph = None
    rquads.nonselection_glyph = None
    hatches = []
    for index, group in enumerate(hatch_groups(theme)):
        source = _source(_empty("x0", "x1", "y0", "y1"), name=f"mapviz-hatch-{index}")
        plot.quad(
            "x0",
            "x1",
            "y1",
            "y0",
            source=source,
            fill_alpha=0,
            line_color=None,
            hatch_pattern=group.pattern,
            hatch_color=group.ink,
            hatch_alpha=group.alpha,
            hatch_scale=group.scale,
            hatch_weight=theme.line_width * (1.5 if group.mark else 1.0),
        )
        hatches.append(source)
    plot.quad(
        "x0",
        "x1",
        "y1",
        "y0",
        source=decoration["breaks"],
        fill_color=theme.background,
        hatch_pattern="/",
        hatch_color=theme.muted,
        hatch_alpha=0.7,
        hatch_scale=6.0,
        line_color=None,
    )
    badges = _source(_empty(*DRAWN["badges"]), name="mapviz-badges")
    plot.text(
        "x",
        "y",
        "text",
        source=badges,
        text_align="align",
        text_baseline="baseline",
        text_font=value(theme.font),
        text_font_size=f"{theme.band_label_size}px",
        text_font_style="bold",
        text_color="colour",
        background_fill_color="bg",
        background_fill_alpha="ba",
        padding=2,
        border_radius=3,
    )
    overlays = {
        "hll": _source(name="mapviz-hll", data=_empty("xs", "ys")),
        "hlq": _source(name="mapviz-hlq", data=_empty("x0", "x1", "y0", "y1")),
        "ovp": _source(name="mapviz-ovp", data=_empty("xs", "ys", "fill", "fa")),
        "ovq": _source(
            name="mapviz-ovq", data=_empty("x0", "x1", "y0", "y1", "fill", "fa", "line", "lw", "la")
        ),
        "ovl": _source(name="mapviz-ovl", data=_empty("xs", "ys", "color", "width", "alpha")),
        "ovt": _source(
            name="mapviz-ovt",
            data=_empty("x", "y", "text", "color", "bg", "ba", "align", "size", "alpha"),
        ),
    }
    plot.patches(
        "xs",
        "ys",
        source=overlays["hll"],
        fill_color=theme.foreground,
        fill_alpha=0.12,
        line_color=theme.foreground,
        line_alpha=0.45,
        level="overlay",
    )
    plot.quad(
        "x0",
        "x1",
        "y1",
        "y0",
        source=overlays["hlq"],
        fill_alpha=0,
        line_color=theme.foreground,
        line_width=theme.line_width * 3,
        level="overlay",
    )
    plot.patches(
        "xs",
        "ys",
        source=overlays["ovp"],
        fill_color="fill",
        fill_alpha="fa",
        line_color=None,
        level="overlay",
    )
    plot.quad(
        "x0",
        "x1",
        "y1",
        "y0",
        source=overlays["ovq"],
        fill_color="fill",
        fill_alpha="fa",
        line_color="line",
        line_width="lw",
        line_alpha="la",
        level="overlay",
    )
    plot.multi_line(
        "xs",
        "ys",
        source=overlays["ovl"],
        line_color="color",
        line_width="width",
        line_alpha="alpha",
        line_cap="round",
        line_join="round",
        level="overlay",
    )
    plot.text(
        "x",
        "y",
        "text",
        source=overlays["ovt"],
        text_color="color",
        text_alpha="alpha",
        text_align="align",
        text_baseline="middle",
        text_font=value(theme.font),
        text_font_size="size",
        text_font_style="bold",
        background_fill_color="bg",
        background_fill_alpha="ba",
        padding=3,
        border_radius=4,
        level="overlay",
    )
    hover = HoverTool(
        renderers=[rquads, rlinks],
        tooltips=TOOLTIP,
        point_policy="follow_mouse",
        attachment="below",
        syncable=False,
    )
    plot.add_tools(hover, TapTool(renderers=[rquads]))
    axes = _axes(plot, theme)
    legend, legend_items = _legend(plot, theme)
    zoom = add_zoom(plot, base, colours, theme)
    return PlotModels(
        plot,
        base,
        links,
        badges,
        overlays,
        decoration,
        rquads,
        rlinks,
        hover,
        axes,
        legend,
        legend_items,
        hatches,
        zoom,
    )


def _axes(plot: Any, theme: Theme) -> dict[str, LinearAxis]:
    # dict[str, Any]: bokeh's stubs type LinearAxis.ticker as BasicTicker, not any Ticker.
    style: dict[str, Any] = dict(
        major_label_text_font=theme.font,
        major_label_text_color=theme.foreground,
        axis_label_text_font=theme.font,
        axis_label_text_color=theme.muted,
        axis_label_text_font_style="normal",
        axis_label_standoff=4,
        major_label_text_font_size=f"{theme.band_label_size}px",
        axis_label_text_font_size=f"{theme.band_label_size}px",
    )
    style["ticker"] = FixedTicker(ticks=[0])  # replaced by fill_plot
    # The two scales, above (file offsets) and below (device blocks): short ticks, no line.
    scale: dict[str, Any] = dict(
        axis_line_color=None,
        major_tick_line_color=theme.grid,
        minor_tick_line_color=None,
        major_tick_out=4,
        major_tick_in=0,
        **style,
    )
    offsets = LinearAxis(name="mapviz-axis-offsets", axis_label="file offset", **scale)
    blocks = LinearAxis(name="mapviz-axis-blocks", axis_label="device block", **scale)
    # The lanes' names, beside them: the player blanks a lane's name while the lane does not
    # exist (a file not yet opened, a mapping not yet made).
    lanes = LinearAxis(
        name="mapviz-axis-lanes",
        axis_line_color=None,
        major_tick_line_color=None,
        minor_tick_line_color=None,
        major_label_standoff=8,
        **style,
    )
    plot.add_layout(offsets, "above")
    plot.add_layout(blocks, "below")
    plot.add_layout(lanes, "left")
    return {"offsets": offsets, "blocks": blocks, "lanes": lanes}


def fill_plot(models: PlotModels, view: View, tables: Tables, theme: Theme) -> None:
    """Load ``view``'s layout into the figure: ranges, guides, axes, legend, zoom.

    What to set is :func:`~mapviz.render.page_data.plot_layout`, which the
    playground's page sets on its own models the same way (``site/js/play.js``).
    """
    layout = plot_layout(view, tables, theme)
    plot = models.plot
    plot.y_range.start, plot.y_range.end = layout["y_range"]
    plot.frame_height = layout["frame_height"]
    plot.min_border_left = layout["min_border_left"]
    models.decoration["guides"].data = layout["guides"]
    models.decoration["breaks"].data = layout["breaks"]
    for axis, ticks in layout["ticks"].items():
        _ticks(models.axes[axis], dict(ticks))
    fill_zoom(models.zoom, plot, models.axes, layout["zoom"])
    legend, every = models.legend, models.legend_items
    entries = layout["legend"]
    for key, label in zip(entries["keys"], entries["labels"], strict=True):
        if key in entries["owners"]:
            every[key].label = value(label)
    legend.items = [every[key] for key in entries["keys"]]
    legend.visible = bool(entries["keys"])
    if entries["keys"]:
        legend.nrows = entries["nrows"]


def _ticks(axis: Any, labels: dict[float, str]) -> None:
    axis.ticker = FixedTicker(ticks=list(labels), minor_ticks=[])
    axis.major_label_overrides = dict(labels)


def _legend(plot: Any, theme: Theme) -> tuple[Legend, dict[str, LegendItem]]:
    """A legend with an item for every state, protection and shared; fill_plot picks some.

    Each state shows its colour *and* its hatch; each protection its hatch and
    its outline.  The items are made once (a server view may show new states
    later) and :func:`fill_plot` keeps those the view uses.  Each item is named
    ``mapviz-legend-KEY``, so a page can pick them too.
    """
    items = {}
    for state in STATES:
        fill = theme.state_colour(state)
        edge = theme.foreground if state == "asked" else theme.background
        items[state] = _item(
            plot,
            LEGEND_LABELS[state],
            fill,
            theme.state_hatch(state),
            theme.ink_on(fill),
            edge,
            1.0,
        )
    blue = theme.state_colour("written")
    items["shared"] = _item(
        plot, MARK_LABELS["shared"], blue, SHARED_HATCH, theme.ink_on(blue), theme.background, 1.0
    )
    for protection, (_, hatch, words) in PROTECTION_STYLE.items():
        fill = theme.state_colour("mapping" if protection == "direct" else "written")
        items[protection] = _item(
            plot,
            words,
            fill,
            hatch,
            theme.ink_on(fill),
            theme.protection_colour(protection),
            theme.line_width * 3,
        )
    for key, item in items.items():
        item.name = f"mapviz-legend-{key}"
    options: dict[str, Any] = dict(  # dict[str, Any]: bokeh's stubs mistype Legend.padding
        items=[],
        orientation="horizontal",
        location="center",
        click_policy="none",
        label_text_font=theme.font,
        label_text_font_size=f"{theme.control_size}px",
        label_text_color=theme.foreground,
        background_fill_color=theme.background,
        border_line_color=None,
        glyph_width=round(theme.control_size * 2.2),
        glyph_height=round(theme.control_size * 1.3),
        spacing=14,
        padding=2,
        margin=4,
        label_standoff=6,
        name="mapviz-legend",
    )
    legend = Legend(**options)
    # Every item is in the document, shown or not: a page can then pick the items a new
    # view shows (the playground's apply.js), as fill_plot does here.
    legend.tags = list(items.values())
    plot.add_layout(legend, "below")
    return legend, items


def _item(
    plot: Any, label: str, fill: str, hatch: str, ink: str, edge: str, width: float
) -> LegendItem:
    # The legend draws a swatch only for a renderer with data: one quad, off the x range,
    # Far outside any x range the plot shows (lane names use x < 0).
    renderer = plot.quad(
        left=[-5000.0],
        right=[-4990.0],
        top=[0.0],
        bottom=[-1.0],
        fill_color=fill,
        hatch_pattern=hatch or None,
        hatch_color=ink,
        hatch_alpha=0.8,
        hatch_scale=7.0,
        line_color=edge,
        line_width=width,
    )
    return LegendItem(label=label, renderers=[renderer])
