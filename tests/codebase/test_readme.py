"""The README's top shows the two commands, each in its own venv, and CI runs both verbatim."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)\n```", text, re.S)
    assert match, f"README has no {marker} block"
    assert text.index(f"<!-- {marker} -->") < 600, f"{marker} must be at the top"
    return match.group(1).strip()


VENV = "python3 -m venv .venv && .venv/bin/pip install"


def test_main_command_brings_its_own_venv() -> None:
    # A stock Debian/Ubuntu python3 refuses a bare `pip install` (PEP 668).
    assert _block("main-command") == f"{VENV} -e . && .venv/bin/mapviz run hole-sigbus"


def test_test_command_brings_its_own_venv() -> None:
    assert _block("test-command") == f'{VENV} -e ".[test]" && .venv/bin/pytest'


def test_ci_runs_both_commands_verbatim_on_the_system_python() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "for marker in main-command test-command" in ci
    assert 'bash -euo pipefail -c "$command"' in ci
    assert "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in ci
    assert "python3-venv" in ci
