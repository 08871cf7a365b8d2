"""Which part of mapviz may import which: one table, checked against every import.

Every ``import`` and ``from ... import`` statement in every module of the
``mapviz`` package is read from the source (``ast``), wherever it stands:
at module level, inside a function or method (the lazy "only when asked"
imports), under ``try:`` or ``if TYPE_CHECKING:``.  Relative imports are
resolved to absolute names, and ``importlib.import_module("mapviz....")``
with a literal (or literal-prefixed f-string) name counts too.

**TYPE_CHECKING-only imports count.**  An annotation naming a class of a
later layer is still a dependency on that layer: the module's meaning
refers to it, mypy follows it, and it is one refactoring away from a real
import.  One rule for every import keeps the table honest.

A *unit* is a subpackage of ``mapviz`` (``core``, ``view``, ...) or a
top-level module (``compare``, ``errors``, ...).  Imports within a unit are
free; between units they must be an edge of :data:`MAY_IMPORT`.  The
intended direction, an arrow meaning "may be imported by"::

    scenario -> core -> view -> render -> frontends -> cli

with ``report``, ``compare`` and ``realfs`` beside ``view`` (on the core and
the scenario), ``realkernel`` on those and ``realfs`` and ``report``, and the
leaves ``errors`` and ``_version`` (no mapviz imports) below everything;
``citations`` (no mapviz imports either) serves ``render`` and above.

``realfs`` reads real files' block maps (and replays one in the simulator:
``simulation_from_file``); ``realkernel`` runs scenarios on the real kernel
and compares with the simulator's run JSON (``report``).  Neither may be
imported by scenario, core, view, report or render.  Inside the core,
:data:`WITHIN_CORE` keeps the filesystem policies (``mapviz/core/fs``) below
the operations that ask them.  ``mapviz/__init__`` is the public facade (lazy
attributes); nothing inside the package imports it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mapviz"

# The one table.  unit: the other units it may import (a unit's own modules are always fine).
# fmt: off
_APPLICATION = (
    "errors _version citations scenario core view report render compare realfs realkernel"
)
MAY_IMPORT: dict[str, frozenset[str]] = {unit: frozenset(allowed.split()) for unit, allowed in {
    "errors":     "",  # MapvizError and friends: every layer raises them
    "_version":   "",  # __version__, for headers and --version
    "citations":  "",  # "§2.2" -> that section of docs/ (links in the pages)
    "scenario":   "errors",
    "core":       "errors scenario",
    "view":       "errors scenario core",
    "report":     "errors _version scenario core",  # a trace as text and JSON
    "compare":    "errors scenario core",  # the data behind `mapviz compare`
    "realfs":     "errors scenario core",  # real block maps; replays one in the core
    "realkernel": "errors scenario core realfs report",  # real runs vs the simulator's JSON
    "render":     "errors _version citations scenario core view",  # Bokeh
    # mapviz site: the static site; its worker.py runs in Pyodide (no Bokeh, no numpy there)
    "site":       "errors _version citations scenario core view render compare",
    "frontends":  _APPLICATION,
    "cli":        _APPLICATION + " frontends site",
    "__main__":   "cli",
    "__init__":   "_version core realfs frontends",  # the public facade (lazy attributes)
}.items()}
# fmt: on

# Inside the core, one package has a rule of its own: the filesystem policies
# (mapviz/core/fs, DESIGN.md "Filesystem types") answer questions the operations ask
# (``machine.fs.policy``), so they see the core's data and never its operations,
# commands, models or machine.  package: the other core modules it may import.
WITHIN_CORE: dict[str, frozenset[str]] = {
    "mapviz.core.fs": frozenset(
        {"mapviz.core.geometry", "mapviz.core.inode", "mapviz.core.outcome"}
    ),
}

GUI_STACK = frozenset({"bokeh", "ipywidgets", "traitlets", "IPython", "jupyter_bokeh", "tornado"})
GUI_FREE = (
    "errors",
    "_version",
    "citations",
    "scenario",
    "core",
    "view",
    "report",
    "compare",
    "realfs",
    "realkernel",
)
"""Units that import no GUI stack, not even lazily."""
THIRD_PARTY_ONLY = {
    "core": frozenset({"sortedcontainers"}),
    "scenario": frozenset(),
    "errors": frozenset(),
    "_version": frozenset(),
}
"""Units limited to the standard library plus these distributions (the core and what it
may import: ``import mapviz.core`` needs nothing but sortedcontainers)."""


@dataclass(frozen=True, slots=True)
class Import:
    """One imported name, resolved: ``where`` is ``path:line``."""

    where: str
    target: str  # absolute dotted module name ("mapviz.core.memory", "bokeh.models")
    text: str  # the statement, for messages


def unit_of_module(module: str) -> str:
    """``mapviz.core.ops.pages`` -> ``core``; ``mapviz.compare`` -> ``compare``; ``mapviz`` ->
    ``__init__``."""
    parts = module.split(".")
    assert parts[0] == "mapviz", module
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(
    source: str,
    module: str,
    *,
    is_package: bool = False,
    filename: str = "<string>",
    submodules: frozenset[str] = frozenset(),
) -> Iterator[Import]:
    """Every import in ``source`` (module ``module``), at any depth, resolved to absolute names.

    ``submodules`` are the names directly under ``mapviz`` that are modules, so that
    ``from mapviz import core`` is an import of ``mapviz.core`` (not of the facade).
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(where, alias.name, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = ", ".join(alias.name for alias in node.names)
            text = f"from {'.' * node.level}{node.module or ''} import {names}"
            if target == "mapviz":  # from mapviz import core / __version__
                for alias in node.names:
                    name = f"mapviz.{alias.name}" if alias.name in submodules else "mapviz"
                    yield Import(where, name, f"from mapviz import {alias.name}")
            else:
                yield Import(where, target, text)
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            name = _literal_prefix(node.args[0])
            if name:
                yield Import(where, name.rstrip("."), f"import_module({name!r}...)")


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id in ("import_module", "__import__")
    )


