"""Colours, patterns and type for the views: light, dark and ``talk`` (a projector).

States are told apart by colour *and* pattern, so nothing depends on seeing
colour: the palette is Okabe-Ito (Bokeh's ``Colorblind8``), and every state
that could be confused also has its own hatch.  Pure data, no Bokeh import:
the SVG/PNG writers use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapviz.render import THEME_NAMES
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
    "track": ("background", "", "empty lane"),
    "asked": ("background", "`", "asked for, past EOF"),
    "ghost": ("hole", "", "unmapped"),
    "actor": ("background", "", "process"),
    "cover": ("background", "", "protected block map"),  # drawn clear: hatch and outline only
    # Owners: a tint per file on the device (Paul Tol's "muted", apart from the states).
    "owner-0": ("tint0", "", "file"),
    "owner-1": ("tint1", "", "file"),
    "owner-2": ("tint2", "", "file"),
    "owner-3": ("tint3", "", "file"),
    "owner-4": ("tint4", "", "file"),
    "owner-5": ("tint5", "", "file"),
}
TINTS = {
    "tint0": "#882255",
    "tint1": "#44AA99",
    "tint2": "#999933",
    "tint3": "#332288",
    "tint4": "#AA4499",
    "tint5": "#117733",
}

# What protects a block map: each its own hatch over the state, and its own outline
# (colour name, hatch, legend words).  Order: mapviz.view.frames.PROTECTIONS.
PROTECTION_STYLE: dict[str, tuple[str, str, str]] = {
    "pinned": ("green", "+", "sealed by MAP_DIRECT (v5)"),
    "leased": ("orange", "o", "leased (MAP_DIRECT lease)"),
    "swapfile": ("purple", "*", "active swapfile (pinned)"),
    "immutable": ("foreground", "|", "immutable (chattr +i)"),
    "direct": ("green", "", "MAP_DIRECT mapping"),
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
    # Added for the Bokeh views; defaults keep older callers working.
    panel_width: int = 380  # px of the narration / controls column beside the plot
    unit_px: int = 44  # px per band unit of the layout's y axis
    max_frame_px: int = 440  # the plot area's height cap, so a 1280x720 screen shows it all
    link_alpha: float = 0.22  # connectors are translucent so crossings stay readable
    title_size: int = 20
    control_size: int = 13  # buttons, slider, legend
    log_size: int = 12  # the event log and the keyboard hint
    font: str = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
    mono: str = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace"
    dark: bool = False

    def colour(self, name: str) -> str:
        """A palette or theme colour by name (``blue``, ``muted``, ``background`` ...)."""
        if name in OKABE_ITO:
            return OKABE_ITO[name]
        if name in TINTS:
            return TINTS[name]
        return str(getattr(self, name))

    def inks(self) -> list[str]:
        """Every colour an outline or a connector may take, in a fixed order (indexed by byte)."""
        names = ["background", "foreground", "grid", "muted", "hole", "mapping", *OKABE_ITO, *TINTS]
        out: list[str] = []
        for colour in [self.colour(name) for name in names] + self.palette():
            if colour not in out:
                out.append(colour)
        return out

    def protection_colour(self, protection: str) -> str:
        """The outline of a block map ``protection`` protects (``pinned``, ``leased`` ...)."""
        return self.colour(PROTECTION_STYLE[protection][0])

    def state_colour(self, state: str) -> str:
        return self.colour(STATE_STYLE[state][0])

    def state_hatch(self, state: str) -> str:
        return STATE_STYLE[state][1]

    def palette(self) -> list[str]:
        """Colours indexed by state code (``mapviz.view.STATES`` order)."""
        return [self.state_colour(state) for state in STATES]

    def hatches(self) -> list[str]:
        return [self.state_hatch(state) for state in STATES]

    def ink_on(self, colour: str) -> str:
        """Black or white, whichever reads better on ``colour`` (for hatches and labels)."""
        return "#000000" if luminance(colour) > 0.35 else "#FFFFFF"

    def event_colour(self, kind: str) -> str:
        """The colour an animation of ``kind`` flashes in (``foreground`` if it has none)."""
        return self.colour(EVENT_COLOURS.get(kind, "foreground"))


SIDE_BELOW_PX = 1100
"""Under this much room (a notebook's output area at 1280 px) the side panel wraps below
the plot, and the plot takes the whole width."""
PAGE_PAD_PX, GAP_PX = 32, 14  # the page's padding left and right; between plot and panel


def narrowest_plot_px(theme: Theme) -> int:
    """The least width a figure gets beside the side panel before the panel wraps below it."""
    return SIDE_BELOW_PX - PAGE_PAD_PX - GAP_PX - theme.panel_width


def luminance(colour: str) -> float:
    """Relative luminance (WCAG) of a ``#RRGGBB`` colour, 0 (black) to 1 (white)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


THEMES = {
    "light": Theme(
        "light",
        background="#FFFFFF",
        foreground="#1A1A1A",
        muted="#8A8A8A",
        hole="#DADADA",
        mapping="#E2DCC8",
        grid="#D0D0D0",
        font_size=13,
        band_label_size=12,
        line_width=1.0,
    ),
    "dark": Theme(
        "dark",
        background="#15171A",
        foreground="#E8E8E8",
        muted="#7E848A",
        hole="#4A515A",
        mapping="#5A5036",
        grid="#3A3F46",
        font_size=13,
        band_label_size=12,
        line_width=1.0,
        link_alpha=0.3,
        dark=True,
    ),
    # For a projector: larger type, thicker strokes, pure black on white.
    "talk": Theme(
        "talk",
        background="#FFFFFF",
        foreground="#000000",
        muted="#606060",
        hole="#DEDEDE",
        mapping="#E2DCC8",
        grid="#B8B8B8",
        font_size=22,
        band_label_size=19,
        line_width=2.0,
        panel_width=410,
        unit_px=50,
        max_frame_px=360,
        link_alpha=0.3,
        title_size=26,
        control_size=17,
        log_size=15,
    ),
}

LEGEND_HIDDEN = frozenset({"free", "track", "actor", "cover"})
"""States that are a lane itself or drawn as something else's mark: no legend entry."""

# Short words for the legend (the tooltips and STATE_STYLE say more).
LEGEND_LABELS = {
    "hole": "hole",
    "unwritten": "unwritten",
    "written": "written",
    "delalloc": "delalloc",
    "metadata": "fs metadata",
    "free": "free",
    "dirty": "dirty page",
    "cached": "page-cache frame",
    "anon": "private frame",
    "zero": "zero page",
    "mapping": "mapped, not faulted",
    "entry": "PTE read-only",
    "entry-w": "PTE writable",
    "revoked": "revoked",
    "swap": "swap",
    "past-eof": "past EOF",
    "track": "empty",
    "asked": "asked for past EOF",
    "ghost": "unmapped",
    "actor": "process",
    "cover": "protected",
    **{f"owner-{n}": "file" for n in range(6)},
}


assert tuple(sorted(THEMES)) == THEME_NAMES


def theme_named(name: str) -> Theme:
    """The theme called ``name`` (``light``, ``dark`` or ``talk``); ``KeyError`` otherwise."""
    return THEMES[name]
