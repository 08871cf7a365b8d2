"""The ``mapviz`` command line.

Each subcommand lives in its own module with ``register(subparsers)`` (adds
its parser and sets ``handler``) and a handler ``(args) -> exit status``.
Bad input of any kind is a :class:`mapviz.errors.MapvizError`: printed as one
line on stderr, exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from mapviz._version import __version__
from mapviz.errors import MapvizError

# Modules under mapviz.cli that provide a subcommand, in the order --help lists them.
SUBCOMMANDS: tuple[str, ...] = (
    "run",
    "compare",
    "picture",
    "scenarios",
    "fiemap",
    "export",
    "serve",
    "site",
    "conformance",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in mapviz's one-line style (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise MapvizError(f"{self.prog}: {message}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``mapviz`` parser; with ``only``, just that subcommand's.

    Each subcommand module imports what its parser needs (``run``: the
    scenario language), so a command that knows its subcommand builds that
    one alone: ``mapviz fiemap`` then starts without loading the simulator.
    """
    parser = _Parser(
        prog="mapviz",
        description="Watch Linux map a file into memory: simulate and animate block maps, "
        "page cache, DAX, MAP_SYNC, swapfiles and MAP_DIRECT.",
    )
    parser.add_argument("--version", action="version", version=f"mapviz {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in SUBCOMMANDS if only is None else (only,):
        module = importlib.import_module(f"mapviz.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mapviz`` console script.

    With no arguments at all it prints the usage and the main commands on
    stderr and exits 2: a missing command is a usage error, as argparse
    treats one, but a newcomer gets the whole list instead of one line.
    """
    as_program = argv is None  # the console script or ``python -m mapviz``, not a caller
    argv = sys.argv[1:] if argv is None else list(argv)
    only = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    try:
        if not argv:
            sys.stderr.write(build_parser().format_help())
            return 2
        args = build_parser(only).parse_args(argv)
        status: int = args.handler(args)
    except MapvizError as error:
        print(error, file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print("mapviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    if as_program:
        # The process ends next: frozen, the heap is not walked once more by the
        # interpreter's last collection at shutdown (every step and event a run made:
        # a few percent of a 20,000-command run).
        gc.freeze()
    return status
