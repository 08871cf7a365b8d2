"""A scenario as one animated image for a slide: GIF, WebP or APNG (MP4 with ``mapviz[video]``).

What ``mapviz export NAME --gif OUT.gif`` (``--webp``, ``--apng``, ``--mp4``)
writes: every step's key frames (:mod:`mapviz.render.keyframes`), each a
slide drawn by :mod:`mapviz.render.slide` and painted by
:mod:`mapviz.render.png` (the renderer of ``--png``), sized for a 16:9 slide.
A slide taller than 16:9 is fitted inside and centred on its background.

Cheap by construction, since a talk's image must stay small (a few MB):

* the slides are laid out once (:func:`~mapviz.render.slide.plan_slides`)
  and painted straight at the target size, hatch masks shared between them;
* every frame shares one palette (:mod:`mapviz.render.palette`) in which the
  theme's colours are exact, so a GIF needs no per-frame colour table and
  each frame stores only the pixels that changed;
* WebP is lossless (exact colours again) and APNG stores only the changed box.

>>> from mapviz.scenario import load_scenario
>>> from mapviz.view import Storyboard
>>> view = Storyboard.from_scenario(load_scenario("einval-anonymous")).view()
>>> reel = paint_reel(view, "talk", (1280, 720))
>>> reel.frames[0].size, len(reel.frames) >= len(view.frames)
((1280, 720), True)
>>> encode(reel, "gif")[:6]
b'GIF89a'
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image

from mapviz.render.drawing import DESIGN_WIDTH, Drawing
from mapviz.render.keyframes import KeyFrame, key_frames
from mapviz.render.palette import Palette, named_colours
from mapviz.render.png import HatchMasks, to_image
from mapviz.render.slide import draw_slide, plan_slides
from mapviz.render.theme import Theme
from mapviz.view.storyboard import View

FORMATS = ("gif", "webp", "apng", "mp4")
DEFAULT_SIZE = (1920, 1080)
NAMED_SIZES = ("1920x1080", "1280x720")
MIN_WIDTH, MAX_WIDTH = 640, 3840
SAMPLE_EVERY = 2  # every other frame's colours vote for the palette's free places
MP4_FPS = 10  # key frames last whole tenths of a second, so each is a run of copies
VIDEO_MISSING = "MP4 needs the video extra: pip install 'mapviz[video]' (imageio-ffmpeg)"


def parse_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` of a 16:9 slide, from 640x360 to 3840x2160.

    >>> parse_size("1280x720")
    (1280, 720)
    >>> parse_size("1280x1024")
    Traceback (most recent call last):
    ...
    ValueError: 1280x1024 is not 16:9 (try 1920x1080 or 1280x720)
    """
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*", text)
    hint = f"(try {' or '.join(NAMED_SIZES)})"
    if match is None:
        raise ValueError(f"{text!r} is not WIDTHxHEIGHT {hint}")
    width, height = int(match[1]), int(match[2])
    if width * 9 != height * 16:
        raise ValueError(f"{width}x{height} is not 16:9 {hint}")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"{width}x{height}: the width must be {MIN_WIDTH} to {MAX_WIDTH} {hint}")
    return width, height


@dataclass(slots=True)
class Reel:
    """The painted key frames of one view, ready to encode: one ``P`` image per key frame."""

    size: tuple[int, int]
    keys: list[KeyFrame]
    drawings: list[Drawing]  # the slide of each key frame (what was painted, as data)
    frames: list[Image.Image]
    palette: Palette


def paint_reel(
    view: View, theme: str | Theme = "light", size: tuple[int, int] = DEFAULT_SIZE
) -> Reel:
    """Every key frame of ``view`` painted at ``size`` (laid out once, one palette).

    Raises
    ------
    ValueError
        ``theme`` names no theme.
    """
    plan = plan_slides(view, theme)
    keys = key_frames(view)
    drawings = [draw_slide(view, key.index, plan, key.phase) for key in keys]
    canvas = _Canvas(size, plan.height)
    images = [canvas.paint(drawing) for drawing in drawings]
    palette = Palette(named_colours(drawings), images[::SAMPLE_EVERY])
    frames = [palette.index(image) for image in images]
    return Reel(size, keys, drawings, frames, palette)


class _Canvas:
    """Paints slides at one pixel size: fitted inside it, centred on the slide's background."""

    def __init__(self, size: tuple[int, int], height: float) -> None:
        self.size = size
        scale = min(size[0] / DESIGN_WIDTH, size[1] / height)
        self.width = min(size[0], round(DESIGN_WIDTH * scale))
        painted = max(1, round(height * self.width / DESIGN_WIDTH))
        self.offset = ((size[0] - self.width) // 2, (size[1] - painted) // 2)
        self.hatches: HatchMasks = {}

    def paint(self, drawing: Drawing) -> Image.Image:
        image = to_image(drawing, self.width, self.hatches)
        if image.size == self.size:
            return image
        out = Image.new("RGB", self.size, drawing.background)
        out.paste(image, self.offset)
        return out


def encode(reel: Reel, fmt: str) -> bytes:
    """The reel as one file's bytes, ``fmt`` one of :data:`FORMATS`.

    Raises
    ------
    ValueError
        An unknown ``fmt``, or ``mp4`` without imageio-ffmpeg installed
        (:data:`VIDEO_MISSING`).
    """
    durations = [key.ms for key in reel.keys]
    first, rest = reel.frames[0], reel.frames[1:]
    buffer = io.BytesIO()
    if fmt == "gif":
        # optimize: each frame keeps only its changed box, unchanged pixels transparent.
        first.save(
            buffer,
            "GIF",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=0,
            optimize=True,
            disposal=1,
        )
    elif fmt == "webp":
        # Lossless keeps the palette's exact colours.  Method 1 at the least effort is
        # quick; method 0 drops the colour-indexing transform and is ten times larger.
        # Key frames far apart: the frames after them are small changed boxes.
        first.save(
            buffer,
            "WEBP",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=0,
            lossless=True,
            quality=0,
            method=1,
            kmin=50,
            kmax=100,
        )
    elif fmt == "apng":
        first.save(buffer, "PNG", save_all=True, append_images=rest, duration=durations, loop=0)
    elif fmt == "mp4":
        return _mp4(reel, durations)
    else:
        raise ValueError(f"no animated format {fmt!r} (try: {', '.join(FORMATS)})")
    return buffer.getvalue()


def _mp4(reel: Reel, durations: list[int]) -> bytes:
    raise ValueError(VIDEO_MISSING)
