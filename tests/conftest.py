"""Shared test helpers: where ../shared is, and its compare.py as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def load_compare() -> ModuleType:
    """../shared/tools/compare.py (the steering side's checker), or skip the test."""
    path = SHARED / "tools" / "compare.py"
    if not path.exists():
        pytest.skip(f"{path} is not there: run the tests with ../shared beside the project")
    spec = importlib.util.spec_from_file_location("shared_compare", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
