"""``mapviz compare --html``: the same scenario under several kernel models, on one page.

Each model gets the full view (the same layout as ``mapviz export``, one per
row, the scenario's own model first); their
step sliders are linked, so stepping any one of them steps them all and the
models can be watched ending the same script differently.  Above them, the
step-by-model table of ``mapviz compare`` marks where they differ.
"""

from __future__ import annotations

from html import escape
from itertools import pairwise

from bokeh.document import Document
from bokeh.embed import file_html
from bokeh.events import DocumentReady
from bokeh.layouts import column
from bokeh.models.widgets import Div
from bokeh.resources import INLINE

from mapviz.compare import ModelComparison
from mapviz.render.document import ViewModels, build_view
from mapviz.render.theme import Theme, theme_named
from mapviz.view.storyboard import Storyboard


def comparison_html(comparison: ModelComparison, theme: str = "light") -> str:
    """One self-contained page showing every model of ``comparison`` side by side."""
    style = theme_named(theme)
    scenario = comparison.scenario
    views: list[ViewModels] = [
        build_view(Storyboard.from_scenario(scenario, kernel=model).view(), style,
                   name=f"{scenario.name} · {model}", source_text="", standalone=False)
        for model in comparison.models
    ]
    # One step control for all: moving any slider moves the others (equal values do not
    # re-fire, so the links cannot loop).  The models have the same steps in the same order:
    # under a model other than the scenario's own, impossible commands are "skipped" steps.
    for left, right in pairwise(views):
        left.panels.slider.js_link("value", right.panels.slider, "value")
        right.panels.slider.js_link("value", left.panels.slider, "value")
    # One view per row: two or four full layouts across one screen are too narrow to read.
    root = column(_table(comparison, style), *(v.root for v in views),
                  sizing_mode="stretch_width", styles={"background": style.background})
    title = f"mapviz compare: {scenario.title}"
    document = Document(title=title)
    document.add_root(root)
    for models in views:
        document.js_on_event(DocumentReady, models.player)  # each view's own player state
    return file_html(document, INLINE, title=title)


def _table(comparison: ModelComparison, theme: Theme) -> Div:
    """The step-by-model table, differing rows marked, as escaped HTML."""
    models = comparison.models
    head = "".join(f"<th>{escape(m)}</th>" for m in models)
    rows = []
    for r in comparison.rows:
        cells = "".join(
            f'<td title="{escape(r.cells[m].why or "")}" class="{_cls(r.cells[m].result)}">'
            f"{escape(r.cells[m].result)}</td>" for m in models)
        mark = "◆" if r.differs else ""
        rows.append(f'<tr class="{"differs" if r.differs else ""}"><td>{mark}</td>'
                    f"<td>{r.line}</td><td><code>{escape(r.command)}</code></td>"
                    f"<td>{escape(r.expect or '')}</td>{cells}</tr>")
    scenario = comparison.scenario
    text = (
        f"<style>.mv-cmp{{font:{theme.font_size}px sans-serif;color:{theme.foreground}}}"
        f".mv-cmp td,.mv-cmp th{{padding:2px 10px;text-align:left}}"
        f".mv-cmp tr.differs{{background:{'#3A3526' if theme.name == 'dark' else '#FFF3D6'}}}"
        ".mv-cmp .bad{color:#D55E00;font-weight:bold}</style>"
        f'<div class="mv-cmp"><h2>{escape(scenario.title)}</h2>'
        f"<p>The same scenario under {len(models)} kernel models. Steps marked ◆ end "
        "differently; hover a result for its <i>why</i>. The views below share one step "
        "control.</p>"
        f"<table><tr><th></th><th>line</th><th>command</th><th>%expect</th>{head}</tr>"
        + "".join(rows) + "</table></div>"
    )
    return Div(text=text, sizing_mode="stretch_width")


def _cls(result: str) -> str:
    return "" if result in ("ok", "skipped") else "bad"
