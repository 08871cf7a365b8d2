"""One slide per frame: the title, the step in words, the bands and a legend, as a display list.

The layout is planned once per view (:func:`plan_slides`), over every frame,
so that paging through the slides of a scenario nothing moves: the bands
sit at the same place and the text panel is as tall as its longest step
needs.  Slides are 16:9 unless the bands need more height.

>>> from mapviz.scenario import parse_scenario
>>> from mapviz.view import Storyboard
>>> view = Storyboard.from_scenario(parse_scenario("open -f f\\npwrite 0 64k")).view()
>>> plan = plan_slides(view, "talk")
>>> drawing = draw_slide(view, 2, plan)
>>> drawing.width, drawing.height
(1600.0, 900.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mapviz.core.outcome import STRERROR
from mapviz.render.diagram import (
    Geometry,
    Mark,
    Style,
    draw_diagram,
    draw_gutter,
    hatch_colour,
    ink_on,
    kind_words,
    marks_of,
    mix,
    tag,
)
from mapviz.render.drawing import DESIGN_WIDTH, Drawing, Rect, Text
from mapviz.render.theme import (
    LEGEND_HIDDEN,
    PROTECTION_STYLE,
    STATE_STYLE,
    THEMES,
    Theme,
    theme_named,
)
from mapviz.render.typeset import fit, text_width, wrap
from mapviz.view.frames import OWNER_TINTS, PROTECTIONS, STATES, Frame
from mapviz.view.storyboard import View

Phase = Literal["before", "flash", "after"]
"""A moment of a step: the bands before it, its targets lit up over them, the step done."""

MAX_LINES = {"why": 3, "events": 2, "note": 3}


@dataclass(frozen=True, slots=True)
class Block:
    """A wrapped paragraph of the step panel, with the colour of the bar beside it."""

    role: str  # "why", "events" or "note"
    lines: tuple[str, ...]
    bar: str
    colour: str
    italic: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """Where everything goes on every slide of one view."""

    style: Style
    height: float
    margin: float
    title: tuple[str, ...]
    panel_top: float
    panel_bottom: float  # where the tallest step panel ends; the bands start below a gap
    geometry: Geometry
    gutter_left: float
    legend_top: float
    legend: tuple[tuple[str, str], ...]  # (state or overlay, its words) the view shows


def plan_slides(view: View, theme: str | Theme = "light") -> Plan:
    """Sizes and positions shared by every slide of ``view``.

    Raises
    ------
    ValueError
        ``theme`` names no theme.
    """
    if isinstance(theme, str):
        if theme not in THEMES:
            raise ValueError(f"no theme named {theme!r} (try: {', '.join(THEMES)})")
        theme = theme_named(theme)
    style = Style.for_theme(theme)
    margin = max(28.0, style.body * 1.5)
    inner = DESIGN_WIDTH - 2 * margin
    title = tuple(wrap(view.title, inner, style.title, bold=True, max_lines=2))
    header = len(title) * style.title * style.line + style.small * style.line
    panel_top = margin + header + style.body * 0.9
    panel = max(_panel_height(_blocks(view, frame, style, inner), style) for frame in view.frames)
    entries = _legend_entries(view)
    legend_rows = _legend_rows(entries, style, inner)
    legend = (legend_rows + 1) * style.small * style.line * 1.3
    above = panel_top + panel + style.body * 0.9 + style.small * 2.2  # first layer's name
    below = style.body * 1.4 + legend + margin  # room for nested outlines under the device
    units = view.layout.height
    unit_min, unit_max = style.label * 1.5, style.label * 3.6
    unit = min(max((DESIGN_WIDTH * 9 / 16 - above - below) / units, unit_min), unit_max)
    height = max(DESIGN_WIDTH * 9 / 16, above + units * unit + below)
    spare = height - (above + units * unit + below)  # bands at their tallest: centre them
    gutter = _gutter_width(view, style)
    geometry = Geometry(margin + gutter, DESIGN_WIDTH - margin, above + spare / 2, unit)
    return Plan(
        style,
        height,
        margin,
        title,
        panel_top,
        panel_top + panel,
        geometry,
        margin,
        height - margin - legend,
        entries,
    )


def draw_slide(view: View, index: int, plan: Plan, phase: Phase = "after") -> Drawing:
    """The slide of frame ``index`` of ``view``, at one ``phase`` of its step.

    ``after`` (the default) is the step done: its frame, what it touched
    outlined.  ``before`` and ``flash`` are the moments the page plays first
    (``mapviz/render/js/player.js``): the bands still as the frame before,
    and, at ``flash``, the step's targets lit up over them.  The header, the
    step panel (the command and its result) and the legend are the step's in
    every phase.

    Raises
    ------
    ValueError
        ``before`` or ``flash`` of frame 0, which has no step.
    """
    if phase != "after" and index == 0:
        raise ValueError(f"frame 0 is the start: it has no {phase} phase")
    frame = view.frames[index]
    before = view.frames[index - 1] if phase != "after" else None
    return draw_moment(view, frame, before, plan, phase)


def draw_moment(
    view: View, frame: Frame, before: Frame | None, plan: Plan, phase: Phase = "after"
) -> Drawing:
    """:func:`draw_slide` of ``frame``, given the frame ``before`` it (for a walk in order).

    ``before`` is needed for the ``before`` and ``flash`` phases only: a
    view's frames are drawn as they are read (``mapviz.view.frames.Frames``),
    so a renderer that walks them in order hands each one on.
    """
    style, theme = plan.style, plan.style.theme
    if phase != "after" and before is None:
        raise ValueError(f"the {phase} phase of frame {frame.index} needs the frame before it")
    drawing = Drawing(
        DESIGN_WIDTH,
        plan.height,
        theme.background,
        title=_caption(view, frame),
        hatch_spacing=style.hatch_spacing,
        hatch_width=style.hatch_width,
    )
    _draw_header(drawing, view, frame, plan)
    _draw_panel(drawing, view, frame, plan)
    marks = marks_of(frame)
    bands = before if before is not None and phase != "after" else frame
    shown = [] if phase == "before" else marks
    draw_diagram(drawing, view, bands, plan.geometry, style, marks=shown, flash=phase == "flash")
    draw_gutter(drawing, view, bands, plan.geometry, plan.gutter_left, style)
    _draw_legend(drawing, plan, marks, frame.index)
    return drawing


def result_words(result: str) -> str:
    """A step's result as a person reads it.

    >>> result_words("ETXTBSY")
    'ETXTBSY · Text file busy'
    """
    if result == "skipped":
        return "skipped (xfs_io did not issue it)"
    words = STRERROR.get(result)
    return f"{result} · {words}" if words else result


def _caption(view: View, frame: Frame) -> str:
    step = frame.step
    what = f"step {frame.index}: {step.command} -> {step.result}" if step else "the start"
    return f"{view.title} ({view.kernel}), {what}"


def _draw_header(drawing: Drawing, view: View, frame: Frame, plan: Plan) -> None:
    style, theme = plan.style, plan.style.theme
    y = plan.margin
    for line in plan.title:
        y += style.title * style.line
        drawing.add(
            Text(plan.margin, y - style.title * 0.3, line, style.title, theme.foreground, bold=True)
        )
    y += style.small * style.line
    count = f"step {frame.index} of {len(view.frames) - 1}" if frame.index else "the start"
    right = DESIGN_WIDTH - plan.margin
    drawing.add(
        Text(right, y - style.small * 0.3, count, style.small, theme.muted, anchor="end", bold=True)
    )
    room = right - plan.margin - text_width(count, style.small, bold=True) - style.small * 2
    meta = fit(f"{view.kernel} kernel model · {view.fs}", room, style.small)
    drawing.add(Text(plan.margin, y - style.small * 0.3, meta, style.small, theme.muted))
    drawing.add(
        Rect(plan.margin, y + style.small * 0.25, right - plan.margin, 1.0, fill=theme.grid)
    )


def _draw_panel(drawing: Drawing, view: View, frame: Frame, plan: Plan) -> None:
    style, theme = plan.style, plan.style.theme
    size = style.body * 1.1
    y = plan.panel_top + size
    step = frame.step
    x = plan.margin
    right = DESIGN_WIDTH - plan.margin
    if step is None:
        drawing.add(Text(x, y, "Before the first step", size, theme.muted, bold=True))
    else:
        words = result_words(step.result)
        badge = text_width(words, style.tag, bold=True) + style.tag * 0.8
        where = f"line {step.line}"
        room = right - x - badge - text_width(where, style.small) - size * 1.5
        command = fit(f"{step.process}$ {step.command}", room, size, bold=True, mono=True)
        drawing.add(Text(x, y, command, size, theme.foreground, bold=True, mono=True))
        x += text_width(command, size, mono=True) + size * 0.6
        colour = {"ok": "green", "skipped": "muted"}.get(step.result, "vermillion")
        shapes, x = tag(x, y - size * 0.36, words, theme.colour(colour), style)
        drawing.add_all(shapes)
        drawing.add(Text(x + size * 0.6, y, where, style.small, theme.muted))
    y += size * (style.line - 1) + style.body * 0.5
    for block in _blocks(view, frame, style, right - plan.margin):
        leading = style.body * style.line
        drawing.add(
            Rect(
                plan.margin,
                y + style.body * 0.1,
                style.body * 0.22,
                leading * len(block.lines),
                fill=block.bar,
            )
        )
        for line in block.lines:
            y += leading
            drawing.add(
                Text(
                    plan.margin + style.body * 0.8,
                    y - style.body * 0.3,
                    line,
                    style.body,
                    block.colour,
                    italic=block.italic,
                )
            )
        y += style.body * 0.4


def _blocks(view: View, frame: Frame, style: Style, width: float) -> list[Block]:
    """The step's why (or, when it has none, what happened) and its narration, wrapped."""
    theme = style.theme
    step = frame.step
    if step is None:
        return []
    text_room = width - style.body * 0.8

    def block(role: str, text: str, bar: str, colour: str, italic: bool = False) -> Block:
        lines = wrap(text, text_room, style.body, max_lines=MAX_LINES[role])
        return Block(role, tuple(lines), bar, colour, italic)

    out = []
    if step.why:
        out.append(block("why", f"Why: {step.why}", theme.colour("vermillion"), theme.foreground))
    elif step.events and not step.note:  # the author's narration says it better
        out.append(block("events", _what_happened(frame), theme.grid, theme.muted))
    if step.note:
        out.append(block("note", step.note, theme.colour("sky"), theme.foreground, italic=True))
    return out


