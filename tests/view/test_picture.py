"""``mapviz picture`` against the engine: what the views draw is what the simulator computed.

For every bundled scenario under every kernel model the picture after each
step is checked against ``mapviz run --json`` of the same run (file marks and
connectors equal the extents, device blocks belong to the right files), and
against the engine itself stepped on its own (dirty marks exact to the page);
every step that did not end ``ok`` has an alert on exactly the range its
command asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from mapviz.cli import main
from mapviz.core.simulation import Simulation
from mapviz.report.json_report import run_json
from mapviz.scenario import KERNEL_MODELS, Command, bundled_names, load_scenario, parse_scenario
from mapviz.view import Storyboard
from mapviz.view.picture import Picture, picture_steps

PAGE = 4096
CASES = [(name, kernel) for name in bundled_names() for kernel in KERNEL_MODELS]


@cache
def _run(name: str, kernel: str) -> tuple[list[Picture], dict[str, Any], Storyboard]:
    scenario = load_scenario(name)
    board = Storyboard.from_scenario(scenario, kernel)
    sim = Simulation.from_scenario(scenario, kernel, record_files=True)
    return board.pictures(), run_json(sim, scenario), board


def _paired(name: str, kernel: str) -> Iterator[tuple[Picture, dict[str, Any]]]:
    pictures, document, _ = _run(name, kernel)
    assert len(pictures) == len(document["steps"]) + 1, "one picture per step, and the start"
    yield from zip(pictures[1:], document["steps"], strict=True)


def _file_marks(picture: Picture, name: str) -> list[tuple[int, int, str, bool]]:
    return [
        (m.start, m.end, m.state, "shared" in m.flags) for m in picture.marks_of(f"file:{name}")
    ]


@pytest.mark.parametrize(("name", "kernel"), CASES)
def test_file_marks_are_the_extents_and_cover_the_file(name: str, kernel: str) -> None:
    for picture, step in _paired(name, kernel):
        for file_name, view in step["files"].items():
            size = view["size"]
            marks = _file_marks(picture, file_name)
            inside = [m for m in marks if m[2] != "past-eof"]
            # [0, size) exactly, holes included, in order, no overlap
            assert [m[0] for m in inside[1:]] == [m[1] for m in inside[:-1]], marks
            assert (inside[0][0] if inside else 0) == 0 and (inside[-1][1] if inside else 0) == size
            expected = [
                (e["offset"], min(e["offset"] + e["length"], size), e["state"], e["shared"])
                for e in view["extents"]
                if e["offset"] < size
            ]
            assert [m for m in inside if m[2] != "hole"] == expected, (step["line"], file_name)
            beyond = [e for e in view["extents"] if e["offset"] + e["length"] > size]
            past = [m for m in marks if m[2] == "past-eof"]
            assert len(past) == (1 if beyond else 0)
            if beyond:
                assert past[0][1] == max(e["offset"] + e["length"] for e in beyond)


@pytest.mark.parametrize(("name", "kernel"), CASES)
def test_connectors_are_the_extents(name: str, kernel: str) -> None:
    for picture, step in _paired(name, kernel):
        for file_name, view in step["files"].items():
            links = sorted(
                (link.source[1], link.source[2], link.target[1], link.target[2])
                for link in picture.links
                if link.kind == "extent" and link.source[0] == f"file:{file_name}"
            )
            expected = sorted(
                (e["offset"], e["offset"] + e["length"], e["physical"], e["physical"] + e["length"])
                for e in view["extents"]
                if e["physical"] is not None
            )
            assert links == expected, (step["line"], file_name)
            assert all(
                link.target[0] == "device" for link in picture.links if link.kind == "extent"
            )


@pytest.mark.parametrize(("name", "kernel"), CASES)
def test_device_blocks_name_their_owners(name: str, kernel: str) -> None:
    for picture, step in _paired(name, kernel):
        device = picture.marks_of("device")
        assert device[0].start == 0 and device[-1].end == picture.device_size
        assert [m.start for m in device[1:]] == [m.end for m in device[:-1]]
        owned: dict[str, list[tuple[int, int]]] = {}
        for file_name, view in step["files"].items():
            for e in view["extents"]:
                if e["physical"] is not None:
                    owned.setdefault(file_name, []).append(
                        (e["physical"], e["physical"] + e["length"])
                    )
        for file_name, ranges in owned.items():
            for start, end in ranges:
                covering = [m for m in device if m.start < end and start < m.end]
                assert covering and all(file_name in m.owners for m in covering), (
                    step["line"],
                    file_name,
                    start,
                    end,
                )
                assert covering[0].start <= start and covering[-1].end >= end
        for mark in device:
            for owner in mark.owners:
                assert any(
                    a <= mark.start and mark.end <= b for a, b in _merge(owned.get(owner, []))
                ), (step["line"], mark)
            if len(mark.owners) >= 2:  # blocks of two files are shared blocks
                under = [
                    e
                    for view in step["files"].values()
                    for e in view["extents"]
                    if e["physical"] is not None
                    and e["physical"] < mark.end
                    and mark.start < e["physical"] + e["length"]
                ]
                assert all(e["shared"] for e in under)


def _asked(command: Command, size_before: int) -> tuple[int, int] | None:
    """The file range a command asks for, read from its text (independently of the engine)."""
    numbers = [a for a in command.args if isinstance(a, int)]
    if (
        command.name
        in ("pwrite", "falloc", "fpunch", "fzero", "fcollapse", "finsert", "funshare", "mmap")
        and len(numbers) >= 2
    ):
        return numbers[-2], numbers[-2] + numbers[-1]
    if command.name in ("reflink", "dedupe") and len(numbers) == 3:
        return numbers[1], numbers[1] + numbers[2]
    if command.name == "truncate" and numbers:
        return min(size_before, numbers[0]), max(size_before, numbers[0])
    return None


@pytest.mark.parametrize(("name", "kernel"), CASES)
def test_every_refusal_has_its_alert_on_the_asked_range(name: str, kernel: str) -> None:
    pictures, document, _ = _run(name, kernel)
    commands = {
        c.line: c
        for c in parse_scenario(load_scenario(name).text, name).items
        if isinstance(c, Command)
    }
    for index, (picture, step) in enumerate(zip(pictures[1:], document["steps"], strict=True)):
        if step["result"] in ("ok", "skipped"):
            continue
        alerts = [a for a in picture.alerts if a.kind == step["result"]]
        assert alerts, (step["line"], step["command"], step["result"])
        assert all(a.by == step["process"] for a in alerts)
        if step["result"] in ("SIGBUS", "SIGSEGV"):
            (alert,) = [a for a in alerts if a.lane.startswith("map:")]
            assert alert.end - alert.start == PAGE and alert.start % PAGE == 0
            continue
        before = document["steps"][index - 1]["files"] if index else {}
        size = before.get(step["file"], {}).get("size", 0)
        asked = _asked(commands[step["line"]], size)
        if asked is not None and step["file"] is not None:
            assert (f"file:{step['file']}", *asked) in [(a.lane, a.start, a.end) for a in alerts], (
                step["line"],
                step["command"],
                alerts,
            )


@pytest.mark.parametrize("name", bundled_names())
def test_dirty_marks_are_exact_to_the_page(name: str) -> None:
    """Each step's cache lanes against the engine's own dirty state, stepped separately."""
    scenario = load_scenario(name)
    pictures, _, _ = _run(name, scenario.kernel)
    sim = Simulation(scenario.fs, scenario.kernel, source=scenario.source)
    commands = 0
    for item in scenario.items:
        step = sim.apply(item)
        if step is None or not step.is_command:
            continue
        commands += 1
        picture = pictures[commands]
        for inode in sim.machine.fs.files.values():
            bs = sim.machine.fs.blocksize
            engine = [(a * bs, b * bs) for a, b in inode.cache.dirty]
            drawn = _merge(
                [
                    (m.start, m.end)
                    for m in picture.marks_of(f"cache:{inode.name}")
                    if m.state == "dirty"
                ]
            )
            assert drawn == _merge(engine), (step.line, step.command, inode.name)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# --- the defects the picture issue listed ------------------------------------------------


def _step_of(pictures: list[Picture], command: str) -> Picture:
    return next(p for p in pictures if p.source is not None and p.source.command == command)


def test_tour_one_store_dirties_one_page() -> None:
    pictures, _, _ = _run("tour", "mainline")
    picture = _step_of(pictures, "mwrite 0 4k")
    dirty = [(m.start, m.end) for m in picture.marks_of("cache:data") if m.state == "dirty"]
    assert dirty == [(0, PAGE)]
    cached = [(m.start, m.end) for m in picture.marks_of("cache:data")]
    assert _merge(cached) == [(0, 65536)]


def test_eio_sits_on_the_failing_range() -> None:
    pictures, _, _ = _run("seal-writeback-eio", "map-direct-v5")
    (eio,) = [a for p in pictures for a in p.alerts if a.kind == "EIO"]
    assert (eio.lane, eio.start, eio.end) == ("file:data", 32768, 36864)


def test_an_allocation_past_eof_is_alerted_where_it_was_asked() -> None:
    pictures, _, _ = _run("etxtbsy-allocate", "map-direct-v5")
    picture = _step_of(pictures, "falloc 64k 64k")
    (alert,) = [a for a in picture.alerts if a.lane == "file:data"]
    assert (alert.start, alert.end) == (65536, 131072)
    assert alert.by == "backup"
    assert picture.lane("actor:backup") is not None


def test_a_refused_punch_lights_the_blocks_it_would_free() -> None:
    pictures, _, _ = _run("pinned-block-map", "map-direct-v5")
    refused = [
        p
        for p in pictures
        if p.source is not None and p.source.name == "fpunch" and p.source.result == "ETXTBSY"
    ]
    assert refused
    for picture in refused:
        device = [a for a in picture.alerts if a.lane == "device"]
        (asked,) = [a for a in picture.alerts if a.lane.startswith("file:")]
        link = next(
            link
            for link in picture.links
            if link.kind == "extent"
            and link.source[0] == asked.lane
            and link.source[1] <= asked.start
            and asked.end <= link.source[2]
        )
        offset = link.target[1] - link.source[1]
        assert [(a.start, a.end) for a in device] == [(asked.start + offset, asked.end + offset)]


def test_a_seal_covers_the_holes_too() -> None:
    pictures, _, _ = _run("hole-sigbus", "map-direct-v5")
    sealed = _step_of(pictures, "mwrite 64k 4k")
    holes = [m for m in sealed.marks_of("file:data") if m.state == "hole"]
    assert holes and all("pinned" in m.flags for m in holes)


def test_sigbus_strikes_the_faulting_page_on_its_mapping() -> None:
    pictures, _, _ = _run("hole-sigbus", "map-direct-v5")
    (alert,) = [a for a in _step_of(pictures, "mwrite 64k 4k").alerts if a.kind == "SIGBUS"]
    assert alert.lane.startswith("map:") and (alert.start, alert.end) == (65536, 65536 + PAGE)


def test_lanes_appear_when_their_thing_exists() -> None:
    pictures, _, _ = _run("pinned-block-map", "map-direct-v5")
    assert [lane.id for lane in pictures[0].lanes] == ["device"]
    for picture in pictures:
        if picture.source is None:
            continue
        names = {lane.owner for lane in picture.lanes if lane.layer == "file"}
        assert names == set(json.loads(json.dumps(list(names)))), names
    first = next(p for p in pictures if any(lane.layer == "virtual" for lane in p.lanes))
    assert first.source is not None and first.source.name == "mmap"


def test_lease_break_names_holder_breaker_and_deadline() -> None:
    pictures, _, _ = _run("lease-break", "map-direct-lease")
    (brk,) = [a for p in pictures for a in p.alerts if a.kind == "lease-break"]
    assert brk.lane.startswith("map:") and brk.by == "cleaner" and brk.until == 45.0
    assert [a for p in pictures for a in p.alerts if a.kind == "revoke"]


def test_a_run_of_extents_is_one_load_step_folded_into_the_next_command() -> None:
    scenario = parse_scenario(
        "%kernel mainline\nopen -f a\ntruncate 64k\n%extent 0 8k\n%extent 16k 8k\nstat\n"
        "%extent 32k 4k\n",
        "loaded",
    )
    board = Storyboard.from_scenario(scenario)
    assert [s.command.split(" (")[0] for s in board.steps] == [
        "open -f a",
        "truncate 64k",
        "%extent x 2",
        "stat",
        "%extent 32768 4096",
    ]
    assert len(board.view().frames) == 6
    grouped = picture_steps(board.steps, board.scenes)
    assert [g.step.command if g.step else None for g in grouped] == [
        None,
        "open -f a",
        "truncate 64k",
        "stat",
        None,
    ]
    assert [len(g.folded) for g in grouped] == [0, 0, 0, 1, 1]
    loaded = board.pictures()[3]
    assert [(m.start, m.end, m.state) for m in loaded.marks_of("file:a")] == [
        (0, 8192, "written"),
        (8192, 16384, "hole"),
        (16384, 24576, "written"),
        (24576, 65536, "hole"),
    ]


# --- the command line ---------------------------------------------------------------------


def test_cli_prints_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["picture", "hole-sigbus", "--step", "end"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"schema", "scenario", "kernel", "blocksize", "steps"}
    (step,) = document["steps"]
    assert set(step) == {"step", "line", "command", "result", "lanes", "marks", "links", "alerts"}
    assert step["command"] == "mwrite 64k 4k" and step["step"] > 1


@pytest.mark.parametrize("word", ["99", "x", "-1"])
def test_cli_bad_step_is_one_line(capsys: pytest.CaptureFixture[str], word: str) -> None:
    assert main(["picture", "hole-sigbus", "--step", word]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--step" in err
