"""``mapviz compare --html``: one scenario under several kernel models, side by side.

The page, top to bottom:

* a header: the scenario, its own model and filesystem, how many steps differ;
* one control bar (it stays at the top while the page scrolls): first, back,
  play, step, last, a step slider, the speed, and which step is shown;
* the step-by-model table of ``mapviz compare``, each cell telling that
  step's whole story under that model ("ok after 45 s · mapping revoked");
  clicking a row goes to that step, and the current row is highlighted;
* the grid: one cell per model, two to a row (one for a single model), each
  a compact view of that model's run -- the model, the three-layer figure and
  the narration.

Each cell is an ordinary view (:func:`~mapviz.render.document.build_view`)
with its own player, whose own buttons and slider are left out of the page.
The page's controller (:data:`CONTROLLER`, one ``CustomJS``) keeps the page's
step and moves every player to it through the hooks ``player.js`` exposes for
this: ``P.jump(f)`` to go to a step, ``P.forward()`` for one animated step.
Playing steps all the players at once and waits until every one has settled
before the next step, so the cells never drift apart; the players' own keys
are switched off (``P.active = false``) and the controller answers the same
keys: left and right arrows, Space, Home and End.

The URL: ``#step=N`` opens every cell at step N, ``#step=end`` at the last
step, ``#play`` starts playing; every change of step replaces the fragment
(``history.replaceState``), so the address bar always holds a link to what is
shown.

Each model runs the scenario with its notes as they read under it
(:func:`~mapviz.scenario.directives.scenario_under`, SCENARIO.md ``%note``).

The table comes as plain data: the ``mapviz compare --json`` document
(schema 1, documented in :mod:`mapviz.compare`), so the renderer needs
nothing from the front-end-level module that computes it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape
from typing import Any

from bokeh.document import Document
from bokeh.embed import file_html
from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models import CustomJS, InlineStyleSheet, LayoutDOM
from bokeh.models.widgets import Button, Div, RadioButtonGroup, Slider
from bokeh.resources import INLINE

from mapviz.core.models import model_named
from mapviz.core.trace import Step
from mapviz.render.document import ViewModels, build_view
from mapviz.render.panels import page_sheet, text_sheet, theme_css, widget_sheet
from mapviz.render.player import PAUSE_LABEL, PLAY_LABEL, SPEED_LABELS, SPEEDS, player_config
from mapviz.render.theme import Theme, theme_named
from mapviz.scenario.syntax import Scenario
from mapviz.view.storyboard import Storyboard

GRID_COLUMNS = 2
"""Cells side by side: two or four full layouts across one screen only fit compacted."""
CELL_FRAME_PX = 0.5
"""A cell's figure is at most this share of a full view's height (``Theme.max_frame_px``)."""
NARRATION_LINES = 7.5
"""A cell's narration box, in lines of its text: tall enough for a step, a why and a note."""
TABLE_LINES = 11
"""The table shows about this many rows, then scrolls (inside itself, never the page)."""
TABLE_LINES_SHORT = 7
"""... and this many in a window less than 800 px tall, to leave room for the grid."""


