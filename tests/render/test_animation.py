"""Animated slides (mapviz.render.animation): every bundled scenario as a GIF and a WebP.

Each scenario is painted once, at the default 1920x1080, in one of the three
themes (in turn), and encoded both ways: the files must reopen, hold a frame
or more per step, stay within 3 MB, keep the theme's colours exact, and caption
every key frame with the command and result the engine gives for its step.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops, ImageSequence

from mapviz.core.simulation import Simulation
from mapviz.core.trace import Step
from mapviz.render.animation import DEFAULT_SIZE, Reel, encode, paint_reel, parse_size
from mapviz.render.diagram import marks_of
from mapviz.render.drawing import Drawing, Rect, Text, rgb
from mapviz.render.keyframes import HOLD_MS, key_frames
from mapviz.render.palette import named_colours
from mapviz.render.png import to_image
from mapviz.render.slide import draw_slide, plan_slides, result_words
from mapviz.render.theme import OKABE_ITO, THEMES, theme_named
from mapviz.scenario import bundled_names, load_scenario
from mapviz.view import Storyboard, View
from mapviz.view.frames import STATES

LIMIT = 3_000_000  # bytes: what a slide deck can carry per animation
THEME_ORDER = sorted(THEMES)


def _view(name: str) -> View:
    return Storyboard.from_scenario(load_scenario(name)).view()


def _frames(data: bytes) -> Iterator[Image.Image]:
    with Image.open(io.BytesIO(data)) as image:
        for frame in ImageSequence.Iterator(image):
            frame.load()  # a WebP frame's duration is known once it is decoded
            yield frame


def _caption(drawing: Drawing, below: float) -> set[str]:
    """The words of the slide's header and step panel (above the bands)."""
    return {s.text for s in drawing.shapes if isinstance(s, Text) and s.y < below}


@pytest.mark.parametrize("number, name", list(enumerate(bundled_names())))
def test_every_bundled_scenario_as_gif_and_webp(number: int, name: str) -> None:
    scenario = load_scenario(name)
    steps = Simulation.from_scenario(scenario).steps  # the engine's own account
    view = Storyboard.from_scenario(scenario).view()
    theme = THEME_ORDER[number % len(THEME_ORDER)]
    reel = paint_reel(view, theme)
    assert len(steps) == len(view.frames) - 1
    _check_captions(reel, view, steps, theme)
    for fmt, kind in (("gif", "GIF"), ("webp", "WEBP")):
        data = encode(reel, fmt)
        assert len(data) <= LIMIT, f"{name} {fmt}: {len(data) / 1e6:.2f} MB"
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == kind
            assert image.size == DEFAULT_SIZE
            assert image.n_frames == len(reel.frames) >= len(view.frames)
            assert image.info.get("loop") == 0


