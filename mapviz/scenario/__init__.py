"""The scenario language: xfs_io commands plus ``%`` directives (SCENARIO.md)."""

from mapviz.errors import ScenarioError
from mapviz.scenario.bundled import bundled_names, bundled_text, load_scenario
from mapviz.scenario.directives import CAPABILITIES, RESULTS
from mapviz.scenario.parser import parse_line, parse_scenario
from mapviz.scenario.syntax import (
    DEFAULT_KERNEL,
    KERNEL_MODELS,
    Command,
    Expect,
    ExtentSpec,
    FsConfig,
    Item,
    LeaseBreakTime,
    Note,
    Proc,
    Scenario,
    Sleep,
)

__all__ = [
    "CAPABILITIES",
    "DEFAULT_KERNEL",
    "KERNEL_MODELS",
    "RESULTS",
    "Command",
    "Expect",
    "ExtentSpec",
    "FsConfig",
    "Item",
    "LeaseBreakTime",
    "Note",
    "Proc",
    "Scenario",
    "ScenarioError",
    "Sleep",
    "bundled_names",
    "bundled_text",
    "load_scenario",
    "parse_line",
    "parse_scenario",
]
