"""The ipywidgets around a notebook view: command box, kernel model, prediction, changes.

Only layout and wording live here; :mod:`mapviz.frontends.widget` wires the
callbacks.  Every string that came from a scenario or from the learner is
escaped before it becomes HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as w

from mapviz.core.trace import Step
from mapviz.frontends.quiz import CHOICES, OTHERS, Answer, Quiz
from mapviz.frontends.session import Switch
from mapviz.render.theme import Theme
from mapviz.scenario import KERNEL_MODELS

OTHER = "other…"


@dataclass(slots=True)
class Controls:
    """Every ipywidget of one view (the Bokeh layout is separate)."""

    command: w.Text
    run: w.Button
    kernel: w.Dropdown
    message: w.HTML
    bar: w.VBox
    question: w.HTML
    choices: tuple[w.Button, ...]
    other: w.Dropdown
    feedback: w.HTML
    score: w.HTML
    quiz: w.VBox
    changes: w.HTML
    sheet: w.HTML
    """CSS for what ipywidgets styles cannot reach (a dropdown's type size)."""


def build_controls(theme: Theme, *, kernel: str, predict: bool) -> Controls:
    """The controls sized for ``theme`` (the talk theme gets big ones)."""
    size = f"{theme.control_size + 1}px"
    height = f"{round((theme.control_size + 1) * 2.4)}px"
    command = w.Text(
        placeholder="type an xfs_io command, e.g. pwrite 0 4k · mwrite 64k 4k · "
        "%proc other — Enter runs it",
        layout=w.Layout(flex="1 1 auto", height=height),
        style={"font_size": size},
    )
    command.add_class("mapviz-command")
    run = w.Button(
        description="Run",
        button_style="primary",
        tooltip="run the command",
        layout=w.Layout(width="auto", height=height),
        style={"font_size": size},
    )
    run.add_class("mapviz-run")
    model = w.Dropdown(
        options=list(KERNEL_MODELS),
        value=kernel,
        description="kernel model",
        tooltip="replay every step under another kernel model",
        layout=w.Layout(width="auto", height=height),
        style={"description_width": "auto"},
    )
    model.add_class("mapviz-kernel")
    message = w.HTML(value="", layout=w.Layout(min_height="1.2em"), style={"font_size": size})
    message.add_class("mapviz-message")
    bar = w.VBox(
        [
            w.HBox([command, run, model], layout=w.Layout(align_items="center", grid_gap="8px")),
            message,
        ]
    )
    question = w.HTML(value="", style={"font_size": size})
    big = w.Layout(width="auto", min_width="6em", height=height)
    choices = tuple(
        w.Button(
            description=label, layout=big, style={"font_size": size}, tooltip=f"predict: {label}"
        )
        for label in CHOICES
    )
    for button in choices:
        button.add_class(f"mapviz-guess-{button.description}")
    other = w.Dropdown(
        options=[OTHER, *OTHERS], value=OTHER, layout=w.Layout(width="auto", height=height)
    )
    other.add_class("mapviz-guess-other")
    feedback = w.HTML(value="", style={"font_size": size})
    score = w.HTML(value="", style={"font_size": size})
    quiz = w.VBox(
        [question, w.HBox([*choices, other], layout=w.Layout(grid_gap="8px")), feedback, score],
        layout=w.Layout(display="flex" if predict else "none", padding="4px 0"),
    )
    quiz.add_class("mapviz-quiz")
    changes = w.HTML(value="", style={"font_size": size})
    changes.add_class("mapviz-changes")
    sheet = w.HTML(
        value=f"<style>.mapviz-{theme.name} select, .mapviz-{theme.name} code "
        f"{{ font-size: {size}; }} .mapviz-changes td, .mapviz-changes th "
        "{ padding: 1px 10px 1px 0; text-align: left; }</style>",
        layout=w.Layout(display="none"),
    )
    return Controls(
        command,
        run,
        model,
        message,
        bar,
        question,
        choices,
        other,
        feedback,
        score,
        quiz,
        changes,
        sheet,
    )


def say(text: str, *, bad: bool = False) -> str:
    """A one-line message (red when the input was refused)."""
    colour = "#D55E00" if bad else "inherit"
    weight = "bold" if bad else "normal"
    return f'<span style="color: {colour}; font-weight: {weight}">{html.escape(text)}</span>'


def question_html(number: int, command: str, process: str) -> str:
    """The question for step ``number``: the command only, nothing of its outcome."""
    return (
        f"<b>Predict step {number}:</b> <code>{html.escape(command)}</code> "
        f"(process {html.escape(process)}) — what happens? Pick a result to see it."
    )


def feedback_html(answer: Answer) -> str:
    """What the learner said, what happened, and why."""
    mark = "✓ right" if answer.right else "✗ not quite"
    colour = "#009E73" if answer.right else "#D55E00"
    why = f"<br><i>why:</i> {html.escape(answer.why)}" if answer.why else ""
    return (
        f'<span style="color: {colour}; font-weight: bold">{mark}</span> — step '
        f"{answer.step} <code>{html.escape(answer.command)}</code>: you said "
        f"<b>{html.escape(answer.guess)}</b>, it was <b>{html.escape(answer.result)}</b>"
        f"{why}"
    )


def score_html(right: int, asked: int) -> str:
    return f"Score: <b>{right}</b> of {asked}" if asked else ""


def show_quiz(controls: Controls, quiz: Quiz, steps: Sequence[Step]) -> None:
    """The quiz panel for ``quiz`` now: the question (or what to do next), buttons, score."""
    if quiz.pending is not None:
        step = steps[quiz.pending - 1]
        controls.question.value = question_html(quiz.pending, step.command, step.process)
    elif quiz.revealed >= len(steps):
        controls.question.value = "<b>Every step is revealed.</b> Type a command to predict more."
    else:
        controls.question.value = "Press <b>▶</b> (or call <code>.step()</code>) for the next step."
    for button in (*controls.choices, controls.other):
        button.disabled = quiz.pending is None
    controls.score.value = score_html(*quiz.score)


def changes_html(switch: Switch) -> str:
    """The steps a model switch changed, as a small table (nothing if none did)."""
    if switch.before == switch.after:
        return ""
    changed = [(n, row) for n, row in enumerate(switch.rows, start=1) if row.differs]
    e = html.escape
    head = (
        f"Replayed under <b>{e(switch.after)}</b>: "
        f"{len(changed)} of {len(switch.rows)} steps end differently than under "
        f"<b>{e(switch.before)}</b>"
    )
    if not changed:
        return head + "."
    rows = "".join(
        f"<tr><td>◆ {n}</td><td><code>{e(row.command)}</code></td>"
        f"<td>{e(row.cells[switch.before].result)}</td>"
        f"<td><b>{e(row.cells[switch.after].result)}</b></td>"
        f"<td>{e(row.cells[switch.after].why or '')}</td></tr>"
        for n, row in changed
    )
    return (
        f"{head}:<table style='border-collapse: collapse'>"
        f"<tr><th>step</th><th>command</th><th>{e(switch.before)}</th>"
        f"<th>{e(switch.after)}</th><th>why, under {e(switch.after)}</th></tr>"
        f"{rows}</table>"
    )
