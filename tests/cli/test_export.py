"""``mapviz export``: one offline file, written whole, never over a file by accident."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapviz import __version__
from mapviz.cli import main

HOSTILE = (
    "%title <img src=x onerror=alert(1)>\n%kernel mainline\n"
    "%note <script>alert(1)</script>\nopen -f data\npwrite 0 4k\n"
)


def test_writes_one_self_contained_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hole.html"
    assert main(["export", "hole-sigbus", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "cdn.bokeh.org" not in page and "<script src=" not in page  # nothing to fetch
    assert f"mapviz {__version__}" in page and "map-direct-v5" in page
    assert "mwrite 64k 4k" in page  # the scenario's own text rides along
    assert [p.name for p in tmp_path.iterdir()] == ["hole.html"]  # no temp file left
    assert "wrote" in capsys.readouterr().out


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "page.html"
    out.write_text("mine")
    assert main(["export", "tour", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_text() == "mine"
    assert main(["export", "tour", "-o", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["export", "no-such-scenario", "-o", "x.html"], "no scenario"),
        (["export", "tour"], "nothing to write"),
        (["export", "tour", "-o", "missing-dir/x.html"], "no such directory"),
        (["export", "tour", "-o", "x.html", "--theme", "neon"], "invalid choice"),
        (["export", "tour", "-o", "x.html", "--kernel", "v99"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_output_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "tour", "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_scenario_text_is_escaped(tmp_path: Path) -> None:
    source = tmp_path / "hostile.scenario"
    source.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    assert main(["export", str(source), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror=alert(1)>" not in page


def test_kernel_and_theme(tmp_path: Path) -> None:
    out = tmp_path / "mainline.html"
    assert (
        main(["export", "hole-sigbus", "-o", str(out), "--kernel", "mainline", "--theme", "talk"])
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert "<b>mainline</b>" in page or "&lt;b&gt;mainline&lt;/b&gt;" in page


def test_images_next_to_the_page(tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    assert main(["export", "hole-sigbus", "-o", str(out), "--svg", str(tmp_path / "svg")]) == 0
    svgs = sorted((tmp_path / "svg").iterdir())
    assert svgs and svgs[0].name == "step-000.svg"
