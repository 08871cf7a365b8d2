"""A scenario as one animated image for a slide: GIF, WebP or APNG (MP4 with ``mapviz[video]``).

What ``mapviz export NAME --gif OUT.gif`` (``--webp``, ``--apng``, ``--mp4``)
writes: every step's key frames (:mod:`mapviz.render.keyframes`), each a
slide drawn by :mod:`mapviz.render.slide` and painted by
:mod:`mapviz.render.png` (the renderer of ``--png``), sized for a 16:9 slide.
A slide taller than 16:9 is fitted inside and centred on its background.

Cheap by construction, since a talk's image must stay small (a few MB):

* the slides are laid out once (:func:`~mapviz.render.slide.plan_slides`)
  and painted straight at the target size, a strip at a time, each strip
  painted once however many key frames show it (the step panel, the legend);
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

import importlib.util
import io
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mapviz.render.drawing import DESIGN_WIDTH, Drawing, Shape, reach, rgb
from mapviz.render.keyframes import KeyFrame, moments
from mapviz.render.palette import Palette, named_colours
from mapviz.render.png import HatchMasks, to_image
from mapviz.render.slide import Plan, draw_moment, plan_slides
from mapviz.render.theme import Theme
from mapviz.view.picture import Progress
from mapviz.view.storyboard import View

FORMATS = ("gif", "webp", "apng", "mp4")
DEFAULT_SIZE = (1920, 1080)
NAMED_SIZES = ("1920x1080", "1280x720")
MIN_WIDTH, MAX_WIDTH = 640, 3840
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
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX\u00d7]\s*(\d{1,5})\s*", text)
    hint = f"(try {' or '.join(NAMED_SIZES)})"
    if match is None:
        raise ValueError(f"{text!r} is not WIDTHxHEIGHT {hint}")
    width, height = int(match[1]), int(match[2])
    if width * 9 != height * 16:
        raise ValueError(f"{width}x{height} is not 16:9 {hint}")
    if height % 2:  # a video's chroma is sampled in pairs of rows
        raise ValueError(f"{width}x{height}: the height must be even {hint}")
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
    view: View,
    theme: str | Theme = "light",
    size: tuple[int, int] = DEFAULT_SIZE,
    progress: Progress | None = None,
) -> Reel:
    """Every key frame of ``view`` painted at ``size`` (laid out once, one palette).

    ``progress`` hears ``("painting", frames done, frames)`` as it goes.

    Raises
    ------
    ValueError
        ``theme`` names no theme.
    """
    plan = plan_slides(view, theme)
    canvas = _Canvas(size, plan)
    keys, drawings, pieces = [], [], []
    for key, frame, before in moments(view):  # each frame read once, in order
        drawing = draw_moment(view, frame, before, plan, key.phase)
        keys.append(key)
        drawings.append(drawing)
        pieces.append(canvas.paint(drawing))
        if progress is not None:
            progress("painting", frame.index + 1, len(view.frames))
    palette = Palette(named_colours(drawings), canvas.painted.values())
    frames = canvas.frames(pieces, palette)
    return Reel(size, keys, drawings, frames, palette)


Strip = tuple[int, int, tuple[Shape, ...]]
"""Rows ``[top, bottom)`` of a painted slide and every shape that reaches them."""


class _Canvas:
    """Paints slides at one pixel size, fitted and centred, each horizontal strip once.

    A slide is cut into strips: the header and step panel, the bands, the
    legend's "This step" row, the rest of the legend.  A strip is painted
    (:func:`~mapviz.render.png.to_image` ``rows``, the same pixels as the
    whole) and indexed once for all the key frames where it has the same
    shapes: the panel once per step, the legend once per animation.
    """

    def __init__(self, size: tuple[int, int], plan: Plan) -> None:
        self.size = size
        self.background = plan.style.theme.background
        scale = min(size[0] / DESIGN_WIDTH, size[1] / plan.height)
        self.width = min(size[0], round(DESIGN_WIDTH * scale))
        height = max(1, round(plan.height * self.width / DESIGN_WIDTH))
        self.offset = ((size[0] - self.width) // 2, (size[1] - height) // 2)
        style = plan.style
        cuts = (
            plan.panel_bottom + style.body * 0.45,
            plan.legend_top - style.body * 0.5,
            plan.legend_top + style.small * style.line * 1.3 - style.small * 0.1,
        )
        rows = {min(max(1, round(y * self.width / DESIGN_WIDTH)), height - 1) for y in cuts}
        self.bounds = [0, *sorted(rows), height]
        self.hatches: HatchMasks = {}
        self.painted: dict[Strip, Image.Image] = {}  # RGB, until indexed

    def paint(self, drawing: Drawing) -> list[Strip]:
        """Paint what is new of ``drawing``; the strips it is made of."""
        k = DESIGN_WIDTH / self.width  # design units per pixel row
        reaches = [(shape, *reach(shape)) for shape in drawing.shapes]
        strips = []
        for top, bottom in itertools.pairwise(self.bounds):
            shapes = tuple(
                shape for shape, up, down in reaches if up < bottom * k and down > top * k
            )
            strip = (top, bottom, shapes)
            if strip not in self.painted:
                self.painted[strip] = to_image(drawing, self.width, self.hatches, (top, bottom))
            strips.append(strip)
        return strips

    def frames(self, pieces: list[list[Strip]], palette: Palette) -> list[Image.Image]:
        """Each key frame's strips, indexed once each, put together at the full size."""
        indexed = {strip: palette.index(image) for strip, image in self.painted.items()}
        self.painted.clear()
        blank = Image.new("P", self.size, palette.colours.index(rgb(self.background)))
        blank.putpalette(palette.flat())
        out = []
        for strips in pieces:
            frame = blank.copy()
            for strip in strips:
                frame.paste(indexed[strip], (self.offset[0], self.offset[1] + strip[0]))
            out.append(frame)
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


def video_missing() -> bool:
    """Whether MP4 cannot be written here (imageio-ffmpeg, the ``video`` extra, is missing)."""
    return importlib.util.find_spec("imageio_ffmpeg") is None


def _mp4(reel: Reel, durations: list[int]) -> bytes:
    # imageio-ffmpeg ships its own ffmpeg binary: no system ffmpeg needed.  A video has
    # one frame rate, so a key frame is repeated for its duration (H.264 stores a repeat
    # in a few bytes).
    if video_missing():
        raise ValueError(VIDEO_MISSING)
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory(prefix="mapviz-mp4-") as directory:
        path = Path(directory) / "out.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path),
            reel.size,
            fps=MP4_FPS,
            codec="libx264",
            pix_fmt_out="yuv420p",
            macro_block_size=2,  # yuv420p wants even sides; 1080 is not a multiple of 16
            ffmpeg_log_level="error",
            output_params=[
                *("-crf", "18", "-preset", "veryfast", "-tune", "animation"),
                *("-movflags", "+faststart"),  # playable while it loads
            ],
        )
        writer.send(None)  # start ffmpeg
        for frame, ms in zip(reel.frames, durations, strict=True):
            pixels = frame.convert("RGB").tobytes()
            for _ in range(max(1, round(ms * MP4_FPS / 1000))):
                writer.send(pixels)
        writer.close()
        return path.read_bytes()
