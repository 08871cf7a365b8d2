"""``kernel_diff run``: many seeds in a row, every divergence kept, shrunk and summed up.

Per seed, under the output directory: ``seed-N.scenario`` (the case; removed
again when it matches), ``seed-N.expected.json`` (the recording of a
diverging case), ``seed-N.min.scenario`` (its shrunk form) and one JSON line
in ``log.jsonl``.  The run ends with the divergence rate and the distinct
first differences (signatures), most frequent first.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tools.kernel_diff.generate import generate
from tools.kernel_diff.oracle import Outcome, diverges_like, evaluate, stable
from tools.kernel_diff.shrink import Shrinker

INVALID_RETRIES = 3
"""How often a case the recorder refuses is cut before the refused line and tried again."""
RECHECKS = 2
"""Further recordings of a diverging case, to tell a modelling gap from a changing truth."""
RECORDED = ("match", "diverge", "unstable", "racy")
"""The statuses of cases that were recorded and compared: the rate's denominator."""


@dataclass(frozen=True)
class Settings:
    out: Path
    shrink: bool = True
    shrink_all: bool = False
    recheck: bool = True
    cli: bool = False
    vocabulary: int = 1


@dataclass(frozen=True)
class Shrunk:
    text: str
    tries: int


def shrink_case(text: str, outcome: Outcome, cli: bool = False) -> Shrunk:
    """The smallest case that still diverges as ``outcome`` (a divergence of ``text``) does."""
    assert outcome.signature is not None
    with tempfile.TemporaryDirectory(prefix="kernel_diff-") as workdir:
        still_diverges = diverges_like(outcome.signature, Path(workdir), cli)
        shrinker = Shrinker(text, still_diverges, outcome.first_line)
        return Shrunk(shrinker.run(), shrinker.tries)


def run_campaign(first_seed: int, count: int, settings: Settings) -> int:
    """Run seeds ``first_seed`` .. ``first_seed + count - 1``; exit status 1 if any diverged."""
    settings.out.mkdir(parents=True, exist_ok=True)
    statuses: Counter[str] = Counter({status: 0 for status in (*RECORDED, "invalid", "oracle")})
    seeds_by_signature: dict[str, list[int]] = {}
    started = time.time()
    with (settings.out / "log.jsonl").open("a") as log:
        for seed in range(first_seed, first_seed + count):
            entry = _one_seed(seed, settings, seeds_by_signature)
            statuses[entry["status"]] += 1
            _log(log, entry)
    print(f"\n{count} cases in {time.time() - started:.0f}s: {dict(statuses)}")
    print(divergence_rate(statuses))
    for sig, seeds in sorted(seeds_by_signature.items(), key=lambda item: -len(item[1])):
        print(f"  {len(seeds):4d}  {sig}   e.g. seed {seeds[0]}")
    return 1 if statuses["diverge"] else 0


def divergence_rate(statuses: Counter[str]) -> str:
    """The summary line: unstable and racy truths are recorded but not counted as divergences.

    >>> divergence_rate(Counter(match=8, diverge=1, racy=1))
    'divergence rate 10.0% (1/10 recorded cases; 0 unstable and 1 racy truths not counted)'
    """
    recorded = sum(statuses[status] for status in RECORDED)
    rate = statuses["diverge"] / recorded if recorded else 0.0
    return (
        f"divergence rate {rate:.1%} ({statuses['diverge']}/{recorded} recorded cases; "
        f"{statuses['unstable']} unstable and {statuses['racy']} racy truths not counted)"
    )


def _one_seed(
    seed: int, settings: Settings, seeds_by_signature: dict[str, list[int]]
) -> dict[str, Any]:
    out = settings.out
    path = out / f"seed-{seed}.scenario"
    text = generate(seed, settings.vocabulary)
    path.write_text(text)
    outcome = evaluate(path, settings.cli)
    for _ in range(INVALID_RETRIES):
        # The recorder refused a line (a guess of the generator went wrong): cut there.
        if outcome.status != "invalid" or not outcome.bad_line:
            break
        text = "".join(text.splitlines(keepends=True)[: outcome.bad_line - 1])
        path.write_text(text)
        outcome = evaluate(path, settings.cli)
    recheck = outcome.status == "diverge" and settings.recheck
    if recheck and not _reproduces(path, outcome, settings):
        outcome.status = "unstable"
    entry: dict[str, Any] = {"seed": seed, "status": outcome.status}
    if outcome.status in ("unstable", "racy"):
        entry["first"] = outcome.diffs[0]
        _say(f"seed {seed}: {outcome.status.upper()} {outcome.signature}")
    elif outcome.status == "diverge":
        assert outcome.signature is not None
        entry["signature"] = outcome.signature
        entry["first"] = outcome.diffs[0]
        (out / f"seed-{seed}.expected.json").write_text(json.dumps(outcome.real, indent=1))
        new = outcome.signature not in seeds_by_signature
        seeds_by_signature.setdefault(outcome.signature, []).append(seed)
        if settings.shrink and (new or settings.shrink_all):
            entry.update(_shrink_and_keep(seed, text, outcome, settings))
        _say(f"seed {seed}: DIVERGE {outcome.signature}" + (" (new)" if new else ""))
    elif outcome.status in ("invalid", "oracle"):
        entry["message"] = outcome.message[-300:]
        _say(f"seed {seed}: {outcome.status.upper()} {outcome.message[-200:]}")
    elif outcome.status == "match":
        path.unlink()
    return entry


def _reproduces(path: Path, outcome: Outcome, settings: Settings) -> bool:
    # A truth that changes from run to run (background writeback, a sync
    # elsewhere on the machine) is not a modelling gap.
    for _ in range(RECHECKS):
        again = evaluate(path, settings.cli)
        if again.status != "diverge" or again.signature != outcome.signature:
            return False
    return True


def _shrink_and_keep(seed: int, text: str, outcome: Outcome, settings: Settings) -> dict[str, Any]:
    shrunk = shrink_case(text, outcome, settings.cli)
    path = settings.out / f"seed-{seed}.min.scenario"
    path.write_text(shrunk.text)
    # Re-recorded three times: a minimal case is only worth keeping if its truth is stable.
    return {"min": shrunk.text, "stable": stable(path), "tries": shrunk.tries}


def _log(log: TextIO, entry: dict[str, Any]) -> None:
    log.write(json.dumps(entry) + "\n")
    log.flush()


def _say(line: str) -> None:
    print(line, flush=True)
