"""``mapviz compare --html`` and ``mapviz fiemap --html``: whole pages, never over a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mapviz.cli import main


def test_compare_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp.html"
    status = main(
        [
            "compare",
            "pinned-block-map",
            "--kernel",
            "map-direct-v5",
            "--kernel",
            "mainline",
            "--html",
            str(out),
        ]
    )
    assert status == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "cdn.bokeh.org" not in page
    # Bokeh's document JSON escapes non-ASCII text: "·" is \u00b7, "◆" is \u25c6.
    assert "pinned-block-map \\u00b7 map-direct-v5" in page
    assert "pinned-block-map \\u00b7 mainline" in page
    assert page.count("\\u25c6") >= 5  # the legend + fpunch, fcollapse, truncate, swapext
    capsys.readouterr()
    assert main(["compare", "pinned-block-map", "--html", str(out)]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["compare", "pinned-block-map", "--html", str(out), "--force"]) == 0


def _sparse_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        for block in (0, 3):
            os.pwrite(fd, b"x" * 4096, block * 4096)
        os.fsync(fd)
    finally:
        os.close(fd)


def test_fiemap_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out = tmp_path / "data", tmp_path / "data.html"
    _sparse_file(source)
    before = source.stat()
    assert main(["fiemap", str(source), "--html", str(out)]) == 0
    page = out.read_text()
    assert "the block map of a real" in page and "%extent" in page
    after = source.stat()
    assert (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
    capsys.readouterr()
    assert main(["fiemap", str(source), "--html", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


HOSTILE_TEXT = """\
%title <i>t</i> & "q"
%kernel mainline
open -f '<img src=x onerror=alert(1)> d\u00e4t\u00e4'
pwrite 0 16k
%proc '<b>p&amp;</b> 2' uid=1000
open -f 'it''s "x"'
pwrite 0 4k
mmap 0 4k
mwrite 0 4k
"""


def test_names_are_text_in_the_exported_page_and_the_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file or process name full of markup is shown as text, never parsed as HTML."""
    scenario, out = tmp_path / "names.scenario", tmp_path / "names.html"
    scenario.write_text(HOSTILE_TEXT)
    assert main(["export", str(scenario), "-o", str(out)]) == 0
    page = out.read_text()
    for raw in ("<img src=x", "<b>p&amp;", "<i>t</i>"):
        assert raw not in page
    # Bokeh's document JSON carries it HTML-escaped (unescaped by Bokeh before use);
    # the panels escape it again when they build their markup (util.js esc()).
    assert "&lt;img src=x onerror=alert(1)&gt; d\\u00e4t\\u00e4" in page
    capsys.readouterr()
    assert main(["picture", str(scenario)]) == 0
    picture = json.loads(capsys.readouterr().out)
    owners = {lane["owner"] for step in picture["steps"] for lane in step["lanes"]}
    assert "<img src=x onerror=alert(1)> d\u00e4t\u00e4" in owners
    assert 'its "x"' in owners  # 'it''s' is two quoted words run together, as in a shell
