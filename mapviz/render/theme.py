"""Colours, patterns and type for the views: light, dark and ``talk`` (a projector).

States are told apart by colour *and* pattern, so nothing depends on seeing
colour: the palette is Okabe–Ito (Bokeh's ``Colorblind8``), and every state
that could be confused also has its own hatch.  Pure data, no Bokeh import:
the SVG/PNG writers use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.view.frames import STATES

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

# state -> (palette colour name, hatch pattern or "" for solid, legend text)
STATE_STYLE: dict[str, tuple[str, str, str]] = {
    "hole": ("hole", "", "hole (no blocks)"),
    "unwritten": ("sky", "/", "unwritten (allocated, reads as zeros)"),
    "written": ("blue", "", "written"),
    "delalloc": ("yellow", ".", "delalloc (reserved, no block yet)"),
    "metadata": ("muted", "", "filesystem metadata"),
    "free": ("background", "", "free"),
    "dirty": ("vermillion", "", "dirty in the page cache"),
    "cached": ("green", "", "page-cache frame"),
    "anon": ("purple", "", "private / anonymous frame"),
    "zero": ("muted", "x", "the zero page"),
    "mapping": ("mapping", "", "mapping (no page present)"),
    "entry": ("orange", "", "present entry, read-only"),
    "entry-w": ("orange", "-", "present entry, writable"),
    "revoked": ("vermillion", "x", "revoked mapping"),
    "swap": ("purple", "+", "swap"),
    "past-eof": ("sky", ":", "preallocated past EOF"),
}
SHARED_HATCH = "\\"  # drawn over any shared extent
PINNED_HATCH = "+"  # sealed (v5), active swapfile: the block map may not change

# What each animation kind flashes as.
EVENT_COLOURS = {
    "refuse": "vermillion",
    "sigbus": "vermillion",
    "sigsegv": "vermillion",
    "revoke": "vermillion",
    "seal": "green",
    "unseal": "sky",
    "swapon": "green",
    "lease": "green",
    "lease_break": "orange",
    "fault": "orange",
    "map_page": "orange",
    "alloc": "blue",
    "convert": "blue",
    "cow": "purple",
    "share": "purple",
    "free": "muted",
    "metadata_sync": "green",
    "writeback": "green",
}


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    background: str
    foreground: str
    muted: str
    hole: str
    mapping: str
    grid: str
    font_size: int  # base text size in px
    band_label_size: int
    line_width: float

    def colour(self, name: str) -> str:
        """A palette or theme colour by name (``blue``, ``muted``, ``background`` ...)."""
        if name in OKABE_ITO:
            return OKABE_ITO[name]
        return str(getattr(self, name))

    def state_colour(self, state: str) -> str:
        return self.colour(STATE_STYLE[state][0])

    def state_hatch(self, state: str) -> str:
        return STATE_STYLE[state][1]

    def palette(self) -> list[str]:
        """Colours indexed by state code (``mapviz.view.STATES`` order)."""
        return [self.state_colour(state) for state in STATES]

    def hatches(self) -> list[str]:
        return [self.state_hatch(state) for state in STATES]


THEMES = {
    "light": Theme("light", background="#FFFFFF", foreground="#1A1A1A", muted="#9A9A9A",
                   hole="#F2F2F2", mapping="#E8E4D8", grid="#E0E0E0", font_size=13,
                   band_label_size=12, line_width=1.0),
    "dark": Theme("dark", background="#15171A", foreground="#E8E8E8", muted="#6E7378",
                  hole="#24272C", mapping="#3A3526", grid="#30343A", font_size=13,
                  band_label_size=12, line_width=1.0),
    # For a projector: larger type, thicker strokes, pure black on white.
    "talk": Theme("talk", background="#FFFFFF", foreground="#000000", muted="#707070",
                  hole="#EDEDED", mapping="#E2DCC8", grid="#D0D0D0", font_size=22,
                  band_label_size=20, line_width=2.0),
}


def theme_named(name: str) -> Theme:
    return THEMES[name]