def comparison_html(scenario: Scenario, comparison: Mapping[str, Any], theme: str = "light") -> str:
    """One self-contained page showing ``scenario`` under every model of ``comparison``.

    ``comparison`` is the ``mapviz compare --json`` document of ``scenario``
    (``comparison_json``): its ``models`` are the grid's cells and the
    table's columns, its ``steps`` the table's rows.
    """
    style = theme_named(theme)
    models: list[str] = list(comparison["models"])
    boards = [Storyboard.from_scenario(scenario, kernel=m) for m in models]  # notes per model
    compact = _compact(style)
    views: list[ViewModels] = [
        build_view(
            board.view(),
            compact,
            name=f"{scenario.name} · {model}",
            source_text="",
            standalone=False,  # the page's controller reads the URL, for every cell at once
        )
        for model, board in zip(models, boards, strict=True)
    ]
    steps = boards[0].steps  # every model makes one step per scenario step (skipped ones too)
    total = len(steps)
    rows: list[Mapping[str, Any]] = list(comparison["steps"])
    frames = _frames(steps, rows)
    sheet = _sheet(style)
    header = Div(
        text=_header_html(scenario, comparison, total),
        stylesheets=[text_sheet(style), sheet],
        sizing_mode="stretch_width",
        name="mapviz-compare-header",
    )
    table = Div(
        text=_table_html(comparison, frames, scenario.kernel),
        stylesheets=[text_sheet(style), sheet],
        sizing_mode="stretch_width",
        name="mapviz-compare-table",
    )
    bar, controls = _control_bar(style, sheet, total)
    cells: list[LayoutDOM] = [
        _cell(model, model == scenario.kernel, view, style, sheet)
        for model, view in zip(models, views, strict=True)
    ]
    columns = 1 if len(cells) == 1 else GRID_COLUMNS
    while len(cells) % columns:
        cells.append(Div(text="", sizing_mode="stretch_width"))  # the last row's empty place
    grid = column(
        *(
            row(*cells[i : i + columns], sizing_mode="stretch_width", styles={"gap": "12px"})
            for i in range(0, len(cells), columns)
        ),
        sizing_mode="stretch_width",
        name="mapviz-compare-grid",
        styles={"gap": "12px"},
    )
    root = column(
        header,
        bar,
        table,
        grid,
        sizing_mode="stretch_width",
        name="mapviz-compare",
        styles={"padding": "10px 16px 16px", "gap": "10px", "background": style.background},
        stylesheets=[page_sheet(style)],
    )
    settings = player_config(style, lines=[], summary="", standalone=False)
    controller = CustomJS(
        args={
            "bar": controls,
            "plots": [view.plot.plot for view in views],
            "speeds": [view.panels.speed for view in views],
            "table": table,
            "cfg": {
                "total": total,
                "status": [_status_html(steps, rows, frames, f) for f in range(total + 1)],
                "hold": [_hold_ms(boards, f, settings) for f in range(total + 1)],
                "speeds": list(SPEEDS),
                "labels": {"play": PLAY_LABEL, "pause": PAUSE_LABEL},
            },
        },
        code=CONTROLLER,
    )
    for name in ("first", "prev", "play", "next", "last"):
        controls[name].js_on_event("button_click", controller)
    controls["slider"].js_on_change("value", controller)
    controls["speed"].js_on_change("active", controller)
    title = f"mapviz compare: {scenario.title}"
    document = Document(title=title)
    document.add_root(root)
    for view in views:
        document.js_on_event(DocumentReady, view.player)  # each cell's own player first ...
    document.js_on_event(DocumentReady, controller)  # ... then the control that drives them all
    return file_html(document, INLINE, title=title)


