"""One palette of at most 255 colours for every frame of an animation, the theme's colours exact.

A GIF has 256 colours; the slides have a few dozen flat ones (the theme's
state colours, hatches, inks) plus the tones where edges and text are
antialiased and ribbons are translucent.  The palette keeps every colour a
drawing names *exactly*, since those are what tell states apart, then fills
the rest with the commonest other colours of the painted frames.  Each pixel
then takes its nearest palette colour, found with a lookup table over all
2**24 colours (Pillow's own palette conversion buckets colours 4 levels
wide, so two close theme colours could swap).  One index stays free: a GIF
frame marks the pixels it leaves unchanged with it.

>>> from PIL import Image
>>> from mapviz.render.drawing import Drawing, Rect
>>> drawing = Drawing(10, 10, "#FFFFFF")
>>> drawing.add(Rect(0, 0, 5, 5, fill="#E2DCC8"))
>>> image = Image.new("RGB", (2, 1), "#E3DDC9")
>>> image.putpixel((0, 0), (0xE2, 0xDC, 0xC8))
>>> palette = Palette(named_colours([drawing]), [])
>>> palette.index(image).convert("RGB").getpixel((0, 0))
(226, 220, 200)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from PIL import Image

from mapviz.render.drawing import Drawing, Polygon, Rect, rgb

SIZE = 255  # the 256th index is the GIF's "unchanged" mark
UNKNOWN = SIZE  # in the lookup table: a colour not met yet (no palette colour has index 255)
CANDIDATES = 4096  # the commonest colours looked at for the free places
SAMPLE_STEP = 4  # a frame is sampled every 4th pixel across and down for its common colours
MIN_GAP = 6  # a colour added for its frequency differs by more than this from every other

Keys = npt.NDArray[np.uint32]


def named_colours(drawings: Iterable[Drawing]) -> list[str]:
    """Every colour the drawings paint with, first use first (background, fills, strokes, text).

    >>> from mapviz.render.drawing import Text
    >>> drawing = Drawing(10, 10, "#ffffff")
    >>> drawing.add(Text(0, 5, "a", 5, "#000000"))
    >>> named_colours([drawing])
    ['#FFFFFF', '#000000']
    """
    seen: dict[str, None] = {}
    for drawing in drawings:
        seen[drawing.background.upper()] = None
        for shape in drawing.shapes:
            if isinstance(shape, Rect):
                inks = [shape.fill, shape.stroke, shape.hatch_colour if shape.hatch else None]
            elif isinstance(shape, Polygon):
                inks = [shape.fill, shape.stroke]
            else:
                inks = [shape.colour]
            for ink in inks:
                if ink is not None:
                    seen[ink.upper()] = None
    return list(seen)


class Palette:
    """The colours ``named`` (exact, the first :data:`SIZE` of them), then the commonest others.

    ``samples`` are painted RGB frames; their commonest colours fill the
    palette's free places, each at least :data:`MIN_GAP` from the others.
    """

    def __init__(self, named: list[str], samples: Iterable[Image.Image]) -> None:
        colours = list(dict.fromkeys(rgb(colour) for colour in named))[:SIZE]
        sampled = [
            _keys(
                sample.resize(
                    (max(1, sample.width // SAMPLE_STEP), max(1, sample.height // SAMPLE_STEP)),
                    Image.Resampling.NEAREST,
                )
            ).ravel()
            for sample in samples
        ]
        values, counts = np.unique(
            np.concatenate([np.zeros(0, np.uint32), *sampled]), return_counts=True
        )
        exact = np.array([_key(colour) for colour in colours], dtype=np.uint32)
        common = values[np.argsort(-counts, kind="stable")]
        common = common[~np.isin(common, exact)][:CANDIDATES]
        chosen = np.array(colours, dtype=np.int32).reshape(-1, 3)
        for value in common.tolist():
            if len(colours) >= SIZE:
                break
            colour = (value & 255, (value >> 8) & 255, value >> 16)
            if chosen.size and np.abs(chosen - colour).max(axis=1).min() <= MIN_GAP:
                continue
            colours.append(colour)
            chosen = np.vstack([chosen, np.array(colour, dtype=np.int32)])
        self.colours: list[tuple[int, int, int]] = colours
        self._rgb = chosen
        # colour -> palette index; UNKNOWN until a pixel of that colour is first seen.
        self._lut = np.full(1 << 24, UNKNOWN, dtype=np.uint8)
        self._lut[[_key(colour) for colour in colours]] = np.arange(len(colours), dtype=np.uint8)

    def flat(self) -> list[int]:
        """The palette as Pillow's ``putpalette`` takes it: r, g, b, r, g, b ..."""
        return [channel for colour in self.colours for channel in colour]

    def index(self, image: Image.Image) -> Image.Image:
        """``image`` (RGB) as a ``P`` image of this palette: every pixel its nearest colour."""
        keys = _keys(image)
        indices = self._lut[keys]
        unknown = indices == UNKNOWN
        if unknown.any():
            self._learn(np.unique(keys[unknown]))
            indices[unknown] = self._lut[keys[unknown]]
        out = Image.frombytes("P", image.size, indices.tobytes())
        out.putpalette(self.flat())
        return out

    def _learn(self, keys: Keys) -> None:
        # Nearest by squared distance, a few thousand colours at a time (memory stays small).
        for start in range(0, keys.size, 4096):
            chunk = keys[start : start + 4096]
            colours = np.stack([chunk & 255, (chunk >> 8) & 255, chunk >> 16], axis=1)
            difference = colours.astype(np.int32)[:, None, :] - self._rgb[None, :, :]
            nearest = (difference * difference).sum(axis=2).argmin(axis=1)
            self._lut[chunk] = nearest.astype(np.uint8)


def _key(colour: tuple[int, int, int]) -> int:
    return colour[0] | (colour[1] << 8) | (colour[2] << 16)


def _keys(image: Image.Image) -> Keys:
    # RGBX pixels are 4 bytes, read as one little-endian integer each: R | G << 8 | B << 16.
    pixels = np.asarray(image.convert("RGBX")).view("<u4")[..., 0]
    keys: Keys = pixels & np.uint32(0xFFFFFF)
    return keys
