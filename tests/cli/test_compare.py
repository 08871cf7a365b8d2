"""``mapviz compare``: the bundled seed scenarios under mainline and map-direct-v5.

The point of the table is to show v5 refusing (ETXTBSY, SIGBUS, EACCES ...)
what today's Linux allows; these tests read it from the text and the JSON.
Each cell also tells the step's whole story under its model ("ok after 45 s ·
mapping revoked"), and each model reads the scenario's ``%note`` lines as
they are scoped (SCENARIO.md, "Scoped notes"): both are checked against the
engine's own runs here.
"""

from __future__ import annotations

import json
import re

import pytest

from mapviz.cli import main
from mapviz.compare import compare_models, story
from mapviz.core.simulation import Simulation
from mapviz.errors import ScenarioError
from mapviz.scenario import KERNEL_MODELS, Note, load_scenario
from mapviz.scenario.directives import ScopedNote, note_under, scenario_under
from mapviz.scenario.parser import parse_scenario

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
    # mainline's story may go on ("ok · app's pages unmapped"), but it ends ok, with no why.
    assert block[1].split()[:2] == ["mainline:", "ok"] and ": " not in block[1].split("ok", 1)[1]
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
            mainline = step["results"]["mainline"]
            assert (mainline["result"], mainline["why"]) == ("ok", None)
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
        "mainline": "ok",
        "map-direct-v5": "SIGBUS",
        "map-direct-lease": "SIGBUS",
        "map-sync": "ok",
    }


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
    assert "map-direct-v5: skipped: no mapped regions, try 'help mmap' (under map-direct-v5)" in out


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


# -- the story of each cell


def stories(name: str, line: int) -> dict[str, str]:
    comparison = compare_models(load_scenario(name), record_files=False)
    row = next(r for r in comparison.rows if r.line == line)
    return {model: cell.story for model, cell in row.cells.items()}


def test_the_lease_models_punch_waits_45_s_and_revokes() -> None:
    # lease-break line 22: "fpunch 16k 4k" is ok under the lease model -- after the
    # breaker waited out lease-break-time and the holder's mapping was revoked.
    assert stories("lease-break", 22) == {
        "mainline": "ok · app's pages unmapped",
        "map-direct-v5": "ETXTBSY",
        "map-direct-lease": "ok after 45 s · mapping revoked",
        "map-sync": "ok · app's pages unmapped",
    }
    # The wait is told once, where it happened: the clock stays at 45 s afterwards.
    assert stories("lease-break", 27)["map-direct-lease"] == "SIGBUS"
    assert stories("etxtbsy-allocate", 20)["map-direct-lease"] == "ok"


def test_seals_leases_faults_and_metadata_are_told() -> None:
    assert stories("hole-sigbus", 17) == {
        "mainline": "ok",
        "map-direct-v5": "ok · block map sealed",
        "map-direct-lease": "ok · lease taken",
        "map-sync": "ok",
    }
    assert stories("hole-sigbus", 27) == {
        "mainline": "ok · blocks allocated on fault",
        "map-direct-v5": "SIGBUS",
        "map-direct-lease": "SIGBUS · lease broken",
        "map-sync": "ok · blocks allocated on fault · metadata synced",
    }
    assert stories("hole-sigbus", 31)["map-direct-v5"] == "ok · seal lifted"
    assert stories("hole-sigbus", 31)["map-direct-lease"] == "ok · lease released"
    assert stories("swapfile-pinned", 11)["mainline"] == "ok · block map pinned for swap"


def test_a_sleep_is_not_a_wait() -> None:
    # %sleep 10 moves the clock by itself: its command says so, the story does not repeat it.
    run = Simulation.from_scenario(load_scenario("lease-release-in-time"))
    sleep = next(s for s in run.steps if s.name == "sleep")
    assert sleep.clock - run.steps[sleep.index - 1].clock == 10
    assert story(sleep, run.steps[sleep.index - 1]) == "ok"


def test_stories_in_the_json_and_the_text(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "compare", "lease-break", "--json")
    step = next(s for s in json.loads(out)["steps"] if s["line"] == 22)
    lease = step["results"]["map-direct-lease"]
    assert lease == {
        "result": "ok",
        "why": None,
        "story": "ok after 45 s · mapping revoked",
        "note": None,
    }
    # The note before "%proc cleaner" goes with the step after it, "open data", and is the
    # lease model's own (the scenario's %kernel); v5 reads it marked as written for another.
    opening = next(s for s in json.loads(out)["steps"] if s["line"] == 21)["results"]
    note = "Another process punches a hole.  It is not refused: it breaks the lease and waits 45 s."
    assert opening["map-direct-lease"]["note"] == note
    assert opening["map-direct-v5"]["note"] == f"(written for map-direct-lease) {note}"
    assert step["results"]["map-direct-v5"]["story"] == "ETXTBSY"
    _, out, _ = run_cli(capsys, "compare", "lease-break")
    assert "    map-direct-lease: ok after 45 s · mapping revoked\n" in out
    assert "    map-direct-v5:    ETXTBSY: fpunch would free blocks 28..28 of data" in out


