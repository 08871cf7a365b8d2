"""Regression cases found by differential testing against the real kernel (tools/kernel_diff).

Every ``tests/kernel_cases/NAME.scenario`` once made the ``mainline`` model
diverge from Linux 6.18; ``NAME.expected.json`` is the kernel's answer,
recorded on Linux 6.18 (three runs agreed; its ``oracle`` names the
recorder).  Each case runs in-process with every invariant
checked, is compared after the conformance suite's normalisation
(docs/conformance.md), and its own ``%expect`` lines -- the kernel's
results -- must hold.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, differences_from_recording, simulate_json

CASES_DIR = ROOT / "tests" / "kernel_cases"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.scenario"))


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_case_is_a_real_kernel_recording(case: str) -> None:
    text = (CASES_DIR / f"{case}.scenario").read_text()
    assert text.startswith("%title "), "every case says what it shows"
    assert "%kernel mainline" in text
    recording = json.loads((CASES_DIR / f"{case}.expected.json").read_text())
    assert recording["kernel"] == "mainline"
    assert recording["oracle"]["recorder"] == "record.py"
    assert recording["oracle"]["fiemap_flag_sync"] is False
    assert recording["ok"] is True, "every %expect held on the real kernel"


@pytest.mark.parametrize("case", CASES)
def test_case_expectations_hold(case: str) -> None:
    sim, _ = simulate_json(CASES_DIR / f"{case}.scenario")
    assert not sim.failures, [(s.line, s.command, s.expect, s.result) for s in sim.failures]


@pytest.mark.parametrize("case", CASES)
def test_case_matches_the_real_kernel(case: str) -> None:
    differences = differences_from_recording(
        CASES_DIR / f"{case}.scenario", CASES_DIR / f"{case}.expected.json"
    )
    assert not differences, "\n".join(differences)
