"""``mapviz.MapViz``: the animated views as a notebook widget (JupyterLab, Voila, Binder).

The widget is a thin adapter (STYLE.md "Front ends are thin adapters"): a
:class:`~mapviz.frontends.session.Session` holds the simulation, the
renderer's own document and ``CustomJS`` player draw it inside a
``jupyter_bokeh.BokehModel``, and a few ipywidgets around it take commands,
switch the kernel model and ask for predictions.

Python drives *steps*, the browser animates *within* a step (STACK.md §6, point 3).
A step request travels on the view's syncable channel
(:mod:`mapviz.render.channel`), and the player reports back every step it
settles on, so :attr:`MapViz.frame` follows what the page shows -- also when
the learner uses the player's own buttons or keys.  Both live in the
widget's own Bokeh document: two widgets in one notebook never drive each
other.

Without a browser (nbclient, a test) everything but the animation works:
the steps, the frame, the prediction, the model switch.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w
from bokeh.document import Document
from bokeh.events import DocumentReady
from jupyter_bokeh.widgets import BokehModel

from mapviz.core.trace import Step
from mapviz.errors import MapvizError, ScenarioError
from mapviz.frontends.controls import (
    OTHER,
    build_controls,
    changes_html,
    feedback_html,
    say,
    show_quiz,
)
from mapviz.frontends.describe import describe_scene
from mapviz.frontends.quiz import Answer, Predict, Quiz, questions
from mapviz.frontends.session import Session, Switch
from mapviz.frontends.static import fallback_png, load_bokehjs
from mapviz.frontends.stepper import Stepper
from mapviz.render.channel import new_channel
from mapviz.render.document import build_view, load_view
from mapviz.render.panels import header_html
from mapviz.render.theme import THEMES, theme_named
from mapviz.report.fiemap_table import format_fiemap
from mapviz.scenario import DEFAULT_KERNEL, FsConfig, Scenario, load_scenario, parse_scenario


class MapViz(w.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A scenario's animated views with a command box, a kernel model and a quiz.

    Make one with :meth:`from_scenario` or :meth:`live`; display it as a
    cell's last expression.  It loads BokehJS into the page itself (inline,
    so it works offline) and carries a PNG of its step for viewers that
    cannot run widgets.

    Parameters
    ----------
    session
        What to show (see :class:`~mapviz.frontends.session.Session`).
    theme
        ``light``, ``dark`` or ``talk`` (big type and controls, for a projector).
    predict
        Predict-then-reveal: before the result of a step it asks about is
        shown, the learner picks ok / ETXTBSY / SIGBUS / another errno (or
        calls :meth:`predict`); the other steps just play.  Which steps:

        - ``True``: those that carry a ``%expect`` in the scenario, and every
          command typed later (in :meth:`live`, every command);
        - ``"all"``: every command, ``open`` and ``fsync`` too;
        - a list of the scenario's line numbers and commands, e.g.
          ``[12, 15]`` or ``["mwrite 64k 4k"]`` (every step running that
          command, typed ones too);
        - ``False`` (the default): no predictions.
    source
        List the scenario's text under the views (never in predict mode: its
        ``%expect`` lines would give the answers away).

    Raises
    ------
    MapvizError
        An unknown theme, or a ``predict`` list naming a line that runs no
        command or a command no step runs.
    """

    def __init__(
        self,
        session: Session,
        *,
        theme: str = "light",
        predict: Predict = False,
        source: bool = True,
        **kwargs: Any,
    ) -> None:
        if theme not in THEMES:
            raise MapvizError(f'mapviz: unknown theme "{theme}" (themes: {", ".join(THEMES)})')
        self._session = session
        self._theme = theme_named(theme)
        self._switching = False
        self._last_switch: Switch | None = None
        asks = questions(predict, session)
        self._stepper = Stepper(
            lambda: session.steps,
            self._send_request,
            quiz=Quiz(asks=asks) if asks is not None else None,
            asked=self._show_quiz,
            say=self._remind,
        )
        self._channel = new_channel(frame=0, limit=self._stepper.limit)
        scenario = session.scenario
        quizzing = asks is not None
        # The scenario's text lists its %expect lines: in predict mode that would tell.
        self._models = build_view(
            session.board.view(),
            self._theme,
            name=scenario.name,
            source_text=scenario.text if source and not quizzing else "",
            standalone=False,
            channel=self._channel,
        )
        self._set_header()
        document = Document(title=f"mapviz: {scenario.title}")
        document.add_root(self._models.root)
        document.js_on_event(DocumentReady, self._models.player)
        self._channel.status.on_change("data", self._on_status)
        self._bokeh = BokehModel(self._models.root, layout=w.Layout(width="100%"))
        self._bokeh.add_class("mapviz-bokeh")
        # The controls exist before any message is said.
        c = self._controls = build_controls(self._theme, kernel=session.kernel, predict=quizzing)
        c.command.on_msg(self._on_command_message)
        c.run.on_click(lambda _button: self._submit(c.command.value))
        c.kernel.observe(self._on_kernel, names="value")
        for button in c.choices:
            button.on_click(lambda b: self._guess(b.description))
        c.other.observe(self._on_other, names="value")
        super().__init__(children=[c.sheet, c.bar, c.quiz, c.changes, self._bokeh], **kwargs)
        self.add_class("mapviz")
        self.add_class(f"mapviz-{theme}")
        self._say("")
        self._show_quiz()

    # --- making one ---------------------------------------------------------------

    @classmethod
    def from_scenario(
        cls,
        scenario: str | Path | Scenario,
        kernel: str | None = None,
        *,
        theme: str = "light",
        predict: Predict = False,
        source: bool = True,
    ) -> MapViz:
        """A widget playing ``scenario``: a bundled name, a file, or scenario text.

        Parameters
        ----------
        scenario
            ``"hole-sigbus"`` (see ``mapviz scenarios``), a path to a
            ``.scenario`` file, the text of one (anything with a line break),
            or a parsed :class:`~mapviz.scenario.Scenario`.
        kernel
            Run under this kernel model instead of the scenario's own.
        theme, predict, source
            As for :class:`MapViz`: ``predict=True`` asks about the steps with a
            ``%expect``, ``predict=[22, "fpunch 0 4k"]`` about those lines and commands.

        Raises
        ------
        MapvizError
            No such scenario, it is invalid (``FILE:LINE: message``), or
            ``predict`` names a line or command it does not run.
        """
        if isinstance(scenario, Scenario):
            parsed = scenario
        elif isinstance(scenario, str) and "\n" in scenario:
            parsed = parse_scenario(scenario, source="<text>", name="scenario")
        else:
            parsed = load_scenario(str(scenario))
        return cls(Session(parsed, kernel), theme=theme, predict=predict, source=source)

    @classmethod
    def live(
        cls,
        kernel: str = DEFAULT_KERNEL,
        fs: str = "xfs",
        dax: bool = False,
        *,
        theme: str = "light",
        predict: Predict = False,
        **options: Any,
    ) -> MapViz:
        """An empty widget with a command box: type a command, press Enter, watch it.

        Parameters
        ----------
        kernel
            The kernel model (default ``map-direct-v5``, as for a scenario
            without ``%kernel``).
        fs, dax
            The simulated filesystem: ``xfs`` or ``ext4``, with or without DAX.
        predict
            ``True``: predict every typed command; ``["mwrite 64k 4k"]``: those commands.
        options
            More :class:`~mapviz.scenario.FsConfig` fields (``blocksize``, ``size``, ``reflink``).
        """
        config = FsConfig(type=fs, dax=dax, **options)
        return cls(Session.live(kernel, config), theme=theme, predict=predict)

    # --- what it shows ------------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self._session

    @property
    def kernel(self) -> str:
        """The kernel model the steps run under."""
        return self._session.kernel

    @property
    def steps(self) -> list[Step]:
        """Every step so far (``steps[k - 1]`` is step ``k``)."""
        return self._session.steps

    @property
    def total(self) -> int:
        """How many steps there are."""
        return len(self._session.steps)

    @property
    def frame(self) -> int:
        """The step shown: 0 is the start, ``k`` the state after step ``k``."""
        return self._stepper.frame

    @property
    def current(self) -> Step | None:
        """The step shown (None at the start)."""
        return self.steps[self.frame - 1] if self.frame > 0 else None

    @property
    def message(self) -> str:
        """The widget's last message (HTML)."""
        return str(self._controls.message.value)

    @property
    def differing(self) -> tuple[int, ...]:
        """Steps whose result changed at the last kernel-model switch."""
        return self._last_switch.differing if self._last_switch is not None else ()

    @property
    def quiz(self) -> Quiz | None:
        """The predict-then-reveal state (None unless made with ``predict``)."""
        return self._stepper.quiz

    @property
    def bokeh_model(self) -> BokehModel:
        return self._bokeh

    def describe(self) -> str:
        """The shown step and its files and mappings in words (extents, page cache, entries).

        For a notebook's check cells: ``w.seek(3); print(w.describe())``.
        """
        step = self.current
        head = (
            f"step {self.frame} of {self.total}: {step.command} → {step.result}"
            if step is not None
            else f"start (step 0 of {self.total})"
        )
        if step is not None and step.why:
            head += f"\n  why: {step.why}"
        return f"{head}\n{describe_scene(self._session.board.scenes[self.frame])}"

    def fiemap(self, file: str | None = None) -> str:
        """``xfs_io fiemap -v`` of each file (or just ``file``) at the shown step."""
        scene = self._session.board.scenes[self.frame]
        lines: list[str] = []
        for each in scene.files:
            if file is None or each.name == file:
                lines += format_fiemap(each.name, each.extents, verbose=True, size=each.size)
        return "\n".join(lines)

    # --- moving -----------------------------------------------------------------------

    def step(self) -> None:
        """Animate the next step (in predict mode: ask for a prediction first)."""
        self._stepper.step()

    def back(self) -> None:
        """Show the step before."""
        self._stepper.seek(self.frame - 1)

    def seek(self, frame: int) -> None:
        """Show step ``frame`` at once (0: the start).  Past the revealed steps: ask."""
        self._stepper.seek(frame)

    def play(self) -> None:
        """Play the steps from here on in the browser (up to the next prediction).

        :attr:`frame` moves to where playing ends; the page reports each step
        as it gets there.
        """
        self._stepper.play()

    def pause(self) -> None:
        """Stop playing."""
        self._stepper.pause()

    # --- changing the story -----------------------------------------------------------

    def run(self, command: str) -> Step | None:
        """Run one xfs_io command (or ``%`` directive) after the last step and show it.

        Returns
        -------
        Step | None
            The step made (None for a directive such as ``%proc`` or ``%note``).

        Raises
        ------
        ScenarioError
            The line is malformed or cannot be given now; the widget shows the
            message and nothing changed.
        """
        try:
            step = self._session.run(command)
        except ScenarioError as error:
            self._say(str(error), bad=True)
            raise
        if step is None:
            self._say(f"noted: {command.strip()}")
        self._reload(grew=True)
        if step is not None:
            self._said_step(step)
        return step

    def switch(self, kernel: str) -> Switch:
        """Replay every step under ``kernel`` and mark the steps that end differently.

        Raises
        ------
        MapvizError
            An unknown model, or a step that cannot be replayed under it.
        """
        try:
            switch = self._session.switch(kernel)
        except MapvizError as error:
            self._say(str(error), bad=True)
            self._sync_dropdown()
            raise
        self._last_switch = switch
        self._reload(grew=False)
        self._sync_dropdown()
        self._controls.changes.value = changes = changes_html(switch)
        # One status line: the changes panel says what the replay did (and lists the steps
        # that end differently); it says nothing only after a replay under the same model.
        self._say("" if changes else f"replayed under {kernel} again: no step ends differently")
        return switch

    # --- predict-then-reveal ----------------------------------------------------------

    def predict(self, guess: str) -> Answer:
        """Answer the pending question with ``guess`` (``ok``, ``SIGBUS``, an errno name).

        The step is then revealed: the views animate it and its result and
        ``why`` are shown next to the guess.

        Raises
        ------
        ValueError
            Not in predict mode, nothing to predict yet, or not a result name.
        """
        answer = self._stepper.reveal(guess)
        self._controls.feedback.value = feedback_html(answer)
        return answer

    @property
    def score(self) -> tuple[int, int]:
        """``(right, asked)`` in predict mode."""
        return self.quiz.score if self.quiz is not None else (0, 0)

    # --- the notebook ---------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, after BokehJS; a PNG of the step and a line of text for the rest."""
        load_bokehjs()
        # jupyter_bokeh serialised the document when the widget was made, and the
        # patches of steps or commands taken before any view existed reached no
        # page: serialise it again so a view opens where the kernel is.
        self._bokeh.update_from_model(self._models.root)
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs) or {}
        shown = self.frame or self._stepper.top
        bundle["image/png"] = fallback_png(self._session.board.view(), shown, self._theme)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        scenario = self._session.scenario
        return (
            f"MapViz({scenario.name}: {scenario.title!r}, kernel model {self.kernel}, "
            f"step {self.frame} of {self.total})"
        )

    # --- internals --------------------------------------------------------------------

    def _send_request(self, request: dict[str, list[Any]]) -> None:
        self._channel.request.data = request

    def _on_status(self, _attr: str, _old: Any, new: dict[str, list[Any]]) -> None:
        """The page settled on a step: jupyter_bokeh delivers its report here."""
        self._stepper.report(
            frame=int(new["frame"][-1]), want=int(new["want"][-1]), req=int(new["req"][-1])
        )

    def _show_quiz(self) -> None:
        if self.quiz is not None:
            show_quiz(self._controls, self.quiz, self.steps)

    def _guess(self, guess: str) -> None:
        try:
            self.predict(guess)
        except ValueError as error:
            self._say(str(error), bad=True)

    def _on_other(self, change: dict[str, Any]) -> None:
        if change["new"] == OTHER:
            return
        self._guess(str(change["new"]))
        self._controls.other.value = OTHER

    def _on_command_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "submit":  # Enter in the box (ipywidgets' TextView)
            self._submit(self._controls.command.value)

    def _submit(self, text: str) -> None:
        """A line from the command box: run it, or show why not (and change nothing)."""
        if not text.strip():
            return
        try:
            self.run(text)
        except ScenarioError:
            return  # run() has shown the message; the text stays to be fixed
        self._controls.command.value = ""

    def _on_kernel(self, change: dict[str, Any]) -> None:
        if self._switching or change["new"] == self.kernel:
            return
        try:
            self.switch(str(change["new"]))
        except MapvizError:
            return  # switch() has shown the message and put the selector back

    def _sync_dropdown(self) -> None:
        self._switching = True
        try:
            self._controls.kernel.value = self.kernel
        finally:
            self._switching = False

    def _reload(self, *, grew: bool) -> None:
        """The session changed: load its view into the same models (the player follows)."""
        load_view(self._models, self._session.board.view())
        self._stepper.story_changed(grew=grew)
        self._set_header()

    def _set_header(self) -> None:
        scenario = self._session.scenario
        self._models.panels.header.text = header_html(
            scenario.title, self.kernel, scenario.fs.describe(), scenario.name
        )

    def _said_step(self, step: Step) -> None:
        """The message for a step just run: its result, unless it waits for a guess.

        In predict mode the quiz's question names the step it waits for (one
        status line, not two); a step asked about later is only announced.
        """
        number = self.total
        quiz = self.quiz
        if quiz is None or quiz.revealed >= number:
            self._say(
                f"step {number}: {step.command} → {step.result}",
                bad=step.result not in ("ok", "skipped"),
            )
        elif quiz.pending == number:
            self._say("")
        else:
            self._say(f"step {number}: {step.command} (you predict it when you get there)")

    def _remind(self, text: str) -> None:
        """The stepper's reminder that a guess is pending, under the question it is about."""
        self._say("")
        self._show_quiz()
        self._controls.question.value += (
            f' <b style="color: #D55E00">{html.escape(text[:1].upper() + text[1:])}.</b>'
        )

    def _say(self, text: str, *, bad: bool = False) -> None:
        """The status line (hidden while it has nothing to say)."""
        message = self._controls.message
        message.value = say(text, bad=bad) if text else ""
        message.layout.display = None if text else "none"
