"""The scenario language: xfs_io commands plus ``%`` directives (SCENARIO.md)."""

from mapviz.errors import ScenarioError
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
    "DEFAULT_KERNEL",
    "KERNEL_MODELS",
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
]
