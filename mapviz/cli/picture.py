"""``mapviz picture SCENARIO``: what the views draw after each step, as JSON (docs/PICTURE.md)."""

from __future__ import annotations

import argparse
import json
import sys

from mapviz.errors import MapvizError
from mapviz.scenario import KERNEL_MODELS, load_scenario


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "picture",
        help="print every lane, mark, link and alert the views draw (docs/PICTURE.md JSON)",
        description="Run a scenario and print, after each step, everything the views draw, "
        "in the units of the thing drawn (docs/PICTURE.md). Exit status: 0, or 2 for bad input.",
    )
    parser.add_argument(
        "scenario",
        metavar="FILE|NAME",
        help="a scenario file, a bundled scenario's name, or - for standard input",
    )
    parser.add_argument("--kernel", choices=KERNEL_MODELS, help="override the scenario's %%kernel")
    parser.add_argument(
        "--step", metavar="N", help="print only step N (0: before the first command; end: the last)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mapviz.view.picture import picture_document
    from mapviz.view.storyboard import Storyboard

    scenario = load_scenario(args.scenario)
    board = Storyboard.from_scenario(scenario, args.kernel)
    pictures = board.pictures()
    only = _step(args.step, len(pictures)) if args.step is not None else None
    document = picture_document(
        pictures, scenario=scenario.name, kernel=board.sim.kernel, only=only
    )
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def _step(word: str, count: int) -> int:
    if word == "end":
        return count - 1
    try:
        step = int(word)
    except ValueError:
        raise MapvizError(f"mapviz picture: --step {word!r}: not a number (or 'end')") from None
    if not 0 <= step < count:
        raise MapvizError(f"mapviz picture: --step {step}: the scenario has steps 0 to {count - 1}")
    return step
