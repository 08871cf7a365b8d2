"""The ``>>>`` examples in the scenario modules' docstrings hold."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from mapviz.scenario import bundled, commands, directives, lexer, numbers, parser


@pytest.mark.parametrize(
    "module", [bundled, commands, directives, lexer, numbers, parser], ids=lambda m: m.__name__
)
def test_examples(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module, report=True)
    assert tried > 0 and failures == 0
