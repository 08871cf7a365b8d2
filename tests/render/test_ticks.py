"""Device-axis labels: long block numbers of a big device never overlap."""

from __future__ import annotations

from itertools import pairwise

from mapviz.render.ticks import device_ticks
from mapviz.view.axes import CompressedAxis

BLOCK = 4096
FIVE_CHARACTERS = 5.0  # the caller's min_gap: about five characters in x units


def test_eight_digit_block_numbers_keep_their_width_apart() -> None:
    # Pieces as a fragmented file on a 256 GiB device gives them: far-apart block runs.
    pieces = ((8_655_823 * BLOCK, 8_700_000 * BLOCK, 0.0, 60.0),
              (19_177_472 * BLOCK, 19_277_423 * BLOCK, 65.0, 1000.0))
    labels = device_ticks(CompressedAxis(pieces, 19_277_423 * BLOCK), BLOCK, FIVE_CHARACTERS)
    character = FIVE_CHARACTERS / 5
    xs = sorted(labels)
    assert len(xs) >= 3
    for left, right in pairwise(xs):
        room = (len(labels[left]) + len(labels[right])) / 2 * character
        assert right - left >= room, (labels[left], labels[right])


def test_short_block_numbers_keep_the_callers_gap() -> None:
    axis = CompressedAxis(((0, 1024 * BLOCK, 0.0, 1000.0),), 1024 * BLOCK)
    labels = device_ticks(axis, BLOCK, FIVE_CHARACTERS)
    assert min(b - a for a, b in pairwise(sorted(labels))) < 40
