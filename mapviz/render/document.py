"""A view as a Bokeh layout with its player: what every front end shows.

:func:`build_view` makes the models once; :func:`load_view` (re)loads a
view's data into them, which is how the server shows a command typed live.
The standalone HTML, the server app and a notebook all use the same layout
and the same ``CustomJS`` player.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from bokeh.document import Document
from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJS, LayoutDOM

from mapviz.render import schema
from mapviz.render.channel import Channel
from mapviz.render.figure import PlotModels, build_plot, fill_plot
from mapviz.render.panels import Panels, build_panels, page_sheet
from mapviz.render.player import player_code, player_config
from mapviz.render.tables import Tables, build_tables, frame_rows
from mapviz.render.theme import GAP_PX, Theme, narrowest_plot_px
from mapviz.view.storyboard import View

STORES = tuple(schema.STORES)


@dataclass(slots=True)
class ViewModels:
    """The layout, its parts, and the player attached to them."""

    root: LayoutDOM
    plot: PlotModels
    panels: Panels
    stores: dict[str, ColumnDataSource]
    player: CustomJS
    theme: Theme
    channel: Channel | None = None
    """The notebook's step channel (see :mod:`mapviz.render.channel`), if it has one."""


def build_view(
    view: View,
    theme: Theme,
    *,
    name: str,
    source_text: str = "",
    standalone: bool = True,
    command: LayoutDOM | None = None,
    channel: Channel | None = None,
) -> ViewModels:
    """Models showing ``view`` in ``theme``, opening on step 0.

    Parameters
    ----------
    view, theme
        What to show, and how.
    name
        The scenario's name (shown in the header).
    source_text
        The scenario text, listed under the plot with the current step's line marked.
    standalone
        Let the page's URL pick a step (``#step=5``) or start playing (``#play``).
    command
        The server's command box, placed between the header and the plot.
    channel
        The notebook widget's step channel: the kernel asks the player for a
        step through it, and the player reports the step it shows.

    Returns
    -------
    ViewModels
        The layout (``root``) and its parts; add ``player`` to the document's
        ``DocumentReady`` (see :func:`view_document`).
    """
    tables = build_tables(view, theme)
    plot = build_plot(view, theme)
    panels = build_panels(
        theme, title=view.title, kernel=view.kernel, fs=view.fs, name=name, frames=len(view.frames)
    )
    # The big tables are read by the player, never drawn, and only Python changes them.
    stores = {key: ColumnDataSource(data={}, name=f"mapviz-{key}") for key in STORES}
    # A notebook view can switch its kernel model later: its listing does not name one.
    model = f" · kernel model {view.kernel}" if channel is None else ""
    summary = f"Scenario {name}{model} · {view.fs}"
    lines = source_text.split("\n") if source_text else []
    if lines and lines[-1] == "":
        lines.pop()
    listing = listed_lines(lines)
    models: dict[str, Any] = {
        "plot": plot.plot,
        "base": plot.base,
        "links": plot.links,
        "badges": plot.badges,
        "rquads": plot.rquads,
        "hover": plot.hover,
        "hatches": plot.hatches,
        **plot.overlays,
        **stores,
        "slider": panels.slider,
        "speed": panels.speed,
        "play": panels.play,
        "next": panels.next,
        "prev": panels.prev,
        "first": panels.first,
        "last": panels.last,
        "narration": panels.narration,
        "log": panels.log,
        "lanes": plot.axes["lanes"],
        "source": panels.source if lines else None,
        "request": channel.request if channel is not None else None,
        "status": channel.status if channel is not None else None,
    }
    player = CustomJS(
        args={
            "m": models,
            "cfg": player_config(theme, lines=listing, summary=summary, standalone=standalone),
        },
        code=player_code(),
    )
    buttons = (panels.play, panels.next, panels.prev, panels.first, panels.last)
    controls = row(panels.first, panels.prev, panels.play, panels.next, panels.last)
    side_parts = [controls, panels.slider, panels.speed, panels.hint, panels.narration, panels.log]
    side = column(*side_parts, width=theme.panel_width, styles={"gap": "6px"})
    # A flex row that wraps: the panel goes below once the plot would get less than this
    # (min(): never wider than what there is, so a narrow page does not scroll sideways).
    least = narrowest_plot_px(theme)
    canvas = column(
        plot.zoom.overview,
        plot.plot,
        sizing_mode="stretch_width",
        styles={"min-width": f"min({least}px, 100%)", "flex": "1 1 0"},
    )
    main = row(
        canvas,
        side,
        sizing_mode="stretch_width",
        styles={"gap": f"{GAP_PX}px", "flex-wrap": "wrap"},
    )
    parts = [
        panels.header,
        *([command] if command is not None else []),
        main,
        *([panels.source] if lines else []),
    ]
    root = column(
        *parts,
        sizing_mode="stretch_width",
        name="mapviz-root",
        styles={"padding": "10px 16px 16px", "gap": "8px", "background": theme.background},
        stylesheets=[page_sheet(theme)],
    )
    models["root"] = root
    for button in buttons:
        button.js_on_event("button_click", player)
    panels.slider.js_on_change("value", player)
    panels.speed.js_on_change("active", player)
    stores["story"].js_on_change("data", player)
    plot.base.selected.js_on_change("indices", player)
    plot.plot.js_on_event("mouseleave", player)
    # Zoomed, panned or resized: which owner names fit their blocks changes.
    plot.plot.js_on_change("inner_width", player)
    plot.plot.x_range.js_on_change("start", player)
    plot.plot.x_range.js_on_change("end", player)
    plot.hover.callback = player
    if channel is not None:
        channel.request.js_on_change("data", player)
    result = ViewModels(root, plot, panels, stores, player, theme, channel)
    load_view(result, view, tables=tables)
    _first_frame(result, tables)
    return result


