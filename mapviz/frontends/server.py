"""The views as a Bokeh server app, with a box to type the next command live.

Each browser session gets its own storyboard.  A typed line is parsed with
:func:`mapviz.scenario.parse_line` and applied; the new frames are loaded
into the same models and the player animates the new step.  A line the
simulator cannot take (:class:`~mapviz.errors.ScenarioError`) is shown as a
message and changes nothing.  The kernel model can be switched: the
scenario and everything typed so far are replayed under the new one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.document import Document
from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models.widgets import Button, Div, Select, TextInput
from bokeh.server.server import Server

from mapviz.errors import ScenarioError
from mapviz.render.document import ViewModels, build_view, load_view
from mapviz.render.panels import text_sheet, widget_sheet
from mapviz.render.theme import Theme, theme_named
from mapviz.scenario import KERNEL_MODELS, Scenario, load_scenario, parse_line
from mapviz.scenario.syntax import Item
from mapviz.view import Storyboard

LOOPBACK = ("127.0.0.1", "localhost", "::1")
ANY = ("0.0.0.0", "::")


@dataclass(slots=True)
class Session:
    """One browser tab: its scenario, kernel model, typed items and models."""

    scenario: Scenario
    kernel: str
    theme: Theme
    typed: list[Item] = field(default_factory=list)
    board: Storyboard | None = None
    models: ViewModels | None = None
    next_line: int = 0

    def build(self) -> Storyboard:
        """The scenario plus everything typed, run under the current kernel model."""
        board = Storyboard.from_scenario(self.scenario, self.kernel)
        for item in self.typed:
            try:
                board.apply(item)
            except ScenarioError:
                continue  # fine under the old model, impossible under this one: leave it out
        return board


def make_document(doc: Document, scenario: Scenario, theme: str = "light") -> None:
    """Fill ``doc`` with the views of ``scenario`` and the live command box."""
    session = Session(scenario, scenario.kernel, theme_named(theme))
    session.board = session.build()
    session.next_line = scenario.text.count("\n") + 2
    sheet = widget_sheet(session.theme)
    box = TextInput(
        placeholder="next command, e.g. pwrite 0 4k · mwrite 64k 4k · %proc other",
        title="Type an xfs_io command (Enter runs it)",
        name="mapviz-command",
        sizing_mode="stretch_width",
        stylesheets=[sheet],
    )
    run = Button(
        label="Run", name="mapviz-run", button_type="primary", width=80, stylesheets=[sheet]
    )
    models_list: list[str | tuple[Any, str]] = list(KERNEL_MODELS)
    kernel = Select(
        title="kernel model",
        value=session.kernel,
        options=models_list,
        name="mapviz-kernel",
        width=190,
        stylesheets=[sheet],
    )
    message = Div(
        text="",
        name="mapviz-message",
        sizing_mode="stretch_width",
        stylesheets=[text_sheet(session.theme)],
    )
    command = column(
        row(
            box,
            run,
            kernel,
            sizing_mode="stretch_width",
            styles={"align-items": "flex-end", "gap": "8px"},
        ),
        message,
        sizing_mode="stretch_width",
    )
    models = build_view(
        session.board.view(),
        session.theme,
        name=scenario.name,
        source_text=scenario.text,
        standalone=False,
        command=command,
    )
    session.models = models

    def say(text: str, *, bad: bool = False) -> None:
        colour = "var(--mv-bad)" if bad else "var(--mv-muted)"
        message.text = f'<div style="color: {colour}">{html.escape(text)}</div>'

    def submit(text: str) -> None:
        text = text.strip()
        if not text:
            return
        assert session.board is not None and session.models is not None
        try:
            item = parse_line(
                text, line=session.next_line, fs=session.scenario.fs, source="<typed>"
            )
            if item is None:
                return
            step = session.board.apply(item)
        except ScenarioError as error:
            say(str(error), bad=True)  # nothing changed: the simulator promises that
            return
        session.next_line += 1
        session.typed.append(item)
        box.value = ""
        if step is None:
            say(f"noted: {text}")
            return
        say(
            f"step {len(session.board.steps)}: {step.command} → {step.result}",
            bad=step.result not in ("ok", "skipped"),
        )
        load_view(session.models, session.board.view())

    def switch(_attr: str, _old: Any, new: str) -> None:
        assert session.models is not None
        session.kernel = new
        session.board = session.build()
        load_view(session.models, session.board.view())
        say(f"replayed under {new}")

    box.on_change("value", lambda _attr, _old, new: submit(new))
    run.on_click(lambda: submit(box.value_input or box.value))
    kernel.on_change("value", switch)
    doc.title = f"mapviz: {scenario.title}"
    doc.add_root(models.root)
    doc.js_on_event(DocumentReady, models.player)


def serve(
    scenario_name: str, *, port: int = 5006, host: str = "127.0.0.1", theme: str = "light"
) -> Server:
    """A started Bokeh server showing ``scenario_name`` at ``http://host:port/``.

    Parameters
    ----------
    scenario_name
        A scenario file or the name of a bundled one.
    port, host
        Where to listen: only ``host`` is bound (loopback unless told otherwise).
    theme
        ``light``, ``dark`` or ``talk``.

    Returns
    -------
    Server
        Started; run ``server.io_loop.start()`` to serve.

    Raises
    ------
    MapvizError
        The scenario is missing or invalid (checked before anything is bound).
    OSError
        The address cannot be bound.
    """
    scenario = load_scenario(scenario_name)
    Storyboard.from_scenario(scenario)  # a scenario the simulator rejects fails here, once
    app = Application(FunctionHandler(lambda doc: make_document(doc, scenario, theme)))
    if host in LOOPBACK:
        origins = [f"{name}:{port}" for name in ("127.0.0.1", "localhost")]
    elif host in ANY:
        origins = ["*"]  # every interface: the browser may use any of the machine's names
    else:
        origins = [f"{host}:{port}"]
    server = Server(
        {"/": app}, port=port, address=host, allow_websocket_origin=origins, num_procs=1
    )
    server.start()
    return server
