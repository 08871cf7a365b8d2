"""The filesystem type is decided once, by its policy object, never by a branch in the core.

STYLE.md: "each difference is a method on ``core/fs/xfs.py`` or
``core/fs/ext4.py``, chosen once, citing its source, never an
``if fs.type == "ext4"`` in an op."  Every module of ``mapviz/core`` outside
``mapviz/core/fs`` is read (``ast``) for a comparison that tells the types
apart: against the literal name of a type, against ``config.type`` /
``fs_type`` / a policy's ``name``, or an ``isinstance`` test on a policy
class.  A table keyed by the name (one ``->fallocate`` per type) is not a
branch and stays allowed.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest

from mapviz.core.fs import FILESYSTEMS, FsPolicy
from mapviz.core.simulation import Simulation
from mapviz.scenario.syntax import FS_TYPES, FsConfig

CORE = Path(__file__).resolve().parents[2] / "mapviz" / "core"
POLICIES = CORE / "fs"
TYPE_NAMES = frozenset(FS_TYPES) | frozenset(FILESYSTEMS)
TYPE_ATTRIBUTES = frozenset({"fs_type"})  # plus X.config.type and X.policy.name
POLICY_CLASSES = frozenset(type(policy).__name__ for policy in FILESYSTEMS.values())


def _names_a_type(node: ast.expr) -> bool:
    """``"xfs"``, ``("xfs", "ext4")``, ``fs.config.type``, ``geometry.fs_type``, ``policy.name``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in TYPE_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_a_type(element) for element in node.elts)
    if isinstance(node, ast.Attribute):
        if node.attr in TYPE_ATTRIBUTES:
            return True
        owner = node.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return (node.attr, owner_name) in {("type", "config"), ("name", "policy")}
    return False


def type_branches(source: str, filename: str = "<string>") -> list[str]:
    """``filename:line: text`` of every comparison in ``source`` that tells filesystem types
    apart.

    >>> type_branches('if machine.fs.config.type == "xfs":\\n    pass\\n')
    ["<string>:1: machine.fs.config.type == 'xfs'"]
    >>> type_branches('HANDLERS = {"xfs": 1}\\nif fs.policy.shares_blocks:\\n    pass\\n')
    []
    """
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            if any(_names_a_type(operand) for operand in (node.left, *node.comparators)):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
            and any(
                isinstance(name, ast.Name) and name.id in POLICY_CLASSES
                for name in ast.walk(node.args[1])
            )
        ):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def _core_sources() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if POLICIES not in p.parents)


def test_the_scan_covers_the_operations_and_commands() -> None:
    scanned = {p.relative_to(CORE).parts[0] for p in _core_sources()}
    assert {"ops", "commands", "models", "filesystem.py", "geometry.py"} <= scanned
    assert not any(POLICIES in p.parents for p in _core_sources())


@pytest.mark.parametrize("path", _core_sources(), ids=lambda p: p.relative_to(CORE).as_posix())
def test_no_filesystem_type_branch_outside_the_policies(path: Path) -> None:
    found = type_branches(path.read_text("utf-8"), path.relative_to(CORE.parent).as_posix())
    assert not found, (
        "ask machine.fs.policy (mapviz/core/fs) instead of comparing filesystem types:\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    "source",
    [
        'if machine.fs.config.type == "xfs":\n    pass\n',
        'xfs = machine.fs.config.type != "ext4"\n',
        "if kind in ('xfs', 'ext4'):\n    pass\n",
        "if self.config.type == other:\n    pass\n",
        "if self.geometry.fs_type == 'xfs':\n    pass\n",
        'ok = machine.fs.policy.name == "ext4"\n',
        "if isinstance(machine.fs.policy, (Xfs, Ext4)):\n    pass\n",
        "x = 1 if 'ext4' == kind else 2\n",
    ],
)
def test_the_scan_catches_each_spelling(source: str) -> None:
    assert len(type_branches(source)) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        'FALLOCATE = {"xfs": 1, "ext4": 2}\nFALLOCATE[machine.fs.policy.name]\n',
        "if machine.fs.policy.shares_blocks and not machine.fs.config.dax:\n    pass\n",
        'raise E(f"{machine.fs.policy.name} cannot share blocks")\n',
        'if mode == "xfs_io":\n    pass\n',
    ],
)
def test_the_scan_leaves_questions_and_tables_alone(source: str) -> None:
    assert type_branches(source) == [], source


