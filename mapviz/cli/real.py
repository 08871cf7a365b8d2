"""``mapviz run --real``: the handler behind the flag (``mapviz run`` dispatches here)."""

from __future__ import annotations

import argparse
import json
import sys

from mapviz.core.changes import only_changes_document
from mapviz.realkernel.runner import run_real
from mapviz.realkernel.sidebyside import side_by_side
from mapviz.realkernel.testbed import Interrupted
from mapviz.scenario import load_scenario


def run_on_real_kernel(args: argparse.Namespace) -> int:
    """Run the scenario for real and beside the simulator.

    Exit status: 0 every step agrees, 1 a step diverges, 2 the scenario or
    this machine cannot run it, 3 the machine failed on the way.  With
    ``--json`` the real run is printed as ``mapviz run --json`` would print
    a simulation, and the divergences go to stderr.
    """
    scenario = load_scenario(args.scenario)
    try:
        run = run_real(scenario, kernel=args.kernel, check=args.check)
    except Interrupted as signal:
        # The testbed has been cleaned up on the way out.
        print(f"mapviz run --real: interrupted by {signal}", file=sys.stderr)
        return 128 + signal.signum
    if args.json:
        json.dump(
            only_changes_document(run.real) if args.changes else run.real, sys.stdout, indent=1
        )
        sys.stdout.write("\n")
        for divergence in run.divergences:
            print(f"{scenario.source}:{divergence}", file=sys.stderr)
    else:
        for line in side_by_side(run):
            print(line)
    return 0 if run.agrees else 1
