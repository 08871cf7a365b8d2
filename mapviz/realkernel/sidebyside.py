"""The text ``mapviz run --real`` prints: real and simulated, step by step.

One row per step: line, command, the scenario's ``%expect``, the real
result, the simulated result.  A diverging step is marked ``✗`` and followed
by what differs: both ``why`` lines for a result, both sizes, both
normalised layouts.  The last line counts the divergences.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mapviz.realkernel.normalise import StepPair
from mapviz.realkernel.runner import RealRun

MARK = "✗"
_COMMAND_WIDTH = 40


def side_by_side(run: RealRun) -> Iterator[str]:
    """The lines of the report."""
    real = run.real
    oracle = real.get("oracle") or {}
    fs = real["fs"]
    yield f"{real['scenario']}: {real.get('title') or ''}".rstrip(": ")
    yield (
        f"real: Linux {oracle.get('kernel_release', '?')}, xfs_io {oracle.get('xfs_io', '?')}, "
        f"fresh {fs['type']} ({fs['blocksize']}-byte blocks, {fs['size'] >> 20} MiB) "
        f"· simulated: mapviz {run.simulated['kernel']} model"
    )
    width = min(max((len(p.command) for p in run.pairs), default=7), _COMMAND_WIDTH)
    yield f"  {'line':>5}  {'command':<{width}}  {'%expect':<10} {'real':<10} simulated"
    for pair in run.pairs:
        yield from _pair(pair, width)
    diverging = [pair.line for pair in run.pairs if not pair.agrees]
    if diverging:
        lines = ", ".join(str(line) for line in diverging)
        yield f"{len(run.pairs)} steps: {len(diverging)} diverge from the simulator (line {lines})"
    else:
        yield f"{len(run.pairs)} steps: every step agrees with the simulator"


def _pair(pair: StepPair, width: int) -> Iterator[str]:
    real, simulated = pair.real, pair.simulated
    mark = " " if pair.agrees else MARK
    expect = _get(real, "expect") or _get(simulated, "expect") or ""
    command = pair.command if len(pair.command) <= width else pair.command[: width - 1] + "…"
    real_result = _get(real, "result") or "(not run)"
    simulated_result = _get(simulated, "result") or "(not run)"
    yield (
        f"{mark} {pair.line:>5}  {command:<{width}}  {expect:<10} {real_result:<10} "
        f"{simulated_result}"
    )
    for divergence in pair.divergences:
        if divergence.what == "result":
            yield f"         why, real:      {_get(real, 'why') or '-'}"
            yield f"         why, simulated: {_get(simulated, 'why') or '-'}"
        elif divergence.what == "layout":
            yield f"         {divergence.file} layout, real:      {divergence.real}"
            yield f"         {divergence.file} layout, simulated: {divergence.simulated}"
        elif divergence.what in ("size", "file"):
            yield (
                f"         {divergence.file} {divergence.what}: real {divergence.real}, "
                f"simulated {divergence.simulated}"
            )
        else:
            yield f"         step: real {divergence.real}, simulated {divergence.simulated}"


def _get(step: Mapping[str, Any] | None, key: str) -> str | None:
    if step is None:
        return None
    value = step.get(key)
    return None if value is None else str(value)