def _compact(theme: Theme) -> Theme:
    """``theme`` for a cell: a shorter figure, its legend laid out for half the width."""
    # Not so short that the labels over the bands run together: the talk theme's large
    # type keeps about 16 lines of it (304 px), light and dark half their usual height.
    # Theme.panel_width also tells the legend how wide the figure is (1280 px less the
    # panel): a cell's figure is about half a screen wide.
    frame = max(round(theme.max_frame_px * CELL_FRAME_PX), theme.band_label_size * 16)
    return replace(theme, max_frame_px=frame, panel_width=max(theme.panel_width, 1280 // 2))


def _frames(steps: Sequence[Step], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """The frame (1, 2, ...) that shows each row's step.

    Frames follow the storyboard's steps, rows the scenario's lines; they
    differ only where a run of ``%extent`` lines is one frame (its first line).
    """
    lines = [step.line for step in steps]
    return [max(1, bisect_right(lines, int(r["line"]))) for r in rows]


def _hold_ms(boards: Sequence[Storyboard], frame: int, settings: Mapping[str, Any]) -> float:
    """How long playing rests on ``frame``: as a single view does, for the longest note."""
    notes = [
        board.steps[frame - 1].note or "" if 0 < frame <= len(board.steps) else ""
        for board in boards
    ]
    longest = max((len(note) for note in notes), default=0)
    return float(settings["hold_ms"] + settings["hold_per_char_ms"] * longest)


def _sheet(theme: Theme) -> InlineStyleSheet:
    """The page's own styles (header, status, table, cells) over the theme's properties."""
    accent = theme.colour("blue") if not theme.dark else theme.colour("sky")
    hover = "#23272D" if theme.dark else "#F3F6FA"
    return InlineStyleSheet(
        css=theme_css(theme)
        + _CSS.replace("@ACCENT", accent)
        .replace("@HOVER", hover)
        .replace("@TABLE_LINES", str(TABLE_LINES))
        .replace("@SHORT_LINES", str(TABLE_LINES_SHORT))
    )


_CSS = """
:host { --mv-accent: @ACCENT; }
.bk-clearfix { display: block !important; }  /* BokehJS sets inline-block on the element */
.mv-cmp-title { font-size: var(--mv-title); font-weight: 700; line-height: 1.2; }
.mv-cmp-meta { color: var(--mv-muted); margin-top: 0.15em; }
.mv-cmp-meta b { color: var(--mv-fg); font-weight: 600; }
.mv-cmp-help { margin-top: 0.3em; }
.mv-sr {  /* for a screen reader only */
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip-path: inset(50%);
  white-space: nowrap;
}
.mv-status code { font-weight: 700; }
.mv-status .mv-differs { color: var(--mv-bad); font-weight: 700; }
.mv-cmp-box {
  max-height: calc(@TABLE_LINES * 1.55em);
  overflow: auto;
  border: 1px solid var(--mv-grid);
  border-radius: 4px;
}
@media (max-height: 800px) { .mv-cmp-box { max-height: calc(@SHORT_LINES * 1.55em); } }
.mv-cmp-table { border-collapse: collapse; width: 100%; }
.mv-cmp-table th {
  position: sticky;
  top: 0;
  z-index: 1;
  background: var(--mv-bg);
  text-align: left;
  font-weight: 600;
  padding: 0.2em 0.6em;
  border-bottom: 1px solid var(--mv-grid);
  white-space: nowrap;
}
.mv-cmp-table th small { color: var(--mv-muted); font-weight: 400; }
.mv-cmp-table td { padding: 0.12em 0.6em; vertical-align: top; }
.mv-cmp-table tbody tr { cursor: pointer; }
.mv-cmp-table tbody tr:hover { background: @HOVER; }
.mv-cmp-table tbody tr.mv-now {
  background: var(--mv-current);
  box-shadow: inset 4px 0 0 var(--mv-accent);
}
.mv-cmp-table tbody tr:focus-visible { outline: 2px solid var(--mv-accent); outline-offset: -2px; }
.mv-cmp-table .mv-mark { color: var(--mv-bad); width: 1em; }
.mv-cmp-table .mv-num { color: var(--mv-muted); text-align: right; }
.mv-cmp-table td.mv-cmp-cmd { white-space: nowrap; }
.mv-r-bad { color: var(--mv-bad); font-weight: 700; }
.mv-r-skip { color: var(--mv-muted); }
.mv-cell-head {
  display: flex;
  align-items: baseline;
  gap: 0.6em;
  white-space: nowrap;
  overflow: hidden;
}
.mv-cell-model { font-size: 1.15em; font-weight: 700; }
.mv-cell-own {
  font-size: 0.8em;
  border: 1px solid var(--mv-accent);
  color: var(--mv-accent);
  border-radius: 3px;
  padding: 0 0.35em;
}
.mv-cell-sum {
  color: var(--mv-muted);
  font-size: 0.9em;
  overflow: hidden;
  text-overflow: ellipsis;
}
"""


def _header_html(scenario: Scenario, comparison: Mapping[str, Any], total: int) -> str:
    models: list[str] = comparison["models"]
    differing = int(comparison["differing"])
    e = escape
    return (
        f'<div class="mv-cmp-title">{e(scenario.title)}</div>'
        f'<div class="mv-cmp-meta">scenario <b>{e(scenario.name)}</b> · its own model '
        f"<b>{e(scenario.kernel)}</b> · {e(scenario.fs.describe())} · {total} steps, "
        f"{differing} ending differently (◆)</div>"
        f'<div class="mv-cmp-help">The same script under {len(models)} kernel '
        f"model{'' if len(models) == 1 else 's'}. One control steps them all "
        "(<kbd>←</kbd> <kbd>→</kbd> <kbd>Space</kbd> <kbd>Home</kbd> "
        "<kbd>End</kbd>); click a row of the table to go to that step. The address "
        "(<code>#step=N</code>) always names the step shown.</div>"
    )


def _status_html(
    steps: Sequence[Step], rows: Sequence[Mapping[str, Any]], frames: Sequence[int], frame: int
) -> str:
    """What the control bar says of ``frame``: its number, line and command, and whether
    the models differ there."""
    if frame == 0:
        return (
            f'<div class="mv-status">Start · {len(steps)} steps · press <kbd>→</kbd> or '
            "<b>▶</b> to run the first command</div>"
        )
    step = steps[frame - 1]
    shown = [r for r, f in zip(rows, frames, strict=True) if f == frame]
    mark = (
        ' · <span class="mv-differs">◆ the models differ</span>'
        if any(r["differs"] for r in shown)
        else ""
    )
    # What the cells show, in words, for a screen reader (their narrations are not live).
    told = "; ".join(
        f"{model}: {cell.get('story') or cell['result']}"
        for r in shown[-1:]
        for model, cell in r["results"].items()
    )
    return (
        f'<div class="mv-status">Step {frame} of {len(steps)} · line {step.line} · '
        f'<code>{escape(step.command)}</code>{mark}<span class="mv-sr">. {escape(told)}</span>'
        "</div>"
    )


def _control_bar(
    theme: Theme, sheet: InlineStyleSheet, total: int
) -> tuple[LayoutDOM, dict[str, Any]]:
    """The one control bar, and its widgets by name (the controller's ``bar``)."""
    widget = widget_sheet(theme)
    unit = theme.control_size
    height = round(unit * 2.3)

    def button(label: str, description: str, name: str, width: float, **extra: Any) -> Button:
        return Button(
            label=label,
            name=name,
            width=round(unit * width),
            height=height,
            stylesheets=[widget],
            html_attributes={"title": description, "aria-label": description},
            **extra,
        )

    controls: dict[str, Any] = {
        "first": button("▮◀", "first step (Home)", "mapviz-compare-first", 3.3),
        "prev": button("◀", "step back (←)", "mapviz-compare-prev", 3.3),
        "play": button(
            PLAY_LABEL, "play / pause (Space)", "mapviz-compare-play", 7.5, button_type="primary"
        ),
        "next": button("▶", "step forward (→)", "mapviz-compare-next", 3.3),
        "last": button("▶▮", "last step (End)", "mapviz-compare-last", 3.3),
        "slider": Slider(
            start=0,
            end=max(1, total),
            value=0,
            step=1,
            title="step",
            name="mapviz-compare-slider",
            stylesheets=[widget],
            width=round(unit * 18),
            disabled=total < 1,
        ),
        "speed": RadioButtonGroup(
            labels=list(SPEED_LABELS),
            active=1,
            name="mapviz-compare-speed",
            stylesheets=[widget],
            width=round(unit * 12),
            height=height,
        ),
        "status": Div(
            text="",
            stylesheets=[text_sheet(theme), sheet],
            sizing_mode="stretch_width",
            min_width=round(unit * 10),
            name="mapviz-compare-status",
            html_attributes={"aria-live": "polite", "role": "status"},
        ),
    }
    bar = row(
        *(
            controls[name]
            for name in ("first", "prev", "play", "next", "last", "slider", "speed", "status")
        ),
        sizing_mode="stretch_width",
        name="mapviz-compare-bar",
        styles={
            "position": "sticky",
            "top": "0",
            "z-index": "10",
            "gap": "6px",
            "align-items": "center",
            "flex-wrap": "wrap",  # a narrow window (or the talk theme's type) takes two lines
            "padding": "6px 0",
            "background": theme.background,
            "border-bottom": f"1px solid {theme.grid}",
        },
    )
    return bar, controls


def _cell(
    model: str, own: bool, view: ViewModels, theme: Theme, sheet: InlineStyleSheet
) -> LayoutDOM:
    """One model's compact view: its name and what it is, the narration, the figure."""
    summary = model_named(model).summary
    tag = '<span class="mv-cell-own">the scenario\'s own model</span>' if own else ""
    head = Div(
        text=f'<div class="mv-cell-head"><span class="mv-cell-model">{escape(model)}</span>{tag}'
        f'<span class="mv-cell-sum" title="{escape(summary)}">{escape(summary)}</span></div>',
        stylesheets=[text_sheet(theme), sheet],
        sizing_mode="stretch_width",
        name=f"mapviz-cell-head-{model}",
        styles={"overflow": "hidden", "min-width": "0"},  # a long summary is cut, not widening
    )
    narration = view.panels.narration
    narration.width = None
    narration.sizing_mode = "stretch_width"
    narration.min_height = None
    narration.height = round(theme.font_size * 1.35 * NARRATION_LINES)
    narration.styles = {"overflow-y": "auto"}
    # Not live: four narrations read out at every step would drown each other; the bar's
    # status says every model's story at once.
    narration.html_attributes = {"role": "region", "aria-label": f"{model}: narration"}
    # The legend in the event log's smaller type: four legends share the screen.
    legend = view.plot.legend
    legend.label_text_font_size = f"{theme.log_size}px"
    legend.spacing = 10
    # Narration first, the same height in every cell: the figures of a row line up.
    return column(
        head,
        narration,
        view.plot.plot,
        sizing_mode="stretch_width",
        name=f"mapviz-cell-{model}",
        styles={
            "gap": "4px",
            "padding": "8px 10px",
            "border": f"1px solid {theme.grid}",
            "border-radius": "6px",
            "background": theme.background,
        },
    )


def _table_html(comparison: Mapping[str, Any], frames: Sequence[int], own: str) -> str:
    """The step-by-model table: one row per scenario step, a story per model, as HTML."""
    models: list[str] = comparison["models"]
    head = "".join(
        f"<th>{escape(m)}{' <small>(own)</small>' if m == own else ''}</th>" for m in models
    )
    body = []
    for step, frame in zip(comparison["steps"], frames, strict=True):
        cells = "".join(_story_cell(step["results"][m]) for m in models)
        differs = bool(step["differs"])
        body.append(
            f'<tr data-frame="{frame}" tabindex="0" class="{"differs" if differs else ""}" '
            f'title="go to step {frame}"><td class="mv-mark">{"◆" if differs else ""}</td>'
            f'<td class="mv-num">{frame}</td><td class="mv-num">{int(step["line"])}</td>'
            f'<td class="mv-cmp-cmd"><code>{escape(step["command"])}</code></td>'
            f"<td>{escape(step['expect'] or '')}</td>{cells}</tr>"
        )
    return (
        '<div class="mv-cmp-box"><table class="mv-cmp-table"><thead><tr><th></th><th>step</th>'
        f"<th>line</th><th>command</th><th>%expect</th>{head}</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )


def _story_cell(cell: Mapping[str, Any]) -> str:
    """A table cell: the result (marked when it is not ok), then the rest of the story."""
    result: str = cell["result"]
    story: str = cell.get("story") or result
    rest = story[len(result) :] if story.startswith(result) else f" · {story}"
    kind = "" if result == "ok" else "mv-r-skip" if result == "skipped" else "mv-r-bad"
    shown = f'<span class="{kind}">{escape(result)}</span>' if kind else escape(result)
    why = f' title="{escape(cell["why"])}"' if cell.get("why") else ""
    return f"<td{why}>{shown}{escape(rest)}</td>"


# The page's controller: every trigger (document ready, the bar's buttons, slider and
# speed) runs it; the first run builds it and keeps it on the bar's slider.  Arguments:
# bar (the bar's widgets by name), plots (each cell's figure, which holds its player),
# speeds (each cell's own speed widget), table (the table's Div), cfg.
CONTROLLER = r"""
let c = bar.slider.__mapviz_compare
if (c === undefined) {
  c = bar.slider.__mapviz_compare = (function () {
    const index = cb_context.index
    const S = {frame: 0, playing: false, timer: null, speed: cfg.speeds[1], tries: 0, ready: false}

    function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)) }
    function players() { return plots.map((p) => p.__mapviz_player).filter((p) => p !== undefined) }

    function tableRoot() {
      const view = index.find_one(table)
      return view == null ? null : (view.shadow_el || view.el.shadowRoot)
    }

    // The current step's row(s) marked, and scrolled into the table's own box.
    function markRows(f) {
      const root = tableRoot()
      if (root == null) return
      let first = null
      for (const tr of root.querySelectorAll("tr[data-frame]")) {
        const now = Number(tr.dataset.frame) === f
        tr.classList.toggle("mv-now", now)
        if (now) tr.setAttribute("aria-current", "step"); else tr.removeAttribute("aria-current")
        if (now && first === null) first = tr
      }
      const box = root.querySelector(".mv-cmp-box")
      if (first === null || box === null) return
      const head = root.querySelector("thead")
      const top = box.getBoundingClientRect().top + (head ? head.offsetHeight : 0)
      const r = first.getBoundingClientRect(), bottom = box.getBoundingClientRect().bottom
      if (r.top < top) box.scrollTop -= top - r.top
      else if (r.bottom > bottom) box.scrollTop += r.bottom - bottom
    }

    function show(f, write) {
      S.frame = f
      if (bar.slider.value !== f) bar.slider.value = f  // its callback sees S.frame: no loop
      bar.status.text = cfg.status[f]
      markRows(f)
      if (write && window.location.hash !== "#step=" + f) {
        try { history.replaceState(history.state, "", "#step=" + f) } catch (e) { /* sandboxed */ }
      }
    }

    function seek(f) {
      setPlaying(false)
      f = clamp(f, 0, cfg.total)
      for (const p of players()) p.jump(f)
      show(f, true)
    }

    function forward() {
      if (S.frame >= cfg.total) return
      for (const p of players()) {
        if (p.state().frame !== S.frame) p.jump(S.frame)
        p.forward()
      }
      show(S.frame + 1, true)
    }

    function setPlaying(on) {
      S.playing = on
      if (S.timer !== null) clearTimeout(S.timer)
      S.timer = null
      bar.play.label = on ? cfg.labels.pause : cfg.labels.play
    }

    function togglePlay() {
      if (S.playing) return setPlaying(false)
      if (S.frame >= cfg.total) seek(0)
      setPlaying(true)
      advance()
    }

    // Playing: one step for every cell, then wait until all of them have settled (their
    // animations differ in length) and the narration has been read, then the next.
    function advance() {
      if (!S.playing) return
      if (S.frame >= cfg.total) return setPlaying(false)
      forward()
      rest()
    }

    function rest() {
      if (!S.playing) return
      if (!players().every((p) => p.state().settled)) {
        S.timer = setTimeout(rest, 50)
        return
      }
      if (S.frame >= cfg.total) return setPlaying(false)
      S.timer = setTimeout(advance, cfg.hold[S.frame] / S.speed)
    }

    function fromHash() {
      const m = /[#&]step=(\d+|end)\b/.exec(window.location.hash)
      if (m === null) return null
      return m[1] === "end" ? cfg.total : clamp(Number(m[1]), 0, cfg.total)
    }

    // A text box, a select or the slider's handle (which steps itself) keeps its keys.
    function keyBelongsElsewhere(event) {
      for (const el of event.composedPath()) {
        if (!(el instanceof Element)) continue
        const tag = el.tagName
        if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return true
        if (el.isContentEditable || el.classList.contains("noUi-handle")) return true
      }
      return false
    }

    function onKey(event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
      if (keyBelongsElsewhere(event)) return
      const action = {
        ArrowRight: () => { setPlaying(false); forward() }, ArrowLeft: () => seek(S.frame - 1),
        " ": togglePlay, Home: () => seek(0), End: () => seek(cfg.total),
      }[event.key]
      if (action === undefined) return
      event.preventDefault()
      action()
    }

    function rowOf(event) {
      for (const el of event.composedPath()) {
        if (el instanceof Element && el.dataset !== undefined && el.dataset.frame !== undefined) {
          return Number(el.dataset.frame)
        }
      }
      return null
    }

    // Once every cell's player exists and the table is on the page (retried until then).
    S.init = function () {
      const view = index.find_one(table)
      if ((players().length < plots.length || view == null) && S.tries++ < 200) {
        setTimeout(S.init, 25)
        return
      }
      for (const p of players()) p.active = false  // the keys are this control's
      if (view != null) {
        view.el.addEventListener("click", (event) => {
          const f = rowOf(event)
          if (f !== null) seek(f)
        })
        view.el.addEventListener("keydown", (event) => {
          const f = rowOf(event)
          if (event.key === "Enter" && f !== null) { event.preventDefault(); seek(f) }
        })
      }
      window.addEventListener("keydown", onKey)
      window.addEventListener("hashchange", () => {
        const f = fromHash()
        if (f !== null && f !== S.frame) seek(f)
      })
      S.ready = true
      const start = fromHash()
      setPlaying(false)
      for (const p of players()) p.jump(start !== null ? start : 0)
      show(start !== null ? start : 0, false)
      if (/[#&]play\b/.test(window.location.hash)) togglePlay()
    }

    S.dispatch = function (obj) {
      if (!S.ready) return
      if (obj === bar.slider) { if (obj.value !== S.frame) seek(obj.value); return }
      if (obj === bar.speed) {
        S.speed = cfg.speeds[obj.active]
        for (const w of speeds) w.active = obj.active  // each player keeps its own speed
        return
      }
      const origin = obj != null ? obj.origin : undefined
      if (origin === bar.play) return togglePlay()
      if (origin === bar.next) { setPlaying(false); return forward() }
      if (origin === bar.prev) return seek(S.frame - 1)
      if (origin === bar.first) return seek(0)
      if (origin === bar.last) return seek(cfg.total)
    }

    // A read-only peek for tests (on this document's slider model, never a global).
    S.state = () => ({frame: S.frame, playing: S.playing, total: cfg.total})
    S.init()
    return S
  })()
} else {
  c.dispatch(cb_obj)
}
"""
