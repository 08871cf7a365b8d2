"""Whole scenarios and single lines (mapviz.scenario.parser)."""

from __future__ import annotations

import pytest

from mapviz.errors import MapvizError, ScenarioError
from mapviz.scenario import (
    Command,
    Expect,
    ExtentSpec,
    FsConfig,
    Note,
    Proc,
    Scenario,
    parse_line,
    parse_scenario,
)

PUNCH = """\
%title fpunch frees whole blocks only   # shown in views
%kernel mainline
%fs xfs blocksize=1k size=32m

# a comment line, then a blank one

open -f data
pwrite -S 0x61 0 16b     # sixteen 1k blocks
fsync
%expect ok
%note the hole is one block
fpunch 4b 1b
%expect ok
%proc bob uid=1000
open -r data
%expect EACCES
"""


def test_a_whole_scenario() -> None:
    scenario = parse_scenario(PUNCH, "cases/punch.scenario")
    assert scenario.name == "punch"
    assert scenario.source == "cases/punch.scenario"
    assert scenario.text == PUNCH
    assert scenario.title == "fpunch frees whole blocks only"
    assert scenario.kernel == "mainline"
    assert scenario.fs == FsConfig("xfs", 1024, 32 << 20, False, True)
    assert scenario.items == (
        Command(7, "open -f data", "open", "f", (), ("data",)),
        Command(8, "pwrite -S 0x61 0 16b", "pwrite", "", (("S", 0x61),), (0, 16384)),
        Command(9, "fsync", "fsync"),
        Expect(10, "ok"),
        Note(11, "the hole is one block"),
        Command(12, "fpunch 4b 1b", "fpunch", args=(4096, 1024)),
        Expect(13, "ok"),
        Proc(14, "bob", uid=1000),
        Command(15, "open -r data", "open", "r", (), ("data",)),
        Expect(16, "EACCES"),
    )
    assert [command.line for command in scenario.commands] == [7, 8, 9, 12, 15]


def test_defaults() -> None:
    scenario = parse_scenario("")
    assert scenario == Scenario(name="<scenario>", source="<scenario>", text="", title="<scenario>")
    assert scenario.kernel == "map-direct-v5"
    assert scenario.fs == FsConfig()
    assert parse_scenario("fsync", "a/b/case.scenario", name="nice").name == "nice"


def test_crlf_and_byte_order_mark() -> None:
    scenario = parse_scenario("\ufeff%title t\r\nopen -f a\r\n%expect ok\r\n")
    assert scenario.title == "t"
    assert scenario.items == (Command(2, "open -f a", "open", "f", (), ("a",)), Expect(3, "ok"))


def test_only_newline_ends_a_line() -> None:
    # Form feeds and other Unicode line separators do not start a new line.
    scenario = parse_scenario("fsync\x0c\nsync\n")
    assert [command.line for command in scenario.commands] == [1, 2]
    with pytest.raises(ScenarioError) as info:
        parse_scenario("fsync\nfsync\u2028sync\n", "s.scenario")
    assert str(info.value) == (
        's.scenario:2: unknown command "fsync\\u2028sync" (did you mean "fsync"?)'
    )


def test_errors_name_file_and_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario("open -f a\n\n# c\npwrtie 0 4k\n", "x.scenario")
    error = info.value
    assert (error.source, error.line) == ("x.scenario", 4)
    assert str(error) == 'x.scenario:4: unknown command "pwrtie" (did you mean "pwrite"?)'
    assert isinstance(error, MapvizError)


def test_the_first_error_wins() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario("bad1\nbad2\n", "x.scenario")
    assert info.value.line == 1


def test_header_after_notes_processes_and_sleep() -> None:
    scenario = parse_scenario("%note n\n%proc bob\n%sleep 1\n%kernel map-sync\n%fs ext4\nfsync\n")
    assert (scenario.kernel, scenario.fs.type) == ("map-sync", "ext4")


def test_title_may_come_anywhere_once() -> None:
    assert parse_scenario("fsync\n%title late\n").title == "late"


# -- parse_line


def test_parse_line() -> None:
    assert parse_line("") is None
    assert parse_line("   ") is None
    assert parse_line("# comment 'with quote") is None
    assert parse_line("fsync\n") == Command(1, "fsync", "fsync")
    assert parse_line("fsync\r\n", line=5) == Command(5, "fsync", "fsync")
    assert parse_line("pwrite 0 1b", fs=FsConfig(blocksize=2048)) == Command(
        1, "pwrite 0 1b", "pwrite", args=(0, 2048)
    )
    assert parse_line("%expect ok") == Expect(1, "ok")
    assert parse_line("%note hi # c") == Note(1, "hi")
    assert parse_line("%extent 0 2b", fs=FsConfig(blocksize=1024)) == ExtentSpec(1, 0, 2048)
    assert parse_line("%swapon") == Command(1, "%swapon", "swapon")
    # Credentials are checked across lines by the caller, not here.
    assert parse_line("%proc app uid=5") == Proc(1, "app", uid=5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%title x", "%title can only be set when a scenario starts, not here"),
        ("%kernel mainline", "%kernel can only be set when a scenario starts, not here"),
        ("%fs ext4", "%fs can only be set when a scenario starts, not here"),
        ("fsync\nsync", "one line at a time: the text holds a line break"),
        ("pwrtie 0 1", 'unknown command "pwrtie" (did you mean "pwrite"?)'),
        ("  %fs btrfs", "%fs can only be set when a scenario starts, not here"),
        ("%fsx", 'unknown directive "%fsx" (did you mean "%fs"?)'),
    ],
)
def test_parse_line_errors(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_line(text, line=3, source="box")
    assert str(info.value) == f"box:3: {message}"
