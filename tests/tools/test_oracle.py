"""The oracle's pure parts: restart trimming, judging two runs, the racy-flush test."""

from __future__ import annotations

import copy
from typing import Any

from tests.tools.runs import file, run, step
from tools.kernel_diff.oracle import after_async_flush, judge, trim_restarts

A4K = file(4096, (0, 4096, "written", False))
A8K = file(8192, (0, 8192, "written", False))


def restarted(one: dict[str, Any]) -> dict[str, Any]:
    """A step as the recorder writes it when the command killed xfs_io."""
    return {**one, "restarted": True}


def test_trim_restarts_stops_both_runs_at_the_restarted_step() -> None:
    real = run(
        step(4, "pwrite 0 4k", a=A4K),
        restarted(step(6, "mwrite 4096 1", "SIGBUS", a=A8K)),
        step(7, "pwrite 0 8k", a=A8K),
    )
    simulated = run(
        step(4, "pwrite 0 4k", a=A4K),
        step(6, "mwrite 4096 1", "SIGBUS", a=A4K),
        step(7, "pwrite 0 8k", a=file(8192)),
    )
    before = copy.deepcopy((real, simulated))
    trimmed_real, trimmed_simulated = trim_restarts(real, simulated)
    assert [s["line"] for s in trimmed_real["steps"]] == [4, 6]
    assert [s["line"] for s in trimmed_simulated["steps"]] == [4, 6]
    # The restarted step's snapshot came after the dead xfs_io's ->release(): not compared.
    assert trimmed_real["steps"][1]["files"] == trimmed_simulated["steps"][1]["files"] == {}
    assert trimmed_real["steps"][0]["files"] == {"a": A4K}
    assert (real, simulated) == before  # the arguments are left as they were
    assert judge(real, simulated).status == "match"


def test_the_restarted_step_s_result_still_counts() -> None:
    real = run(restarted(step(6, "mwrite 4096 1", "SIGBUS")), step(7, "fsync"))
    simulated = run(step(6, "mwrite 4096 1", "ok"), step(7, "fsync"))
    outcome = judge(real, simulated)
    assert outcome.status == "diverge"
    assert outcome.diffs == ["line 6 `mwrite 4096 1`: result: real SIGBUS, simulated ok"]
    assert outcome.first_line == 6


def test_no_restart_no_trim() -> None:
    real = run(step(4, "pwrite 0 4k", a=A4K))
    assert trim_restarts(real, real) == (real, real)


def test_judge_match_and_diverge() -> None:
    real = run(step(4, "pwrite 0 4k", a=A4K))
    assert judge(real, real).status == "match"
    outcome = judge(real, run(step(4, "pwrite 0 4k", a=A8K)))
    assert outcome.status == "diverge"
    assert outcome.signature == "pwrite: size <"
    assert outcome.real is not None and outcome.simulated is not None


def flushed(one: dict[str, Any], why: str) -> dict[str, Any]:
    return {**one, "events": [{"kind": "writeback", "why": why}]}


def test_a_divergence_after_an_asynchronous_flush_is_racy() -> None:
    real = run(
        step(4, "truncate 1k", a=file(1024, (0, 4096, "unwritten", False))),
        step(5, "close", a=file(1024, (0, 4096, "unwritten", False))),
    )
    why = 'close after a truncate down starts writeback (the "NULL files" heuristic)'
    simulated = run(
        step(4, "truncate 1k", a=file(1024, (0, 4096, "unwritten", False))),
        flushed(step(5, "close", a=file(1024, (0, 4096, "written", False))), why),
    )
    outcome = judge(real, simulated)
    assert outcome.status == "racy"
    assert outcome.signature == "close: layout unwritten->data"


def test_after_async_flush_looks_at_and_before_the_line_only() -> None:
    simulated = run(
        step(4, "fsync"),
        flushed(step(5, "close"), "close after a truncate to 0 allocates the delalloc blocks"),
    )
    assert after_async_flush(simulated, 5)
    assert after_async_flush(simulated, 9)
    assert not after_async_flush(simulated, 4)
    assert not after_async_flush(simulated, None)