# --- the policies themselves -------------------------------------------------------------------


def test_every_parsed_type_has_a_policy() -> None:
    assert set(FS_TYPES) == set(FILESYSTEMS)
    for name, policy in FILESYSTEMS.items():
        assert policy.name == name and policy.summary


def _decisions() -> dict[str, object]:
    """The base class's decision points: methods and documented flags."""
    return {
        name: value
        for name, value in vars(FsPolicy).items()
        if not name.startswith("_") and name not in ("name", "summary")
    }


@pytest.mark.parametrize("name", sorted(FILESYSTEMS))
def test_every_policy_answers_every_question(name: str) -> None:
    policy = FILESYSTEMS[name]
    for decision, default in _decisions().items():
        answer = getattr(policy, decision)
        if callable(default):
            base = inspect.getsource(default)
            if "raise NotImplementedError" in base:
                assert getattr(type(policy), decision) is not default, (name, decision)
        else:
            assert isinstance(answer, bool) and isinstance(default, bool), (name, decision)


def test_the_types_differ_where_the_flags_say() -> None:
    xfs, ext4 = FILESYSTEMS["xfs"], FILESYSTEMS["ext4"]
    differing = [
        d
        for d, v in _decisions().items()
        if not callable(v) and getattr(xfs, d) != getattr(ext4, d)
    ]
    assert "shares_blocks" in differing and "buffered_iomap" in differing
    assert ext4.max_file_size(1024) == ((1 << 32) - 1) * 1024 < xfs.max_file_size(1024)
    assert ext4.delalloc_indlen(1, 4096) == 0 < xfs.delalloc_indlen(1, 4096)


def _rules(path: Path) -> list[tuple[str, str]]:
    """``(name, text)`` of each statement of each policy class body in ``path``, with the
    comments before it."""
    source = path.read_text("utf-8")
    lines = source.splitlines()
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    rules = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        previous = node.lineno
        for statement in node.body:
            assert statement.end_lineno is not None
            span = range(previous + 1, statement.end_lineno + 1)
            text = "\n".join(lines[i - 1] for i in span if i in comments)
            previous = statement.end_lineno
            target = (
                statement.name
                if isinstance(statement, ast.FunctionDef)
                else ast.unparse(statement).split(" ")[0]
            )
            if target not in ("name", "summary"):
                rules.append((target, text))
    return rules


SOURCE = re.compile(r"§\d|\b\w+\(\)|conformance README|docs/[\w-]+\.md")
"""What names a source: a kernel-semantics section, a kernel function, a recorded case or
a document of measurements."""


@pytest.mark.parametrize("module", ["xfs.py", "ext4.py"])
def test_every_rule_names_its_source(module: str) -> None:
    rules = _rules(POLICIES / module)
    assert len(rules) >= 5, rules
    silent = [name for name, comments in rules if not SOURCE.search(comments)]
    assert not silent, f"{module}: rules without a comment naming their source: {silent}"


def test_a_comment_without_a_source_does_not_count() -> None:
    assert not SOURCE.search("# XFS does this")
    assert SOURCE.search("# xfs_setattr_size() returns early") and SOURCE.search("# (§4.5)")


@pytest.mark.parametrize("fs_type", FS_TYPES)
def test_the_policy_is_chosen_once_and_kept(fs_type: str) -> None:
    sim = Simulation(FsConfig(type=fs_type, size=64 << 20), "mainline")
    fs = sim.machine.fs
    assert fs.policy is FILESYSTEMS[fs_type]
    assert fs.copy().policy is fs.policy
    assert fs.geometry.fs_type == fs_type
