"""``mapviz compare SCENARIO --kernel A --kernel B ...``: one scenario, several kernel models.

Prints a step-by-model table of results with the scenario's own ``%expect``,
marks the steps where the models differ, and lists below the table the
story (:func:`mapviz.compare.story`: ``ok after 45 s · mapping revoked``) and
the ``why`` of every cell of those steps.  ``--json`` prints the structure
documented in :mod:`mapviz.compare`.  Exit status 0 (the comparison is a
report, not a check), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mapviz.cli.output import check_target, write_atomic
from mapviz.scenario import KERNEL_MODELS, load_scenario

if TYPE_CHECKING:
    from mapviz.compare import ModelComparison

MARK = "*"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="run a scenario under several kernel models and tabulate the results",
        description="Run a scenario (a file or a bundled name) under each --kernel model "
        "(default: all four) and print a step x model table of results; steps where the "
        "models differ are marked, and the why of each of their cells is listed below.",
    )
    parser.add_argument("scenario", metavar="SCENARIO")
    parser.add_argument(
        "--kernel",
        action="append",
        metavar="MODEL",
        help=f"a model to compare (repeat it; one of {', '.join(KERNEL_MODELS)})",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the comparison as JSON")
    output.add_argument(
        "--html",
        metavar="OUT",
        help="write the models' views side by side, with one shared "
        "step control, as one offline HTML page",
    )
    parser.add_argument(
        "--theme",
        choices=("light", "dark", "talk"),
        default="light",
        help="the page's theme (with --html)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mapviz.compare import compare_models, comparison_json, parse_models  # runs the core

    output = Path(args.html) if args.html is not None else None
    if output is not None:
        check_target(output, force=args.force, command="mapviz compare")
    models = parse_models(args.kernel)
    comparison = compare_models(load_scenario(args.scenario), models, record_files=False)
    if output is not None:
        from mapviz.render.compare_page import comparison_html  # Bokeh only when asked

        html = comparison_html(comparison.scenario, comparison_json(comparison), args.theme)
        page = html.encode("utf-8")
        write_atomic(output, page, force=args.force, command="mapviz compare")
        print(f"wrote {output} ({len(page) / 1e6:.1f} MB)")
    elif args.json:
        json.dump(comparison_json(comparison), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for line in table(comparison):
            print(line)
    return 0


def table(comparison: ModelComparison) -> Iterator[str]:
    """The lines of the text table and the why list below it."""
    scenario = comparison.scenario
    yield f"{scenario.name}: {scenario.title}"
    yield f"its own model: {scenario.kernel} · {scenario.fs.describe()}"
    yield ""
    headers = ["line", "command", "%expect", *comparison.models]
    body = [
        [
            str(row.line),
            row.command,
            row.expect or "",
            *(row.cells[model].result for model in comparison.models),
        ]
        for row in comparison.rows
    ]
    widths = [max(len(cells[i]) for cells in [headers, *body]) for i in range(len(headers))]

    def format_row(mark: str, cells: list[str]) -> str:
        line = "  ".join(
            cell.rjust(width) if i == 0 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return f"{mark} {line}".rstrip()

    yield format_row(" ", headers)
    for row, cells in zip(comparison.rows, body, strict=True):
        yield format_row(MARK if row.differs else " ", cells)
    yield ""
    differing = comparison.differing
    if not differing:
        yield f"{len(comparison.rows)} steps: every model ends every step the same way"
        return
    yield (
        f"{len(differing)} of {len(comparison.rows)} steps differ between the models "
        f"(marked {MARK})"
    )
    yield ""
    yield "Why, where the models differ:"
    width = max(len(model) for model in comparison.models)
    for row in differing:
        yield f"  line {row.line}: {row.command}"
        for model in comparison.models:
            cell = row.cells[model]
            # The story: the result, any wait, what else happened ("ok after 45 s · mapping
            # revoked"); then why, for a step that did not end ok.
            why = f": {cell.why}" if cell.why else ""
            yield f"    {model + ':':<{width + 1}} {cell.story or cell.result}{why}"
