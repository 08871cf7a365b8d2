"""``mapviz conformance DIR``: hold the simulator to a suite of real-kernel recordings."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="compare the simulator with a suite of real-kernel recordings",
        description="Run every DIR/NAME.scenario and compare it with DIR/NAME.expected.json "
        "(recorded with `mapviz run --real --json`) after the normalisation of "
        "docs/conformance.md. Prints PASS, FAIL (first difference) or ERROR per case, then "
        "`N passed, M failed`. Exit status: 0 every case passed, 1 one did not, 2 bad input.",
    )
    parser.add_argument("suite", metavar="DIR", type=Path)
    parser.add_argument(
        "--cmd",
        metavar="COMMAND",
        help="run COMMAND instead of the in-process simulator and read its stdout as "
        "`mapviz run --json`, with or without --changes ({} is the scenario's path), "
        "e.g. 'mapviz run --json {}'",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print every difference of a failing case"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mapviz.realkernel.conformance import (
        check_suite,
        simulate_in_process,
        simulate_with,
        summary,
    )

    simulate = simulate_with(args.cmd) if args.cmd else simulate_in_process
    results = []
    for result in check_suite(args.suite, simulate):
        results.append(result)
        print(result.line(), flush=True)
        if args.verbose:
            for divergence in result.divergences[1:]:
                print(f"    {divergence}")
    print(summary(results))
    return 0 if all(result.passed for result in results) else 1
