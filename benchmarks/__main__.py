"""Run every benchmark: ``python -m benchmarks [--only NAME ...] [--out FILE] [--profile]``.

Each ``benchmarks/bench_*.py`` module exposes ``run() -> dict`` (and may expose
``profile() -> str``, cProfile's top functions, which ``--profile`` prints); every figure
in it is measured against a baseline in the same run, because the machines
here are shared and noisy.  Prints each result, then one table of every goal
(``--markdown``: as the README's Performance section shows it), and writes
it all as JSON (``benchmarks/results.json`` by default).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.table import Row, markdown_table, text_table

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only bench_NAME (repeatable); default: all",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--markdown", action="store_true", help="print the final table in Markdown")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run each benchmark that has a profile() under cProfile and print its top "
        "functions (engine: the 20,000-command script)",
    )
    args = parser.parse_args(argv)
    names = [n for n in discover() if not args.only or n.removeprefix("bench_") in args.only]
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    failed = False
    table: list[Row] = []
    for name in names:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            result = module.run()
            table.extend(module.rows(result) if hasattr(module, "rows") else [])
            if args.profile and hasattr(module, "profile"):
                report = module.profile()
                print(report, flush=True)
                result["profile"] = report.splitlines()
        except Exception as error:  # a benchmark that breaks must not hide the others
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
            table.append(Row(name, "failed", "", "", "", False))
            failed = True
        result["wall_seconds"] = round(time.perf_counter() - start, 1)  # bench_fiemap has "seconds"
        results[name] = result
        print(json.dumps(result, indent=1), flush=True)
    results["table"] = [vars(row) | {"verdict": row.verdict} for row in table]
    print()
    print(markdown_table(table) if args.markdown else text_table(table))
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
