"""Axis labels: exact at round offsets, and never overlapping, on either scale."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest

from mapviz.render.ticks import device_ticks, file_ticks
from mapviz.view.axes import WIDTH, CompressedAxis

BLOCK = 4096
FIVE_CHARACTERS = 5.0  # the caller's min_gap: about five characters in x units
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
CHAR_PX = 7.5


def _bytes(label: str) -> Fraction:
    """What a file-offset label says, exactly ("1.25 MiB" -> 1310720)."""
    if label == "0":
        return Fraction(0)
    number, unit = label.split(" ")
    return Fraction(number) * UNITS[unit]


def _at(x: float, label: str, span: int) -> bool:
    """Whether the tick at ``x`` stands where its label says."""
    return abs(float(_bytes(label)) * WIDTH / span - x) < 1e-9 * WIDTH


def test_eight_digit_block_numbers_keep_their_width_apart() -> None:
    # Pieces as a fragmented file on a 256 GiB device gives them: far-apart block runs.
    pieces = (
        (8_655_823 * BLOCK, 8_700_000 * BLOCK, 0.0, 60.0),
        (19_177_472 * BLOCK, 19_277_423 * BLOCK, 65.0, 1000.0),
    )
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


def test_the_swapfile_axis_says_1_25_mib_where_it_is_1_25_mib() -> None:
    span = 1_310_720  # swapfile-pinned's file: 1.25 MiB
    labels = file_ticks(span, 8)
    assert labels[WIDTH] == "1.25 MiB" and "1.2 MiB" not in labels.values()
    for x, label in labels.items():
        assert _at(x, label, span), (x, label)


@pytest.mark.parametrize(
    "span",
    [
        1,
        3000,
        4096,
        65536,
        100_000,
        131072,
        1_310_720,
        3 << 20,
        1_000_000_007,
        5 << 30,
        (1 << 40) + (1 << 38),
        7 << 40,
    ],
)
@pytest.mark.parametrize("plot_px", [None, 220.0, 480.0, 900.0])
def test_file_offset_labels_are_exact_and_round(span: int, plot_px: float | None) -> None:
    labels = file_ticks(span, 8, plot_px=plot_px)
    assert labels[0.0] == "0" and len(labels) >= 2
    for x, label in labels.items():
        assert _at(x, label, span), (span, x, label)  # it says exactly where it is
    # Every tick but the end's is a multiple of one power of two: a round value.
    inner = sorted(_bytes(label) for label in labels.values() if _bytes(label) != span)
    if len(inner) > 1:
        step = inner[1] - inner[0]
        assert step.denominator == 1 and int(step) & (int(step) - 1) == 0, (span, labels)
        assert all(b - a == step for a, b in pairwise(inner)), (span, labels)


@pytest.mark.parametrize("span", [65536, 131072, 1 << 20, 1_310_720, 64 << 20, 100_000])
@pytest.mark.parametrize("plot_px", [180.0, 260.0, 420.0, 700.0])
def test_file_offset_labels_never_run_together(span: int, plot_px: float) -> None:
    # The notebook at 1280 px gave the file-offset scale about 260 px:
    # "0 8 KiB16 KiB24 KiB..." -- nine labels in a row, touching.
    labels = file_ticks(span, 8, plot_px=plot_px, char_px=CHAR_PX)
    ticks = sorted(labels.items())
    assert len(ticks) >= 2
    for (x0, a), (x1, b) in pairwise(ticks):
        gap_px = (x1 - x0) * plot_px / WIDTH - (len(a) + len(b)) / 2 * CHAR_PX
        assert gap_px >= CHAR_PX, (span, plot_px, a, b)


def test_a_wide_plot_keeps_its_labels() -> None:
    assert file_ticks(65536, 8, plot_px=900.0) == file_ticks(65536, 8)
    assert len(file_ticks(65536, 8, plot_px=900.0)) == 9
