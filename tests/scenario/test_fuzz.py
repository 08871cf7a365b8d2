"""Hypothesis: no input, however broken, gets anything but a one-line ScenarioError out.

Arbitrary text, arbitrary single lines, and random mutations of every bundled
scenario (plus the scenarios below, so the test means something while the
package folder is still empty) either parse or fail with a ``FILE:LINE:``
error whose line exists.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapviz
from mapviz.errors import ScenarioError
from mapviz.scenario import Command, parse_line, parse_scenario
from mapviz.scenario.commands import SPECS
from mapviz.scenario.lexer import parse_number
from mapviz.scenario.numbers import short_bytes

# MAPVIZ_FUZZ_EXAMPLES=20000 for a long hunt; the default keeps each test to a few seconds.
EXAMPLES = int(os.environ.get("MAPVIZ_FUZZ_EXAMPLES", "500"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WRITTEN_HERE = [
    """\
%title Holes, mappings and SIGBUS   # every MAP_DIRECT step
%kernel map-direct-v5
%fs xfs blocksize=1k size=64m dax
open -f data
pwrite -S 0x61 -b 64k 0 64k
fsync
%expect ok
mmap -rw -D 0 64k
%expect ok
%note punching a pinned range is refused
fpunch 4k 4k
%expect ETXTBSY
mread 0 4k
mwrite -S 0x62 8k 4k
msync -s
munmap
mmap -A -D 4k
%expect EINVAL
mmap
mmap 0
%proc bob uid=1000 nocap
open -r data
%expect ok
%proc app
%extent 128k 8k 1m unwritten
fiemap -v
bmap -vp
stat -v
print
""",
    """\
%kernel map-direct-lease
%lease-break-time 10
open -f swap
falloc 0 1m
%swapon                # mkswap + swapon
%expect ok
fpunch 0 4k
%expect ETXTBSY
%swapoff
mmap -S 0 64k
%sleep 11.5
mwrite
%expect SIGBUS
chattr +i
lsattr -av
chattr -i
truncate 0x10000
""",
    """\
%title ext4 "remaps" it's not
%fs ext4 size=32m noreflink
open -f a
pwrite 0 1m
open -f -t 'b'
reflink a
reflink a 0 0 4k
dedupe a 0 4k 4k
swapext a
%expect ENOTTY
file 0
fzero -k 0 4k
fcollapse 4k 4k
finsert 4k 4k
funshare 0 4k
falloc -kp 0 4k
falloc -c 0 4k
falloc -u 0 4k
pread -qv -b 4k 0 4k
fdatasync
sync
close
%proc carol cap=CAP_LEASE,sys_admin
""",
]

BUNDLED = [
    path.read_text(encoding="utf-8")
    for path in sorted((Path(mapviz.__file__).parent / "scenarios").glob("*.scenario"))
]
CORPUS = WRITTEN_HERE + BUNDLED

# Words that mean something somewhere, and words that break things.
VOCABULARY = """
    %title %kernel %fs %proc %swapon %swapoff %lease-break-time %sleep %note %expect %extent
    -f -r -rw -A -S -S0x61 -b -kp -pc -- - +i -i -a
    0 4k 0x1000 1b 16m 16t 8s -1 1.5 0x 9223372036854775808 99999999999999999999t
    ok EINVAL SIGBUS sigbus uid=5 uid= cap= cap=sys_admin nocap blocksize=1k size=1b
    dax noreflink unwritten shared xfs ext4 mainline app bob ../x /x . a//b
