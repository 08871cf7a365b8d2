"""Every ``>>>`` example in mapviz/ is a test, and the README's plain ``pytest`` runs it.

pyproject's pytest ``addopts`` has ``--doctest-modules`` and its ``testpaths``
hold the package as well as tests/, so each docstring with examples is one
collected item (``mapviz/render/ticks.py::mapviz.render.ticks``).  No test
keeps its own list of modules to ``doctest.testmod``; what is left here is
that the collection stays configured and that the modules whose examples are
their documentation keep some.
"""

from __future__ import annotations

import doctest
import importlib
import shlex
import tomllib
from typing import Any

import pytest

from tests.conftest import ROOT

# The examples are how these modules explain themselves: each must keep at least one.
DOCUMENTED = [
    "mapviz.compare",
    "mapviz.core.fs",
    "mapviz.core.fs.ext4_geometry",
    "mapviz.core.fs.xfs_geometry",
    "mapviz.core.geometry",
    "mapviz.frontends.describe",
    "mapviz.frontends.quiz",
    "mapviz.frontends.session",
    "mapviz.frontends.stepper",
    "mapviz.realfs.export",
    "mapviz.realfs.records",
    "mapviz.realkernel.support",
    "mapviz.render.diagram",
    "mapviz.render.drawing",
    "mapviz.render.hatching",
    "mapviz.render.html",
    "mapviz.render.images",
    "mapviz.render.png",
    "mapviz.render.slide",
    "mapviz.render.svg",
    "mapviz.render.ticks",
    "mapviz.render.timeline",
    "mapviz.render.typeset",
    "mapviz.report.bmap_table",
    "mapviz.report.fiemap_table",
    "mapviz.scenario.bundled",
    "mapviz.scenario.commands",
    "mapviz.scenario.directives",
    "mapviz.scenario.lexer",
    "mapviz.scenario.numbers",
    "mapviz.scenario.parser",
]


def _pytest_options() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    options: dict[str, Any] = config["tool"]["pytest"]["ini_options"]
    return options


def test_plain_pytest_collects_the_package_doctests() -> None:
    options = _pytest_options()
    assert "--doctest-modules" in shlex.split(options["addopts"])
    # The package and the tests; never tools/, benchmarks/ or notebooks/.
    assert sorted(options["testpaths"]) == ["mapviz", "tests"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_module_keeps_its_examples(name: str) -> None:
    module = importlib.import_module(name)
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert examples > 0, f"{name} has no >>> examples left"