def _what_happened(frame: Frame) -> str:
    # Per-page events repeat (a 64-page mwrite is 128 of them): one sentence per kind.
    assert frame.step is not None
    seen: dict[str, tuple[str, int]] = {}
    for event in frame.step.events:
        first, count = seen.get(event.kind.value, (event.why, 0))
        seen[event.kind.value] = (first, count + 1)
    parts = [
        f"{why} (and {count - 1} more like it)" if count > 1 else why
        for why, count in seen.values()
    ]
    return "; ".join(parts[:3]) + ("; …" if len(parts) > 3 else "")


def _panel_height(blocks: list[Block], style: Style) -> float:
    lines = sum(len(b.lines) for b in blocks)
    return (
        style.body * 1.1 * style.line
        + style.body * 0.5
        + lines * style.body * style.line
        + len(blocks) * style.body * 0.4
    )


def _gutter_width(view: View, style: Style) -> float:
    # Wide enough for the longest lane name on one line, but never more than a fifth of the slide.
    widths = [
        text_width(badge.text, style.label) + style.label * 2.4
        for frame in view.frames
        for badge in frame.badges
        if badge.kind == "label"
    ]
    return min(max(widths, default=style.label * 4) + style.label * 0.8, DESIGN_WIDTH * 0.2)


def _legend_entries(view: View) -> tuple[tuple[str, str], ...]:
    """What the legend lists: the states the view shows, then sharing and protections."""
    used = {code for frame in view.frames for code in frame.quads["state"]}
    owners: dict[str, list[str]] = {}
    for name, number in view.layout.file_ids.items():
        owners.setdefault(f"owner-{number % OWNER_TINTS}", []).append(name)
    entries = [
        (
            STATES[code],
            "blocks of " + ", ".join(owners[STATES[code]])
            if STATES[code] in owners
            else STATE_STYLE[STATES[code]][2],
        )
        for code in sorted(used)
        if STATES[code] not in LEGEND_HIDDEN
    ]
    if any(any(frame.quads["shared"]) for frame in view.frames):
        entries.append(("shared", "shared with another file (\\ over the state)"))
    protections = {code for frame in view.frames for code in frame.quads["pinned"] if code}
    for code in sorted(protections):
        _, hatch, words = PROTECTION_STYLE[PROTECTIONS[code]]
        entries.append((PROTECTIONS[code], f"{words} ({hatch} over the state)" if hatch else words))
    return tuple(entries)


