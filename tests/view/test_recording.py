"""A saved run -- the simulator's or a real kernel's -- animated without running anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapviz.cli import main
from mapviz.core.changes import only_changes_document
from mapviz.view.frames import STATES
from mapviz.view.recording import view_of_run
from tests.conftest import CONFORMANCE_SUITE


def test_a_real_kernel_recording_is_drawn_as_recorded() -> None:
    document = json.loads((CONFORMANCE_SUITE / "punch-xfs.expected.json").read_text())
    view = view_of_run(document, "punch-xfs")
    assert len(view.frames) == len(document["steps"]) + 1
    assert "recorded on Linux" in view.kernel
    for frame, step in zip(view.frames[1:], document["steps"], strict=True):
        assert frame.picture is not None
        for name, files in step["files"].items():
            drawn = [
                (m.start, m.end, m.state)
                for m in frame.picture.marks_of(f"file:{name}")
                if m.state not in ("hole", "past-eof")
            ]
            size = files["size"]
            assert drawn == [
                (e["offset"], min(e["offset"] + e["length"], size), e["state"])
                for e in files["extents"]
                if e["offset"] < size
            ]
        assert STATES.index("track") in frame.quads["state"]


def test_export_draws_a_saved_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run.json"
    assert main(["run", "hole-sigbus", "--json"]) == 0
    run.write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "run.html"
    assert main(["export", str(run), "-o", str(out)]) == 0
    assert out.stat().st_size > 1_000_000 and "SIGBUS" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not JSON"),
        ('{"steps": 3}', "not a mapviz run --json"),
        ("[1, 2]", "not a mapviz run --json"),
    ],
)
def test_a_broken_run_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    run = tmp_path / "bad.json"
    run.write_text(text, encoding="utf-8")
    assert main(["export", str(run), "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "bad.json" in err
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("name", ["pinned-block-map", "punch-xfs"])
def test_a_run_saved_with_changes_is_drawn_as_the_whole_run(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    if name == "punch-xfs":  # a real kernel's recording, turned into the --changes form
        whole = json.loads((CONFORMANCE_SUITE / f"{name}.expected.json").read_text())
        changes = only_changes_document(whole)
    else:
        assert main(["run", "--json", name]) == 0
        whole = json.loads(capsys.readouterr().out)
        assert main(["run", "--json", "--changes", name]) == 0
        changes = json.loads(capsys.readouterr().out)
    assert changes != whole and changes["changes"] is True
    drawn = [view_of_run(document, name) for document in (whole, changes)]
    assert len(drawn[0].frames) == len(whole["steps"]) + 1
    assert drawn[0].layout == drawn[1].layout
    for ours, theirs in zip(drawn[0].frames, drawn[1].frames, strict=True):
        assert ours.picture is not None and theirs.picture is not None
        assert ours.picture.to_json() == theirs.picture.to_json()
        assert ours.quads == theirs.quads and ours.links == theirs.links
