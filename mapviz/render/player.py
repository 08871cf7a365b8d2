"""The browser player: its JavaScript (package ``.js`` files) and its settings.

One ``CustomJS`` runs for every trigger (document ready, buttons, slider,
hover, tap, the story source); :func:`player_code` splices the library files
into ``main.js`` so the player is one function with no globals.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from mapviz.citations import CITATION, DEFAULT_DOCUMENT
from mapviz.render import schema
from mapviz.render.tables import LINK_KINDS
from mapviz.render.theme import EVENT_COLOURS, PROTECTION_STYLE, STATE_STYLE, Theme
from mapviz.view.frames import STATES

LIBRARY = ("util.js", "tips.js", "anim.js", "panel.js", "hover.js", "player.js")
MARKER = "/* @library */"
SPEEDS = (0.5, 1.0, 2.0, 4.0)
SPEED_LABELS = ("½×", "1×", "2×", "4×")  # noqa: RUF001 -- a multiplication sign is meant
PLAY_LABEL = "▶ Play"
PAUSE_LABEL = "▮▮ Pause"  # U+23F8 is missing from common Linux fonts
# Every kind the view model can animate, so the player has a colour for each.
EVENT_KINDS = (
    "open",
    "close",
    "mmap",
    "munmap",
    "fault",
    "map_page",
    "zap_page",
    "write_protect",
    "cache_fill",
    "cache_drop",
    "dirty",
    "delalloc",
    "writeback",
    "alloc",
    "free",
    "convert",
    "cow",
    "share",
    "unshare",
    "remap",
    "size_change",
    "zero",
    "seal",
    "unseal",
    "refuse",
    "sigbus",
    "sigsegv",
    "lease",
    "lease_break",
    "lease_release",
    "revoke",
    "metadata_sync",
    "swapon",
    "swapoff",
    "flags",
    "time",
)


def _read(name: str) -> str:
    return resources.files("mapviz.render").joinpath("js", name).read_text(encoding="utf-8")


@functools.cache
def player_code() -> str:
    """``main.js`` with the library files spliced in at its marker."""
    main = _read("main.js")
    if MARKER not in main:
        raise RuntimeError(f"main.js lost its {MARKER} marker")
    library = "\n".join(_read(name) for name in LIBRARY)
    return main.replace(MARKER, library)


def player_config(
    theme: Theme, *, lines: list[str | int], summary: str, standalone: bool
) -> dict[str, Any]:
    """Settings for the player: drawing constants, timings, labels, the scenario's lines."""
    event = {kind: theme.event_colour(kind) for kind in EVENT_KINDS}
    # Unlisted kinds flash in the foreground colour; make that readable too.
    event.update({kind: theme.colour(name) for kind, name in EVENT_COLOURS.items()})
    colours = set(event.values()) | {theme.foreground, theme.background}
    # Labels sit on the range they name; no bigger than the band labels, so the
    # refused range's red outline still shows around them on a projector.
    big = round(theme.band_label_size * 1.12)
    return {
        "draw": {
            "fg": theme.foreground,
            "bg": theme.background,
            "event": event,
            "ink": {colour: theme.ink_on(colour) for colour in colours},
            "lw": theme.line_width,
            "minWidth": 3.0,  # x units: a 4 KiB page of a 1 GiB file still shows
            "edge": 45.0 + big * 2.5,  # x units a centred label keeps from the plot's edges
            "bigSize": f"{big}px",
            "smallSize": f"{round(theme.band_label_size * 0.92)}px",
            "badgeLift": 0.1,
            # The type of the words in the plot (figure.py), to measure an owner's name by.
            "badgeFont": f"bold {theme.band_label_size}px {theme.font}",
            "badgePad": 10,  # px: the badges' padding (2 each side) and some air
        },
        "speeds": list(SPEEDS),
        "speed": 1,
        "hold_ms": 1300,
        "hold_per_char_ms": 28,  # reading time for the narration while playing
        "labels": {"play": PLAY_LABEL, "pause": PAUSE_LABEL},
        # The tables' columns (schema.py), and what the player makes of them.
        "stores": {store: list(schema.names(store)) for store in ("store_q", "store_l")},
        "drawn": {name: list(columns) for name, columns in schema.DRAWN.items()},
        "colours": theme.inks(),
        "link_kinds": list(LINK_KINDS),
        # Words for hover texts (js/tips.js), by state and protection code.
        "words": {
            "states": [STATE_STYLE[state][2] for state in STATES],
            "protections": ["", *(words for _, _, words in PROTECTION_STYLE.values())],
        },
        "lines": lines,
        "summary": summary,
        # The one citation grammar (mapviz.citations), in JavaScript's spelling of named groups.
        "cite": {"pattern": CITATION.pattern.replace("(?P<", "(?<"), "fallback": DEFAULT_DOCUMENT},
        "standalone": standalone,
    }
