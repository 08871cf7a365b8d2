"""``mapviz scenarios``: list the bundled scenarios with their titles."""

from __future__ import annotations

import argparse

from mapviz.scenario import bundled_names, load_scenario


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("scenarios", help="list the bundled scenarios")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    names = bundled_names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        scenario = load_scenario(name)
        print(f"{name:<{width}}  {scenario.kernel:<16}  {scenario.title}")
    return 0
