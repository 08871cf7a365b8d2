"""Hand-made ``mapviz run --json`` documents for the tests (no kernel, no simulator)."""

from __future__ import annotations

from typing import Any

Extent = tuple[int, int, str, bool]  # offset, length, state, shared


def file(size: int, *extents: Extent) -> dict[str, Any]:
    return {
        "size": size,
        "extents": [
            {"offset": offset, "length": length, "state": state, "shared": shared}
            for offset, length, state, shared in extents
        ],
    }


def step(line: int, command: str, result: str = "ok", **files: dict[str, Any]) -> dict[str, Any]:
    return {"line": line, "command": command, "result": result, "events": [], "files": files}


def run(*steps: dict[str, Any], blocksize: int = 4096) -> dict[str, Any]:
    return {"schema": 1, "fs": {"type": "xfs", "blocksize": blocksize}, "steps": list(steps)}
