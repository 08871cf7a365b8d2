"""One line per goal of the benchmark table: what was measured, against what, and the verdict.

Each ``bench_*`` module may expose ``rows(result) -> list[Row]`` turning its
``run()`` result into lines of the table that ``python -m benchmarks`` prints
at the end (and, with ``--markdown``, in the form the README's Performance
section uses).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    benchmark: str
    measured: str
    baseline: str  # the baseline measured in the same run, or why there is none
    ratio: str  # measured over baseline, as the goal reads it ("" when no baseline)
    goal: str
    met: bool | None  # None: not judged (no baseline on this machine)

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


HEADERS = ("benchmark", "measured", "baseline (same run)", "ratio", "goal", "")


def _cells(row: Row) -> tuple[str, ...]:
    return (row.benchmark, row.measured, row.baseline, row.ratio, row.goal, row.verdict)


def text_table(rows: list[Row]) -> str:
    lines = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    lines = [HEADERS, tuple("---" for _ in HEADERS), *(_cells(row) for row in rows)]
    return "\n".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines
    )


def ratio(measured: float, baseline: float) -> str:
    return f"{measured / baseline:.2f}x" if baseline else ""