"""
ODD = ["#", "'", '"', "\\", "%", "", " ", "\t", "\r", "\x00", "\x85", "\u2028", "\ufeff", "\u212a"]
WORDS = [*SPECS, *VOCABULARY.split(), *ODD]
GARBAGE_NUMBERS = [
    "",
    "-4k",
    "1.5k",
    "0x",
    "1e9",
    "kk",
    "9" * 40,
    "0x" + "f" * 40,
    "\u0661",
    "1\u212a",
]


def check(text: str, source: str = "fuzz.scenario") -> None:
    """The property: a Scenario, or a printable one-line error on a line that exists."""
    lines = len(text.split("\n"))
    try:
        scenario = parse_scenario(text, source)
    except ScenarioError as error:
        assert error.source == source
        assert 0 <= error.line <= lines, (error.line, lines)
        assert str(error).startswith(f"{source}:{error.line}: ")
        assert str(error).isprintable(), str(error)
        return
    item_lines = [item.line for item in scenario.items]
    assert item_lines == sorted(item_lines)
    assert all(1 <= line <= lines for line in item_lines)
    for command in scenario.commands:
        assert command.text and command.text == command.text.strip()


LINE = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="%#'\"\\ -=,.0123456789xkmgtsbKMGTSB+iaA", max_size=40),
    st.builds(" ".join, st.lists(st.sampled_from(WORDS), max_size=8)),
    st.builds(lambda word, rest: f"%{word} {rest}", st.sampled_from(WORDS), st.text(max_size=30)),
    st.builds(
        lambda word, count: word * count,
        st.sampled_from(["9", "a", "'", "-", "#", " ", "0x", "\\", '"', "%", "é"]),
        st.integers(1000, 50_000),
    ),
    st.builds(
        lambda head, n: head + "9" * n,
        st.sampled_from(["pwrite 0 ", "%sleep ", "file "]),
        st.integers(10, 10_000),
    ),
)


@FUZZ
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.lists(LINE, max_size=20), st.sampled_from(["\n", "\r\n"]))
def test_arbitrary_lines(lines: list[str], newline: str) -> None:
    check(newline.join(lines))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A corpus scenario after a few random edits."""
    lines = draw(st.sampled_from(CORPUS)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        edit = draw(
            st.sampled_from(["delete", "duplicate", "swap", "chars", "word", "number", "truncate"])
        )
        if not lines:
            lines = [""]
        if edit == "delete" and len(lines) > 1:
            del lines[i]
        elif edit == "duplicate":
            lines.insert(i, lines[i])
        elif edit == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif edit in ("chars", "word"):
            where = draw(st.integers(0, len(lines[i])))
            new = (
                draw(st.text(max_size=5))
                if edit == "chars"
                else " " + draw(st.sampled_from(WORDS)) + " "
            )
            lines[i] = lines[i][:where] + new + lines[i][where:]
        elif edit == "number":
            numbers = list(re.finditer(r"(0x[0-9a-fA-F]+|[0-9]+)[kmgtsbKMGTSB]?", lines[i]))
            if numbers:
                match = draw(st.sampled_from(numbers))
                new = draw(st.one_of(st.sampled_from(GARBAGE_NUMBERS), st.text(max_size=4)))
                lines[i] = lines[i][: match.start()] + new + lines[i][match.end() :]
        elif edit == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines)


def test_the_corpus_parses() -> None:
    for text in CORPUS:
        assert parse_scenario(text).items


@FUZZ
@given(mutated())
def test_mutated_scenarios(text: str) -> None:
    check(text)


@FUZZ
@given(st.one_of(LINE, st.text()), st.integers(0, 10**6))
def test_parse_line(text: str, line: int) -> None:
    try:
        item = parse_line(text, line=line, source="box")
    except ScenarioError as error:
        assert (error.source, error.line) == ("box", line)
        assert str(error).isprintable()
        return
    assert item is None or item.line == line
    if isinstance(item, Command):
        assert item.name in SPECS or item.name in ("swapon", "swapoff")


@settings(max_examples=500, deadline=None)
@given(st.integers(0, (1 << 63) - 1))
def test_numbers_round_trip(value: int) -> None:
    assert parse_number(str(value)) == value
    assert parse_number(hex(value)) == value
    assert parse_number(short_bytes(value)) == value