# -- %note scoping (SCENARIO.md "Scoped notes")

SCOPED = """\
%title scoped notes
%kernel map-direct-v5
%fs xfs dax
open -f data
pwrite 0 64k
fsync
mmap -D 0 64k
%note [map-direct-v5] Refused: the block map is sealed.
%note [map-direct-lease, map-direct-v5] MAP_DIRECT decides this step.
%note [map-direct-lease] Not refused: the punch breaks the lease and waits.
%note [*] A punch frees blocks.
fpunch 0 4k
%expect ETXTBSY
%note The mapping is gone.
munmap
"""


def test_scoped_notes_parse() -> None:
    scenario = parse_scenario(SCOPED, source="s.scenario", name="s")
    notes = [item for item in scenario.items if isinstance(item, Note)]
    assert notes[0] == ScopedNote(8, "Refused: the block map is sealed.", ("map-direct-v5",))
    assert isinstance(notes[1], ScopedNote)
    assert notes[1].models == ("map-direct-lease", "map-direct-v5")
    assert notes[3] == ScopedNote(11, "A punch frees blocks.", ("*",))
    assert notes[4] == Note(14, "The mapping is gone.") and not isinstance(notes[4], ScopedNote)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%note [mainlin] x", '%note: unknown model "mainlin" (did you mean "mainline"?)'),
        ("%note [mainline,] x", "%note: empty model name in [mainline,]"),
        ("%note [mainline x", '%note: the model list has no closing "]"'),
        ("%note [mainline]   # only a comment", "%note: missing TEXT after the model list"),
    ],
)
def test_scoped_note_errors(line: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(f"open -f data\n{line}\nfsync\n", source="s.scenario", name="s")
    assert str(caught.value).startswith(f"s.scenario:2: {message}")


def test_each_model_reads_only_the_notes_that_hold_there() -> None:
    scenario = parse_scenario(SCOPED, source="s.scenario", name="s")
    comparison = compare_models(scenario)
    punch = next(row for row in comparison.rows if row.command == "fpunch 0 4k")
    notes = {model: cell.note for model, cell in punch.cells.items()}
    assert notes == {
        "mainline": "A punch frees blocks.",
        "map-direct-v5": "Refused: the block map is sealed. MAP_DIRECT decides this step. "
        "A punch frees blocks.",
        "map-direct-lease": "MAP_DIRECT decides this step. Not refused: the punch breaks the "
        "lease and waits. A punch frees blocks.",
        "map-sync": "A punch frees blocks.",
    }
    # An unscoped note was written for the scenario's own model: elsewhere it says so.
    munmap = next(row for row in comparison.rows if row.command == "munmap")
    assert munmap.cells["map-direct-v5"].note == "The mapping is gone."
    assert munmap.cells["mainline"].note == "(written for map-direct-v5) The mapping is gone."
    # Scoping changes the narration only: every model runs the same steps on the same lines.
    for model in KERNEL_MODELS:
        scoped = scenario_under(scenario, model)
        assert [i for i in scoped.items if not isinstance(i, Note)] == [
            i for i in scenario.items if not isinstance(i, Note)
        ]
        assert scoped.kernel == scenario.kernel and scoped.text == scenario.text


def test_a_bundled_note_written_for_v5_is_marked_under_the_others() -> None:
    # pinned-block-map's note "... is refused with ETXTBSY" is v5's claim: beside the lease
    # model's "ok after 45 s" it must not read as the lease model's own.
    comparison = compare_models(load_scenario("pinned-block-map"), record_files=False)
    punch = next(row for row in comparison.rows if row.line == 22)
    claim = "Every operation that would move, free or add a block is refused with ETXTBSY."
    assert punch.cells["map-direct-v5"].note == claim
    for model in ("mainline", "map-direct-lease", "map-sync"):
        assert punch.cells[model].note == f"(written for map-direct-v5) {claim}"
    assert note_under(Note(1, claim), "map-direct-v5", "map-direct-v5") == claim
