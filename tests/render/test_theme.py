"""States, protections and lanes must look different from each other, in every theme."""

from __future__ import annotations

import pytest

from mapviz.render.theme import (
    LEGEND_HIDDEN,
    PROTECTION_STYLE,
    STATE_STYLE,
    THEMES,
    luminance,
    theme_named,
)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1: the same, 21: black on white)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", sorted(THEMES))
def test_a_hole_stands_out_from_the_empty_lane(name: str) -> None:
    theme = theme_named(name)
    assert contrast(theme.state_colour("hole"), theme.background) >= 1.3
    assert contrast(theme.state_colour("mapping"), theme.background) >= 1.3


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_listed_state_has_its_own_look(name: str) -> None:
    theme = theme_named(name)
    looks: dict[tuple[str, str], str] = {}
    for state in STATE_STYLE:
        if state in LEGEND_HIDDEN or state.startswith("owner-") or state == "ghost":
            continue
        look = (theme.state_colour(state), theme.state_hatch(state))
        assert look not in looks, f"{state} looks like {looks.get(look)}"
        looks[look] = state


@pytest.mark.parametrize("name", sorted(THEMES))
def test_each_protection_has_its_own_outline_and_pattern(name: str) -> None:
    theme = theme_named(name)
    looks = {(theme.protection_colour(p), style[1]) for p, style in PROTECTION_STYLE.items()}
    assert len(looks) == len(PROTECTION_STYLE)
    hatches = [style[1] for p, style in PROTECTION_STYLE.items() if p != "direct"]
    assert len(set(hatches)) == len(hatches) and "" not in hatches
