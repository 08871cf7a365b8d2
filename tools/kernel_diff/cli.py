"""The command line: ``python -m tools.kernel_diff {run,gen,check,shrink}``.

Exit status: 0 nothing diverged; 1 something diverged (``shrink``: the case
did not diverge); 2 bad input, or this machine cannot run the real kernel
(one line on stderr, never a traceback); 128+N interrupted by signal N.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import tools.kernel_diff
from mapviz.errors import MapvizError
from mapviz.realkernel.support import machine_problem
from mapviz.realkernel.testbed import Interrupted
from tools.kernel_diff.campaign import Settings, run_campaign, shrink_case
from tools.kernel_diff.generate import generate
from tools.kernel_diff.oracle import evaluate

PROG = "kernel_diff"
NEEDS_REAL_KERNEL = ("run", "check", "shrink")
_CLI_HELP = "run `mapviz run --json` as a subprocess"
_VOCABULARY_HELP = (
    "1: the commands of the first campaigns (a seed keeps its case); 2: also issue 14's "
    "open -s/-a/-d, pwrite -D/-N/-V/-B/-F, fadvise, madvise, mincore, seek, resvsp, "
    "unresvsp, zero, sync_range, fiemap OFF LEN/-a/-l, bmap -a/-e/-l, copy_range, "
    "sendfile, mremap, exchangerange, extsize and cowextsize"
)


def real_kernel_problem() -> str | None:
    """Why this machine cannot record the cases ``run`` generates (None: it can).

    Generated cases use XFS and ext4, and ``%proc`` with other credentials
    (setpriv).  Asked once up front, so a machine that cannot record fails
    in one line instead of once per case.
    """
    return machine_problem("xfs") or machine_problem("ext4", setpriv=True)


def cmd_gen(args: argparse.Namespace) -> int:
    sys.stdout.write(generate(args.seed, args.vocabulary))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    bad = 0
    for name in args.files:
        outcome = evaluate(Path(name), args.cli)
        print(f"== {name}: {outcome.status} {outcome.message}")
        for diff in outcome.diffs:
            print("   " + diff.replace("\n", "\n   "))
        if outcome.signature is not None:
            print("   signature:", outcome.signature)
        if args.save and outcome.real is not None:
            recording = Path(name).with_suffix("").with_suffix(".expected.json")
            recording.write_text(json.dumps(outcome.real, indent=1) + "\n")
        bad += outcome.status != "match"
    return 1 if bad else 0


def cmd_shrink(args: argparse.Namespace) -> int:
    path = Path(args.file)
    outcome = evaluate(path, args.cli)
    if outcome.status != "diverge":
        print("no divergence")
        return 1
    shrunk = shrink_case(path.read_text(), outcome, args.cli)
    print(f"# signature: {outcome.signature} ({shrunk.tries} tries)", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(shrunk.text)
    else:
        sys.stdout.write(shrunk.text)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings(
        out=Path(args.out),
        shrink=args.shrink,
        shrink_all=args.shrink_all,
        recheck=not args.no_recheck,
        cli=args.cli,
        vocabulary=args.vocabulary,
    )
    return run_campaign(args.seed, args.count, settings)


def build_parser() -> argparse.ArgumentParser:
    doc = tools.kernel_diff.__doc__ or ""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="cmd", required=True)
    _add_run(commands)
    gen = commands.add_parser("gen", help="print the scenario of one seed")
    gen.add_argument("seed", type=int)
    gen.add_argument("--vocabulary", type=int, choices=(1, 2), default=1, help=_VOCABULARY_HELP)
    gen.set_defaults(handler=cmd_gen)
    check = commands.add_parser("check", help="record and compare given scenarios")
    check.add_argument("files", nargs="+")
    check.add_argument("--cli", action="store_true", help=_CLI_HELP)
    check.add_argument("--save", action="store_true", help="write NAME.expected.json next to each")
    check.set_defaults(handler=cmd_check)
    shrink = commands.add_parser("shrink", help="shrink one diverging scenario")
    shrink.add_argument("file")
    shrink.add_argument("-o", "--output")
    shrink.add_argument("--cli", action="store_true", help=_CLI_HELP)
    shrink.set_defaults(handler=cmd_shrink)
    return parser


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="generate, record, compare and shrink random cases")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--count", type=int, default=100)
    run.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "kernel_diff"))
    run.add_argument("--no-shrink", dest="shrink", action="store_false")
    run.add_argument(
        "--shrink-all",
        action="store_true",
        help="shrink every divergence, not only the first of each signature",
    )
    run.add_argument("--cli", action="store_true", help=_CLI_HELP)
    run.add_argument("--vocabulary", type=int, choices=(1, 2), default=1, help=_VOCABULARY_HELP)
    run.add_argument(
        "--no-recheck",
        action="store_true",
        help="do not record a diverging case a second time to rule out flakiness",
    )
    run.set_defaults(handler=cmd_run)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd in NEEDS_REAL_KERNEL:
        problem = real_kernel_problem()
        if problem is not None:
            print(f"{PROG}: cannot record on the real kernel: {problem}", file=sys.stderr)
            return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except MapvizError as error:  # e.g. this machine lacks setpriv for one case's %proc
        print(f"{PROG}: {error}", file=sys.stderr)
        return error.exit_status
    except Interrupted as signal:  # SIGTERM/SIGHUP; the testbed was cleaned up on the way
        print(f"{PROG}: interrupted by {signal}", file=sys.stderr)
        return 128 + signal.signum
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `... gen 5 | head`
        return 1
