"""The README's top shows the two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)\n```", text, re.S)
    assert match, f"README has no {marker} block"
    assert text.index(f"<!-- {marker} -->") < 600, f"{marker} must be at the top"
    return match.group(1).strip()


def test_main_command() -> None:
    assert _block("main-command") == "pip install -e . && mapviz run hole-sigbus"


def test_test_command_is_what_ci_runs() -> None:
    assert _block("test-command") == 'pip install -e ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci and "bash -euo pipefail -c" in ci