@pytest.mark.parametrize("fmt", ["gif", "webp", "apng"])
def test_frames_decode_to_the_exact_theme_colours_and_durations(fmt: str) -> None:
    view = _view("pinned-block-map")
    reel = paint_reel(view, "dark", (1280, 720))
    data = encode(reel, fmt)
    durations = []
    for position, frame in enumerate(_frames(data)):
        durations.append(frame.info["duration"])
        if position in (0, len(reel.frames) // 2):  # the palette's frame, as encoded
            expected = reel.frames[position].convert("RGB")
            assert ImageChops.difference(frame.convert("RGB"), expected).getbbox() is None
        last = frame.convert("RGB")
    assert durations == [key.ms for key in reel.keys]
    _check_exact_states(last, view, "dark")


def _check_captions(reel: Reel, view: View, steps: list[Step], theme: str) -> None:
    plan = plan_slides(view, theme)
    assert [key.index for key in reel.keys] == sorted(key.index for key in reel.keys)
    assert {key.index for key in reel.keys} == set(range(len(view.frames)))
    for key, drawing in zip(reel.keys, reel.drawings, strict=True):
        words = _caption(drawing, plan.panel_bottom)
        if key.index == 0:
            assert "Before the first step" in words
            continue
        step = steps[key.index - 1]
        assert f"{step.process}$ {step.command}" in words, (key, words)
        assert result_words(step.result) in words, (key, words)
        assert f"step {key.index} of {len(steps)}" in words


def _check_exact_states(image: Image.Image, view: View, theme: str) -> None:
    """Every state colour drawn solid in the last frame decodes to its exact theme colour."""
    colours = {colour for _, colour in image.getcolors(1 << 16) or []}
    palette = theme_named(theme)
    for code in set(view.frames[-1].quads["state"]):
        state = STATES[code]
        if palette.state_hatch(state) or state in ("cover", "free", "track", "actor"):
            continue
        assert rgb(palette.state_colour(state)) in colours, state


def test_palette_keeps_every_named_colour_exact() -> None:
    view = _view("etxtbsy-break-shared")
    reel = paint_reel(view, "talk", (1280, 720))
    named = named_colours(reel.drawings)
    assert len(named) < 200  # room left for the antialiased tones
    assert reel.palette.colours[: len(named)] == [rgb(colour) for colour in named]
    assert len(reel.palette.colours) <= 255  # one index free for the GIF's unchanged pixels


def _refused(view: View) -> int:
    return next(f.index for f in view.frames if f.step and f.step.result == "ETXTBSY")


def test_key_frames_show_a_step_before_while_and_after() -> None:
    view = _view("pinned-block-map")
    keys = key_frames(view)
    assert keys[0].index == 0 and keys[0].ms == HOLD_MS["start"]
    assert keys[-1].ms == HOLD_MS["end"]
    for frame in view.frames[1:]:
        phases = [key.phase for key in keys if key.index == frame.index]
        assert phases[-1] == "after" and phases.count("after") == 1
        assert ("flash" in phases) == bool(marks_of(frame))
    index = _refused(view)
    plan = plan_slides(view, "light")
    before, flash, after = (draw_slide(view, index, plan, p) for p in ("before", "flash", "after"))
    vermillion = OKABE_ITO["vermillion"]

    def tints(drawing: Drawing) -> list[Rect]:
        return [
            s
            for s in drawing.shapes
            if isinstance(s, Rect) and s.fill == vermillion and s.opacity < 1
        ]

    def tagged(drawing: Drawing) -> bool:  # the errno on the refused range, below the panel
        return any(
            isinstance(s, Text) and s.text == "ETXTBSY" and s.y > plan.panel_bottom
            for s in drawing.shapes
        )

    assert tints(flash) and not tints(before) and not tints(after)
    assert tagged(flash) and tagged(after) and not tagged(before)
    # The caption is the step's in every phase.
    words = [_caption(d, plan.panel_bottom) for d in (before, flash, after)]
    assert words[0] == words[1] == words[2]
    with pytest.raises(ValueError, match="no before phase"):
        draw_slide(view, 0, plan, "before")


def test_a_strip_painted_alone_is_the_same_pixels() -> None:
    view = _view("lease-break")
    plan = plan_slides(view, "dark")
    drawing = draw_slide(view, 5, plan, "flash")
    whole = to_image(drawing, 960)
    hatches: dict[tuple[object, ...], Image.Image] = {}
    cuts = [0, 101, 300, 301, whole.height]
    for top, bottom in itertools.pairwise(cuts):
        strip = to_image(drawing, 960, hatches, (top, bottom))
        assert strip.size == (960, bottom - top)
        piece = whole.crop((0, top, 960, bottom))
        assert ImageChops.difference(strip, piece).getbbox() is None, (top, bottom)
    with pytest.raises(ValueError, match="rows"):
        to_image(drawing, 960, rows=(10, whole.height + 1))


def test_a_tall_slide_is_fitted_and_centred() -> None:
    # Many files: the bands need more than 16:9, so the slide is narrower than the image.
    text = "".join(f"open -f f{i}\npwrite 0 4k\n" for i in range(9))
    from mapviz.scenario import parse_scenario

    view = Storyboard.from_scenario(parse_scenario(text)).view()
    plan = plan_slides(view, "light")
    assert plan.height > 900
    reel = paint_reel(view, "light", (1280, 720))
    frame = reel.frames[-1].convert("RGB")
    assert frame.size == (1280, 720)
    margin = (1280 - round(1600 * 720 / plan.height)) // 2
    assert margin > 10
    background = rgb(THEMES["light"].background)
    assert frame.crop((0, 0, margin - 1, 720)).getcolors() == [(720 * (margin - 1), background)]


@pytest.mark.parametrize(
    "text, size",
    [("1920x1080", (1920, 1080)), ("1280X720", (1280, 720)), (" 2560x1440 ", (2560, 1440))],
)
def test_sizes(text: str, size: tuple[int, int]) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "text, words",
    [
        ("big", "not WIDTHxHEIGHT"),
        ("1920x1200", "not 16:9"),
        ("320x180", "640 to 3840"),
        ("7680x4320", "640 to 3840"),
        ("1920x", "not WIDTHxHEIGHT"),
        ("1296x729", "height must be even"),
    ],
)
def test_bad_sizes(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_size(text)


def test_unknown_format() -> None:
    reel = paint_reel(_view("einval-anonymous"), "light", (640, 360))
    with pytest.raises(ValueError, match="no animated format"):
        encode(reel, "avi")