def load_view(models: ViewModels, view: View, *, tables: Tables | None = None) -> None:
    """Load ``view`` into the models: layout, stores, and step 0 as the page opens.

    The story table is assigned last: the player listens to it, and by then
    every table it reads is in place.
    """
    theme = models.theme
    tables = tables or build_tables(view, theme)
    fill_plot(models.plot, view, tables, theme)
    stores = models.stores
    stores["store_q"].data = tables.quads
    stores["store_l"].data = tables.links
    stores["store_p"].data = tables.points
    stores["files"].data = tables.files
    stores["store_g"].data = tables.badges
    stores["beats"].data = tables.beats
    stores["bands"].data = tables.bands
    stores["sections"].data = tables.sections
    panels = models.panels
    panels.slider.end = max(1, len(view.frames) - 1)
    panels.slider.disabled = len(view.frames) <= 1
    stores["story"].data = tables.story


def _first_frame(models: ViewModels, tables: Tables) -> None:
    """Frame 0 drawn from Python too, so the page is right before any JavaScript runs."""
    if not tables.story["frame"]:
        return
    inks = models.theme.inks()
    # As numpy arrays, sent compactly: frame 0 of `fiemap --html` is a whole real file.
    rows = np.asarray(frame_rows(tables, 0), dtype=np.int64)
    quads = tables.quads
    base: dict[str, Any] = {}
    for name in schema.DRAWN["base"]:
        if name == "edge":
            base[name] = [inks[i] for i in quads["ei"][rows]]
        elif name == "tip":
            base[name] = [quads["tip"][i] for i in rows]
        else:
            base[name] = quads[name][rows]
    models.plot.base.data = base
    groups: list[list[int]] = [[] for _ in models.plot.hatches]
    for role in ("hg", "mg"):
        for i, group in zip(rows, quads[role][rows], strict=True):
            if group >= 0:
                groups[group].append(int(i))
    for source, members in zip(models.plot.hatches, groups, strict=True):
        picked = np.asarray(sorted(members), dtype=np.int64)
        source.data = {name: quads[name][picked] for name in ("x0", "x1", "y0", "y1")}
    # Frame 0 is the start: a scenario has drawn nothing that connects yet.
    models.plot.links.data = {name: [] for name in schema.DRAWN["links"]}
    steps = len(tables.story["frame"]) - 1
    models.panels.narration.text = (
        f'<div class="mv-stepno">Start · {steps} steps</div>'
        '<div class="mv-note">Press <kbd>→</kbd> or <b>▶</b> to run the first command, '
        "<kbd>Space</kbd> to play them all.</div>"
    )
    models.panels.log.text = (
        '<div class="mv-log-title">Event log</div><div class="mv-log-empty">No step yet.</div>'
    )


LISTED_RUN = 3
"""Lines of a long run of ``%extent`` lines the scenario listing shows at each end."""


def listed_lines(lines: list[str]) -> list[str | int]:
    """The scenario's lines as the page lists them: a long run of ``%extent`` lines (a
    real file's map) keeps its first and last few, and a count stands for the rest.

    >>> listed = listed_lines(["open -f f", *[f"%extent {n}k 4k" for n in range(0, 40, 4)]])
    >>> listed[:4], listed[4], listed[5:]
    (['open -f f', '%extent 0k 4k', '%extent 4k 4k', '%extent 8k 4k'], 4, \
['%extent 28k 4k', '%extent 32k 4k', '%extent 36k 4k'])
    """
    out: list[str | int] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > 2 * LISTED_RUN + 1:
            out.extend([*run[:LISTED_RUN], len(run) - 2 * LISTED_RUN, *run[-LISTED_RUN:]])
        else:
            out.extend(run)
        run.clear()

    for line in lines:
        if line.lstrip().startswith("%extent"):
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return out


def view_document(models: ViewModels, title: str) -> Document:
    """A document holding the view, whose player starts when the page is ready."""
    doc = Document()
    doc.title = title
    doc.add_root(models.root)
    doc.js_on_event(DocumentReady, models.player)
    return doc