def _literal_prefix(arg: ast.expr) -> str | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:
        first = arg.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def violations(importer: str, imports: Iterator[Import] | list[Import]) -> list[str]:
    """The imports of a module of unit ``importer`` that break the rules, one message each."""
    found = []
    for imp in imports:
        top = imp.target.split(".")[0]
        if top == "mapviz":
            target = unit_of_module(imp.target)
            if target != importer and target not in MAY_IMPORT[importer]:
                found.append(
                    f"{imp.where}: forbidden edge {importer} -> {target} ({imp.text}); "
                    f"{importer} may import only {sorted(MAY_IMPORT[importer])}"
                )
        elif not top:
            found.append(f"{imp.where}: unresolvable import ({imp.text})")
        elif importer in GUI_FREE and top in GUI_STACK:
            found.append(f"{imp.where}: forbidden edge {importer} -> {top} (GUI stack; {imp.text})")
        elif (
            importer in THIRD_PARTY_ONLY
            and top not in sys.stdlib_module_names
            and top not in THIRD_PARTY_ONLY[importer]
        ):
            found.append(
                f"{imp.where}: forbidden edge {importer} -> {top} (third party; "
                f"{importer} may use only the standard library and "
                f"{sorted(THIRD_PARTY_ONLY[importer])})"
            )
    return found


def _submodules() -> frozenset[str]:
    return frozenset(
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py") or (p / "__init__.py").is_file()
    )


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _check(path: Path) -> list[str]:
    module = module_name(path)
    rel = path.relative_to(PACKAGE.parent).as_posix()
    imports = imports_in(
        path.read_text(encoding="utf-8"),
        module,
        is_package=path.name == "__init__.py",
        filename=rel,
        submodules=_submodules(),
    )
    return violations(unit_of_module(module), list(imports))


def test_every_unit_is_in_the_table() -> None:
    units = {unit_of_module(module_name(p)) for p in _sources()}
    assert units == set(MAY_IMPORT), (
        f"not in MAY_IMPORT: {sorted(units - set(MAY_IMPORT))}; "
        f"in MAY_IMPORT but gone: {sorted(set(MAY_IMPORT) - units)}"
    )
    for unit, allowed in MAY_IMPORT.items():
        assert allowed <= set(MAY_IMPORT), (unit, allowed - set(MAY_IMPORT))


@pytest.mark.parametrize("package", sorted(WITHIN_CORE))
def test_core_packages_follow_their_own_rule(package: str) -> None:
    directory = PACKAGE.parent.joinpath(*package.split("."))
    sources = sorted(directory.rglob("*.py"))
    assert sources, package
    found = []
    for path in sources:
        module = module_name(path)
        imports = imports_in(
            path.read_text(encoding="utf-8"),
            module,
            is_package=path.name == "__init__.py",
            filename=path.relative_to(PACKAGE.parent).as_posix(),
        )
        for imp in imports:
            inside = imp.target == package or imp.target.startswith(package + ".")
            allowed = inside or imp.target in WITHIN_CORE[package]
            if imp.target.startswith("mapviz.core") and not allowed:
                found.append(f"{imp.where}: {package} may not import {imp.target}")
    assert not found, "\n".join(found)


