"""``mapviz run FILE|NAME``: simulate a scenario and print what happened."""

from __future__ import annotations

import argparse
import sys

from mapviz.errors import MapvizError
from mapviz.scenario import KERNEL_MODELS, load_scenario
from mapviz.scenario.directives import scenario_under


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="simulate a scenario and print a transcript (or --json)",
        description="Run a scenario (a file, or the name of a bundled one: see "
        "`mapviz scenarios`). Exit status: 0 every %%expect held, 1 one failed, 2 bad input.",
    )
    parser.add_argument(
        "scenario",
        metavar="FILE|NAME",
        help="a scenario file, a bundled scenario's name, or - for standard input",
    )
    parser.add_argument("--json", action="store_true", help="print SCENARIO.md's schema 1 JSON")
    parser.add_argument(
        "--changes",
        action="store_true",
        help="with --json: each step lists only the files it changed (SCENARIO.md, "
        "`mapviz run --json --changes`)",
    )
    parser.add_argument("--kernel", choices=KERNEL_MODELS, help="override the scenario's %%kernel")
    parser.add_argument("--brief", action="store_true", help="leave out each step's events")
    parser.add_argument(
        "--check",
        action="store_true",
        help="assert every simulator invariant after every step (slow)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="also run it on the real kernel (root, loop devices, xfsprogs) and print real "
        "vs simulated step by step; exit 0 all agree, 1 a step diverges, 2 cannot run here",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every `mapviz` command builds this parser.
    from mapviz.core.simulation import Simulation
    from mapviz.report.json_report import stream_run_json
    from mapviz.report.transcript import transcript

    if args.changes and not args.json:
        raise MapvizError("mapviz run: --changes needs --json")
    if args.real:
        # The real-kernel runner (testbed, recorder, xfs_io driver) only when asked for:
        # a sixth of a plain run's start-up.
        from mapviz.cli.real import run_on_real_kernel

        return run_on_real_kernel(args)
    scenario = load_scenario(args.scenario)
    kernel = args.kernel or scenario.kernel
    sim = Simulation(
        scenario.fs, kernel, source=scenario.source, record_files=False, check=args.check
    )
    items = scenario_under(scenario, kernel).items  # each %note as it reads there
    sim.run(items)
    if args.json:
        # Run again, writing each step as it ends: the first run said whether every
        # %expect held (the document says so first), and no step's views are kept.
        again = Simulation(scenario.fs, kernel, source=scenario.source, record_files=False)
        write = sys.stdout.write
        for piece in stream_run_json(
            again, items, scenario, ok=not sim.failures, changes=args.changes
        ):
            write(piece)
    else:
        for line in transcript(sim, scenario.title, events=not args.brief):
            print(line)
    for step in sim.failures:
        print(
            f"{scenario.source}:{step.line}: expected {step.expect}, got {step.result} "
            f"(`{step.command}`)",
            file=sys.stderr,
        )
    return 1 if sim.failures else 0
