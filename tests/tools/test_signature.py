"""Signatures and line numbers read back from real Divergence texts."""

from __future__ import annotations

import pytest

from mapviz.realkernel.normalise import compare_runs
from tests.tools.runs import file, run, step
from tools.kernel_diff.signature import crash_divergence, first_line_of, signature

REAL = run(
    step(5, "pwrite -S 0x61 0 4k", "ENOSPC", a=file(4096, (0, 4096, "written", False))),
    step(
        6,
        "falloc -kp 4k 8k",
        a=file(12288, (0, 4096, "written", False), (4096, 4096, "unwritten", False)),
        b=file(0),
    ),
)
SIMULATED = run(
    step(5, "pwrite -S 0x61 0 4k", a=file(8192, (0, 8192, "delalloc", False))),
    step(
        6,
        "falloc -kp 4k 8k",
        a=file(12288, (0, 4096, "written", False), (4096, 8192, "written", True)),
    ),
    step(7, "mread", "SIGBUS"),
)
DIVERGENCES = [str(d) for d in compare_runs(REAL, SIMULATED)]


def test_the_divergences_are_the_comparer_s_own_text() -> None:
    assert DIVERGENCES == [
        "line 5 `pwrite -S 0x61 0 4k`: result: real ENOSPC, simulated ok",
        "line 5 `pwrite -S 0x61 0 4k`: file a: size: real 4096, simulated 8192",
        "line 5 `pwrite -S 0x61 0 4k`: file a: layout: real [0,4k) data, simulated [0,8k) data",
        "line 6 `falloc -kp 4k 8k`: file a: layout: real [0,4k) data, [4k,8k) unwritten, "
        "[8k,12k) hole, simulated [0,4k) data, [4k,12k) data shared",
        "line 6 `falloc -kp 4k 8k`: file b: file: real present, simulated absent",
        "line 7 `mread`: step: real missing, simulated ran",
    ]


def test_first_line_of_each() -> None:
    assert [first_line_of(d) for d in DIVERGENCES] == [5, 5, 5, 6, 6, 7]
    assert first_line_of("not a divergence") is None
    assert first_line_of(crash_divergence(ValueError("x"))) == 0


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, "pwrite -S: result: real ENOSPC, simulated ok"),
        (1, "pwrite -S: size <"),
        (2, "pwrite -S: layout eof->data"),
        (3, "falloc -kp: layout unwritten->data shared"),
        (4, "falloc -kp: file: real present, simulated absent"),
        (5, "mread: step: real missing, simulated ran"),
    ],
)
def test_signature_of_each(index: int, expected: str) -> None:
    assert signature(DIVERGENCES[index]) == expected


def test_signatures_ignore_offsets_sizes_and_file_names() -> None:
    one = "line 9 `fpunch 4k 8k`: file a: size: real 100, simulated 8192"
    other = "line 30 `fpunch 0 64k`: file c: size: real 0, simulated 1"
    assert signature(one) == signature(other) == "fpunch: size <"
    bigger = "line 30 `fpunch 0 64k`: file c: size: real 9, simulated 1"
    assert signature(bigger) == "fpunch: size >"


def test_flag_words_are_sorted_but_keep_their_letters() -> None:
    assert signature("line 1 `pwrite -w -S 0x61 0 4k`: result: real EIO, simulated ok") == (
        "pwrite -S -w: result: real EIO, simulated ok"
    )
    assert signature("line 1 `falloc -pk 0 4k`: file a: size: real 1, simulated 2") == (
        "falloc -pk: size <"
    )


def test_a_crash_and_unknown_text() -> None:
    assert signature(crash_divergence(KeyError(12))) == "crash: simulator raised KeyError(N)"
    assert signature("something odd at 123\nmore") == "something odd at N"
