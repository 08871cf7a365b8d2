"""The command line, without a kernel: the oracle is faked or the machine check fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tools.kernel_diff.campaign as campaign
import tools.kernel_diff.cli as cli
import tools.kernel_diff.oracle as oracle
from mapviz.realkernel.errors import RealKernelUnavailableError
from mapviz.scenario.syntax import Scenario
from tests.conftest import ROOT
from tools.kernel_diff.generate import generate
from tools.kernel_diff.oracle import Outcome

NO_ROOT = "needs root (it makes, loop-mounts and swapons a test filesystem)"


@pytest.fixture()
def no_real_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "real_kernel_problem", lambda: NO_ROOT)


@pytest.fixture()
def fake_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A case diverges at its first ``fsync``, if it has one; nothing is recorded."""

    def evaluate(path: Path, cli: bool = False) -> Outcome:
        lines = path.read_text().splitlines()
        if "fsync" not in lines:
            return Outcome("match")
        line = lines.index("fsync") + 1
        return Outcome("diverge", [f"line {line} `fsync`: result: real EIO, simulated ok"], {})

    monkeypatch.setattr(cli, "real_kernel_problem", lambda: None)
    for module in (cli, campaign, oracle):
        monkeypatch.setattr(module, "evaluate", evaluate)
    monkeypatch.setattr(campaign, "stable", lambda path: True)


@pytest.mark.parametrize("seed", [0, 5, 1234])
def test_gen_prints_the_generated_case(seed: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gen", str(seed)]) == 0
    assert capsys.readouterr().out == generate(seed)


def test_help_from_the_repository_root() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.kernel_diff", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "differential testing" in done.stdout
    for command in ("run", "gen", "check", "shrink"):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["run", "check", "shrink"])
def test_help_of_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        cli.main([command, "--help"])
    assert exit.value.code == 0
    assert "--cli" in capsys.readouterr().out


@pytest.mark.usefixtures("no_real_kernel")
@pytest.mark.parametrize(
    "argv",
    [
        ["check", "case.scenario"],
        ["run", "--seed", "1", "--count", "2", "--out", "OUT"],
        ["shrink", "case.scenario"],
    ],
)
def test_a_machine_that_cannot_record_is_one_line_and_status_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(tmp_path / word) if word in ("OUT", "case.scenario") else word for word in argv]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"kernel_diff: cannot record on the real kernel: {NO_ROOT}\n"
    assert not (tmp_path / "OUT").exists()


def test_a_case_this_machine_cannot_record_is_one_line_and_status_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(scenario: Scenario) -> None:
        raise RealKernelUnavailableError(
            "mapviz run --real: setpriv not found (install util-linux)"
        )

    monkeypatch.setattr(cli, "real_kernel_problem", lambda: None)
    monkeypatch.setattr(oracle, "check_machine", refuse)
    case = tmp_path / "case.scenario"
    case.write_text(generate(5))
    assert cli.main(["check", str(case)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "kernel_diff: mapviz run --real: setpriv not found (install util-linux)"
    ]


@pytest.mark.usefixtures("fake_oracle")
def test_check_prints_every_difference_and_can_save_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diverging, matching = tmp_path / "d.scenario", tmp_path / "m.scenario"
    diverging.write_text("%kernel mainline\nopen -f a\nfsync\n")
    matching.write_text("%kernel mainline\nopen -f a\n")
    assert cli.main(["check", "--save", str(diverging), str(matching)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"== {diverging}: diverge ",
        "   line 3 `fsync`: result: real EIO, simulated ok",
        "   signature: fsync: result: real EIO, simulated ok",
        f"== {matching}: match ",
    ]
    assert json.loads((tmp_path / "d.expected.json").read_text()) == {}
    assert cli.main(["check", str(matching)]) == 0


@pytest.mark.usefixtures("fake_oracle")
def test_shrink_writes_the_minimal_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case, shrunk = tmp_path / "seed-3.scenario", tmp_path / "seed-3.min.scenario"
    case.write_text(generate(3))
    assert cli.main(["shrink", str(case), "-o", str(shrunk)]) == 0
    assert shrunk.read_text() == "%title kernel_diff seed 3\n%kernel mainline\n%fs xfs\nfsync\n"
    assert "# signature: fsync: result: real EIO, simulated ok" in capsys.readouterr().err
    case.write_text("%kernel mainline\nopen -f a\n")
    assert cli.main(["shrink", str(case)]) == 1


@pytest.mark.usefixtures("fake_oracle")
def test_run_logs_every_seed_and_sums_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = range(1, 9)
    diverging = [seed for seed in seeds if "\nfsync\n" in generate(seed)]
    assert 0 < len(diverging) < len(seeds)
    status = cli.main(["run", "--seed", "1", "--count", "8", "--out", str(tmp_path)])
    assert status == 1
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [entry["seed"] for entry in log] == list(seeds)
    assert [e["seed"] for e in log if e["status"] == "diverge"] == diverging
    first = next(e for e in log if e["status"] == "diverge")
    assert first["min"].splitlines()[-1] == "fsync"
    assert first["stable"] is True
    out = capsys.readouterr().out
    rate = len(diverging) / len(seeds)
    assert f"divergence rate {rate:.1%} ({len(diverging)}/8 recorded cases;" in out
    assert f"{len(diverging):4d}  fsync: result: real EIO, simulated ok" in out
    # Matching cases leave nothing but their log line; diverging ones their case.
    kept = sorted(p.name for p in tmp_path.glob("seed-*.scenario"))
    assert kept == sorted(
        [f"seed-{s}.scenario" for s in diverging] + [f"seed-{diverging[0]}.min.scenario"]
    )
