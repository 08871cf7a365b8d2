"""Hatch patterns drawn as a few renderers with one pattern each, never per glyph.

BokehJS builds a fresh canvas for every glyph's pattern whenever a source
with a per-glyph (vectorised) ``hatch_pattern`` changes: at 1,500 glyphs that
was seconds per step.  So the glyphs are filled by one renderer, and the
hatches are drawn on top by one renderer per *group* -- a pattern in one ink
-- each with a scalar pattern and a small source of its own.  The groups are
fixed per theme, so a server view that meets a new state needs no new
renderer.

>>> from mapviz.render.theme import theme_named
>>> light = theme_named("light")
>>> groups = hatch_groups(light)
>>> groups[group_of(light, "state", "unwritten")].pattern
'/'
>>> group_of(light, "state", "written")  # a solid state has no hatch
-1
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from mapviz.render.theme import PROTECTION_STYLE, SHARED_HATCH, Theme
from mapviz.view.frames import STATES

INKS = ("#000000", "#FFFFFF")


@dataclass(frozen=True, slots=True)
class HatchGroup:
    """One hatch renderer: ``pattern`` in ``ink``; ``mark`` groups draw protections / shared."""

    pattern: str
    ink: str
    mark: bool

    @property
    def scale(self) -> float:
        return 14.0 if self.mark else 9.0  # marks sparser, so a state's own hatch shows through

    @property
    def alpha(self) -> float:
        return 0.6 if self.mark else 0.55


@functools.cache
def hatch_groups(theme: Theme) -> tuple[HatchGroup, ...]:
    """Every group ``theme`` can need, in a fixed order."""
    groups: list[HatchGroup] = []
    for state in STATES:
        group = HatchGroup(
            theme.state_hatch(state), theme.ink_on(theme.state_colour(state)), mark=False
        )
        if group.pattern and group not in groups:
            groups.append(group)
    marks = [hatch for _, hatch, _ in PROTECTION_STYLE.values() if hatch] + [SHARED_HATCH]
    for pattern in marks:
        for ink in INKS:
            groups.append(HatchGroup(pattern, ink, mark=True))
    for ink in INKS:  # pinned *and* shared: the shared hatch takes the state's place
        group = HatchGroup(SHARED_HATCH, ink, mark=False)
        if group not in groups:
            groups.append(group)
    return tuple(groups)


def group_of(theme: Theme, role: str, state: str, pattern: str | None = None) -> int:
    """The index of the group drawing ``pattern`` (default: the state's own) on ``state``.

    ``role`` is ``state`` (the state's hatch) or ``mark`` (pinned / shared);
    -1 when there is nothing to draw.
    """
    pattern = theme.state_hatch(state) if pattern is None else pattern
    if not pattern or pattern == " ":
        return -1
    wanted = HatchGroup(pattern, theme.ink_on(theme.state_colour(state)), mark=role == "mark")
    return _index(theme).get(wanted, -1)


@functools.cache
def _index(theme: Theme) -> dict[HatchGroup, int]:
    return {group: index for index, group in enumerate(hatch_groups(theme))}