def _legend_rows(entries: tuple[tuple[str, str], ...], style: Style, width: float) -> int:
    return max((row for row, _, _ in _flow(list(entries), style, width)), default=-1) + 1


def _flow(
    entries: list[tuple[str, str]], style: Style, width: float
) -> list[tuple[int, float, tuple[str, str]]]:
    """Entries placed left to right, wrapping: (row, x offset, entry)."""
    out = []
    row, x = 0, 0.0
    for entry in entries:
        w = _swatch_width(style) + style.small * 0.5 + text_width(entry[1], style.small)
        if x and x + w > width:
            row, x = row + 1, 0.0
        out.append((row, x, entry))
        x += w + style.small * 1.6
    return out


def _swatch_width(style: Style) -> float:
    return style.small * 2.2


def _draw_legend(drawing: Drawing, plan: Plan, marks: list[Mark], index: int) -> None:
    style, theme = plan.style, plan.style.theme
    leading = style.small * style.line * 1.3
    width = DESIGN_WIDTH - 2 * plan.margin
    sw, sh = _swatch_width(style), style.small * 1.1
    y = plan.legend_top
    drawing.add(
        Text(plan.margin, y + style.small, "This step:", style.small, theme.foreground, bold=True)
    )
    x = plan.margin + text_width("This step: ", style.small, bold=True) + style.small * 0.4
    for colour, words in _step_entries(marks, theme):
        text = fit(words, DESIGN_WIDTH - plan.margin - x - sw - style.small * 0.5, style.small)
        if not text:
            break
        drawing.add(
            Rect(
                x,
                y + style.small * 0.05,
                sw,
                sh,
                stroke=colour or theme.muted,
                stroke_width=style.stroke,
                dash=not colour,
            )
        )
        drawing.add(
            Text(x + sw + style.small * 0.5, y + style.small, text, style.small, theme.foreground)
        )
        x += sw + style.small * 2.1 + text_width(text, style.small)
    if not marks:
        hint = "no range touched" if index else "outlines mark what each step touches"
        drawing.add(Text(x, y + style.small, hint, style.small, theme.muted))
    y += leading
    for row, dx, (name, words) in _flow(list(plan.legend), style, width):
        sx, sy = plan.margin + dx, y + row * leading
        if name == "shared" or name in PROTECTION_STYLE:
            fill = theme.state_colour("written")
            hatch = "\\" if name == "shared" else PROTECTION_STYLE[name][1]
            edge = theme.protection_colour(name) if name in PROTECTION_STYLE else None
            drawing.add(
                Rect(
                    sx,
                    sy,
                    sw,
                    sh,
                    fill=fill,
                    hatch=hatch,
                    hatch_colour=mix(fill, ink_on(fill), 0.75),
                    stroke=edge,
                    stroke_width=style.stroke * 1.5 if edge else 0.0,
                )
            )
        else:
            fill = theme.state_colour(name)
            drawing.add(
                Rect(
                    sx,
                    sy,
                    sw,
                    sh,
                    fill=fill,
                    stroke=theme.muted,
                    stroke_width=0.8,
                    hatch=theme.state_hatch(name),
                    hatch_colour=hatch_colour(fill),
                )
            )
        drawing.add(
            Text(
                sx + sw + style.small * 0.5,
                sy + style.small * 0.9,
                words,
                style.small,
                theme.foreground,
            )
        )


def _step_entries(marks: list[Mark], theme: Theme) -> list[tuple[str, str]]:
    """(colour, kinds in words) per outline colour used this step, strongest last."""
    words: dict[str, list[str]] = {}
    for mark in marks:
        word = f"refused ({mark.result})" if mark.kind == "refuse" else kind_words(mark.kind)
        colour = theme.colour(mark.colour) if mark.colour else ""
        kinds = words.setdefault(colour, [])
        if word not in kinds:
            kinds.append(word)
    return [(colour, ", ".join(kinds)) for colour, kinds in words.items()]
