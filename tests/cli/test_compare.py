"""``mapviz compare``: the bundled seed scenarios under mainline and map-direct-v5.

The point of the table is to show v5 refusing (ETXTBSY, SIGBUS, EACCES ...)
what today's Linux allows; these tests read it from the text and the JSON.
"""

from __future__ import annotations

import json
import re

import pytest

from mapviz.cli import main
from mapviz.compare import compare_models
from mapviz.scenario import KERNEL_MODELS, load_scenario

V5 = ("--kernel", "mainline", "--kernel", "map-direct-v5")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def table_rows(out: str) -> dict[int, tuple[bool, list[str]]]:
    """Scenario line -> (marked as differing, the cells after the line number)."""
    rows = {}
    for text in out.splitlines():
        match = re.match(r"^([* ]) +(\d+)  (.*)$", text)
        if match:
            cells = re.split(r"\s{2,}", match.group(3).strip())
            rows[int(match.group(2))] = (match.group(1) == "*", cells)
    return rows


@pytest.mark.parametrize(
    ("scenario", "line", "command", "v5"),
    [
        ("pinned-block-map", 22, "fpunch 64k 64k", "ETXTBSY"),
        ("pinned-block-map", 26, "truncate 128k", "ETXTBSY"),
        ("etxtbsy-allocate", 18, "falloc 64k 64k", "ETXTBSY"),
        ("etxtbsy-allocate", 23, "pwrite 64k 4k", "ETXTBSY"),
        ("hole-sigbus", 27, "mwrite 64k 4k", "SIGBUS"),
        ("eacces-no-prot-write", 11, "mmap -r -D 0 64k", "EACCES"),
    ],
)
def test_table_shows_v5_refusing_what_mainline_allows(
    capsys: pytest.CaptureFixture[str], scenario: str, line: int, command: str, v5: str
) -> None:
    status, out, err = run_cli(capsys, "compare", scenario, *V5)
    assert status == 0, err
    header = next(text for text in out.splitlines() if "command" in text and "%expect" in text)
    assert header.split()[-2:] == ["mainline", "map-direct-v5"]
    marked, cells = table_rows(out)[line]
    # command, %expect (the scenario's own, written for v5), mainline, map-direct-v5
    assert marked and cells == [command, v5, "ok", v5]
    why = out[out.index("Why, where the models differ:") :]
    block = why[why.index(f"line {line}: {command}") :].splitlines()
    assert block[1].split() == ["mainline:", "ok"]
    assert block[2].startswith(f"    map-direct-v5: {v5}: ") and len(block[2]) > 30


def test_steps_that_agree_are_not_marked(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "compare", "hole-sigbus", *V5)
    rows = table_rows(out)
    assert [line for line, (marked, _) in rows.items() if marked] == [27]
    assert rows[24] == (False, ["mread 64k 4k", "ok", "ok", "ok"])
    assert "1 of 11 steps differ between the models (marked *)" in out


def test_json_shows_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "compare", "etxtbsy-allocate", *V5, "--json")
    assert status == 0
    doc = json.loads(out)
    assert doc["schema"] == 1 and doc["scenario"] == "etxtbsy-allocate"
    assert doc["kernel"] == "map-direct-v5" and doc["models"] == ["mainline", "map-direct-v5"]
    assert set(doc["fs"]) == {"type", "blocksize", "size", "dax", "reflink"}
    refused = {
        step["line"]: step["results"]["map-direct-v5"]["result"]
        for step in doc["steps"]
        if step["differs"]
    }
    assert refused == {18: "ETXTBSY", 20: "ETXTBSY", 23: "ETXTBSY", 26: "ETXTBSY"}
    assert doc["differing"] == 4
    for step in doc["steps"]:
        assert set(step) == {"line", "command", "process", "expect", "differs", "results"}
        for cell in step["results"].values():
            assert (cell["why"] is None) == (cell["result"] == "ok")
        if step["line"] in refused:
            assert step["results"]["mainline"] == {"result": "ok", "why": None}
            assert step["expect"] == "ETXTBSY" and step["process"] == "backup"


def test_json_of_the_sigbus_and_eacces_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    seeds = (("hole-sigbus", 27, "SIGBUS"), ("eacces-no-prot-write", 11, "EACCES"))
    for name, line, result in seeds:
        _, out, _ = run_cli(capsys, "compare", name, *V5, "--json")
        step = next(s for s in json.loads(out)["steps"] if s["line"] == line)
        assert step["differs"]
        assert step["results"]["mainline"]["result"] == "ok"
        assert step["results"]["map-direct-v5"]["result"] == result


def test_all_four_models_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "compare", "hole-sigbus", "--json")
    doc = json.loads(out)
    assert doc["models"] == list(KERNEL_MODELS)
    step = next(s for s in doc["steps"] if s["line"] == 27)
    assert {m: c["result"] for m, c in step["results"].items()} == {
        "mainline": "ok", "map-direct-v5": "SIGBUS", "map-direct-lease": "SIGBUS", "map-sync": "ok"}


def test_commands_that_cannot_be_issued_are_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    # map-sync-dax under v5: its MAP_SYNC mapping is refused there (v5 has no
    # MAP_SYNC), so the stores through it cannot be issued.
    _, out, _ = run_cli(capsys, "compare", "map-sync-dax", *V5)
    rows = table_rows(out)
    skipped = [line for line, (_, cells) in rows.items() if cells[-1] == "skipped"]
    assert skipped == [15, 18, 26]
    for line in skipped:
        assert rows[line][0], "a skipped step is a difference"
        assert rows[line][1][-2] in ("ok", "SIGBUS")  # mainline issues them
    assert "map-direct-v5: skipped: mwrite: process app has no mapping" in out


def test_html_into_a_missing_directory_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "compare", "hole-sigbus", "--html", "/no/such/dir/x.html")
    assert status == 2 and out == ""
    assert err == "mapviz compare: no such directory: /no/such/dir\n"


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "compare", "hole-sigbus", "--kernel", "v6")
    assert status == 2 and err.count("\n") == 1 and 'unknown kernel model "v6"' in err
    status, _, err = run_cli(capsys, "compare", "no-such-scenario")
    assert status == 2 and err.count("\n") == 1


def test_repeated_models_are_one_column() -> None:
    comparison = compare_models(load_scenario("hole-sigbus"), ["mainline", "mainline"])
    assert comparison.models == ("mainline",)
    assert not comparison.differing


def test_module_gives_the_views_each_models_steps() -> None:
    comparison = compare_models(load_scenario("pinned-block-map"), ["mainline", "map-direct-v5"])
    assert {row.line for row in comparison.differing} >= {22, 24, 26}
    step = comparison.step("map-direct-v5", 22)
    assert step is not None and step.result == "ETXTBSY" and "data" in step.files
    mainline = comparison.step("mainline", 22)
    assert mainline is not None and mainline.result == "ok"
