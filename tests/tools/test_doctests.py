"""The ``>>>`` examples in tools/kernel_diff (pytest's --doctest-modules only looks in mapviz/)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["generate", "signature", "shrink", "campaign"]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    module = importlib.import_module(f"tools.kernel_diff.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