def _reachable(unit: str) -> set[str]:
    """The units ``unit`` may import, directly or through others."""
    seen: set[str] = set()
    todo = [unit]
    while todo:
        for nxt in MAY_IMPORT[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_third_party_rules_hold_through_the_table() -> None:
    # A GUI-free unit may import only GUI-free units; the core's own dependencies are as
    # limited as the core (so the per-file check below covers all `import mapviz.core` loads).
    for unit in GUI_FREE:
        assert _reachable(unit) <= set(GUI_FREE), (unit, _reachable(unit) - set(GUI_FREE))
    for unit, allowed in THIRD_PARTY_ONLY.items():
        for below in _reachable(unit):
            assert THIRD_PARTY_ONLY.get(below, frozenset({"?"})) <= allowed, (unit, below)


def test_nothing_but_the_facade_above_it_imports_the_facade() -> None:
    # `from mapviz import X` inside the package would tie a layer to mapviz/__init__'s
    # lazy public names (MapViz: the notebook stack).
    assert not any("__init__" in allowed for allowed in MAY_IMPORT.values())


def test_the_table_has_no_cycles() -> None:
    cyclic = [unit for unit in MAY_IMPORT if unit in _reachable(unit)]
    assert not cyclic, cyclic


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_follow_the_table(path: Path) -> None:
    found = _check(path)
    assert not found, "\n".join(found)


# --- the checker itself ------------------------------------------------------------------------


def _synthetic(source: str, module: str = "mapviz.core.fake", **kw: bool) -> list[str]:
    imports = list(
        imports_in(
            source,
            module,
            filename="fake.py",
            submodules=frozenset({"core", "render", "realfs"}),
            **kw,
        )
    )
    return violations(unit_of_module(module), imports)


def test_checker_catches_an_import_inside_a_function() -> None:
    source = (
        "def later():\n"
        "    if True:\n"
        "        from mapviz.render.html import standalone_html\n"
        "    return standalone_html\n"
    )
    (message,) = _synthetic(source)
    assert message.startswith("fake.py:3: forbidden edge core -> render"), message


def test_checker_catches_type_checking_relative_and_dynamic_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "from . import extents\n"  # mapviz.core.extents: fine
        "if TYPE_CHECKING:\n"
        "    from ..realfs.blockmap import BlockMap\n"
        "class C:\n"
        "    def m(self):\n"
        "        import bokeh.models\n"
        "        return importlib.import_module(f'mapviz.render.{self}')\n"
        "from mapviz import realfs, __version__\n"
    )
    found = {(m.split(":")[1], m.split(": ", 1)[1].split(" (")[0]) for m in _synthetic(source)}
    assert found == {
        ("5", "forbidden edge core -> realfs"),  # TYPE_CHECKING, relative
        ("8", "forbidden edge core -> bokeh"),  # in a method
        ("9", "forbidden edge core -> render"),  # import_module(f"mapviz.render.{...}")
        ("10", "forbidden edge core -> realfs"),  # from mapviz import realfs
        ("10", "forbidden edge core -> __init__"),  # from mapviz import __version__
    }


def test_relative_imports_resolve_from_a_package_init() -> None:
    imports = list(
        imports_in(
            "from .ops import pages\nfrom .. import errors\n",
            "mapviz.core",
            is_package=True,
            submodules=frozenset({"errors"}),
        )
    )
    assert [i.target for i in imports] == ["mapviz.core.ops", "mapviz.errors"]


# --- what the AST cannot see: the command line starts without the GUI stack ---------------------

FORBIDDEN = GUI_STACK  # the name tests/frontends/test_session.py imports


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def _imported_by(module: str) -> set[str]:
    """Modules importing ``module`` adds to a bare interpreter (site hooks excluded): what
    its module-level imports pull in, transitively (lazy imports inside functions excluded)."""
    baseline = _modules_after("pass")
    return _modules_after(f"import importlib; importlib.import_module({module!r})") - baseline


@pytest.mark.parametrize("module", ["mapviz", "mapviz.cli", "mapviz.realfs"])
def test_starting_up_imports_no_gui_stack(module: str) -> None:
    """``import mapviz``, ``mapviz --help`` and ``mapviz fiemap`` stay fast: Bokeh only
    inside the handlers that draw."""
    leaked = sorted(m for m in _imported_by(module) if m.split(".")[0] in GUI_STACK)
    assert not leaked, f"import {module} imports {leaked}"


def test_reading_a_block_map_loads_no_simulator() -> None:
    """``mapviz fiemap`` (text, JSON) reads block maps only: the replay is imported when asked."""
    loaded = sorted(m for m in _imported_by("mapviz.realfs") if m.startswith("mapviz.core"))
    assert not loaded, loaded
