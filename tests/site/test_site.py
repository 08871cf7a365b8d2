"""``mapviz site``: the worker's Python without numpy or Bokeh, the wheels, the links, the
page data against ``mapviz export``'s, and the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mapviz.cli import main
from mapviz.render.document import build_view
from mapviz.render.page_data import view_data
from mapviz.render.theme import theme_named
from mapviz.scenario import bundled_text, load_scenario
from mapviz.site import build, worker
from mapviz.site.links import encode_compressed, encode_text, play_link, read_fragment
from mapviz.site.wheels import distribution_wheel, mapviz_wheel
from mapviz.view import Storyboard

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_runs_without_numpy_or_bokeh() -> None:
    """What Pyodide has: the standard library and sortedcontainers, nothing of the GUI stack."""
    code = (
        "import sys, json\n"
        "for name in ('numpy', 'bokeh', 'PIL', 'ipywidgets', 'tornado'):\n"
        "    sys.modules[name] = None  # any import of them fails\n"
        "from mapviz.site import worker\n"
        "from mapviz.scenario import bundled_text\n"
        "answer = json.loads(worker.run(bundled_text('pinned-block-map'), '', 'dark'))\n"
        "assert answer['ok'], answer\n"
        "assert json.loads(worker.compare(bundled_text('hole-sigbus')))['ok']\n"
        "print(answer['view']['frames'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 10


@pytest.mark.parametrize("name", ["hole-sigbus", "lease-break", "tour"])
def test_the_page_data_is_what_export_loads(name: str) -> None:
    """One picture: the worker's JSON holds the very tables and layout `mapviz export` sets."""
    scenario = load_scenario(name)
    view = Storyboard.from_scenario(scenario).view()
    theme = theme_named("light")
    data = json.loads(json.dumps(view_data(view, theme, name=name)))
    models = build_view(view, theme, name=name)
    for store, source in models.stores.items():
        exported = {key: list(value) for key, value in source.data.items()}
        shipped = data["stores"][store]
        assert exported.keys() == shipped.keys(), store
        for column, values in exported.items():
            dtype = data["dtypes"].get(store, {}).get(column)
            if dtype and dtype.startswith("float"):
                assert values == pytest.approx(shipped[column], rel=1e-6), (store, column)
            else:
                assert [_plain(v) for v in values] == shipped[column], (store, column)
    plot = models.plot
    assert [plot.plot.y_range.start, plot.plot.y_range.end] == data["plot"]["y_range"]
    assert plot.plot.frame_height == data["plot"]["frame_height"]
    for axis, ticks in data["plot"]["ticks"].items():
        assert dict(plot.axes[axis].major_label_overrides) == dict(ticks)
    assert plot.legend.items == [plot.legend_items[key] for key in data["plot"]["legend"]["keys"]]
    zoom = data["plot"]["zoom"]
    assert plot.plot.x_range.min_interval == zoom["min_interval"]
    assert plot.zoom.overview.visible == zoom["overview"]
    assert {key: plot.zoom.relabel.args[key] for key in ("span", "bs", "full")} == {
        key: zoom[key] for key in ("span", "bs", "full")
    }
    labels = [item.label.value for item in plot.legend.items]
    owners = data["plot"]["legend"]["owners"]
    for key, label, words in zip(
        data["plot"]["legend"]["keys"], data["plot"]["legend"]["labels"], labels, strict=True
    ):
        assert key not in owners or label == words


def _plain(value: object) -> object:
    return value.tolist() if hasattr(value, "tolist") else value


def test_worker_errors_name_the_line() -> None:
    answer = json.loads(worker.run("open -f data\nmmap 0 4k\nbogus 1\n", "", "light"))
    assert answer == {
        "ok": False,
        "error": {
            "line": 3,
            "message": answer["error"]["message"],
            "text": f"scenario:3: {answer['error']['message']}",
        },
    }
    unknown = json.loads(worker.run("open -f data\n", "linux-2.4", "light"))
    assert unknown["ok"] is False and "unknown kernel model" in unknown["error"]["text"]
    # A command xfs_io would not issue (no mapping) is a skipped step in a scenario, as
    # xfs_io goes on; typed into the command box it is an error on its line.
    late = json.loads(worker.run("open -f data\nmwrite 0 4k\n", "", "light"))
    assert late["ok"] is True and late["view"]["stores"]["story"]["result"][-1] == "skipped"
    typed = json.loads(worker.run("open -f data\nmwrite 0 4k\n", "", "light", typed=2))
    assert typed["ok"] is False and typed["error"]["text"].startswith("scenario:2: mwrite")


def test_links_round_trip_and_refuse_garbage() -> None:
    text = "%title ünïcode ✓\nopen -f data\n" * 20
    for fragment in (
        "s=" + encode_compressed(text) + "&kernel=mainline&step=3",
        "t=" + encode_text(text) + "&kernel=mainline&step=3",
    ):
        assert read_fragment(fragment) == (text, "mainline", "3")
    assert len(encode_compressed(text)) < len(encode_text(text)) / 3
    assert play_link("x", step=0).endswith("&step=0")
    with pytest.raises(Exception, match="not a playground link"):
        read_fragment("s=!!!notbase64")


def test_wheels_are_complete_and_reproducible() -> None:
    name, data = mapviz_wheel()
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    for needed in (
        "mapviz/site/worker.py",
        "mapviz/core/simulation.py",
        "mapviz/docs/kernel-semantics.md",  # cited sections, shown by the views
        "mapviz/scenarios/hole-sigbus.scenario",
        "mapviz/render/page_data.py",
    ):
        assert needed in names, needed
    record = archive.read(f"mapviz-{name.split('-')[1]}.dist-info/RECORD").decode()
    assert all(line.split(",")[0] in names for line in record.splitlines())
    assert mapviz_wheel()[1] == data
    sorted_name, sorted_data = distribution_wheel("sortedcontainers")
    members = zipfile.ZipFile(io.BytesIO(sorted_data)).namelist()
    assert (
        sorted_name.startswith("sortedcontainers-") and "sortedcontainers/sortedlist.py" in members
    )


def test_site_refuses_what_is_not_pyodide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["site", str(tmp_path / "out"), "--pyodide", str(empty)]) == 2
    assert "not a Pyodide distribution" in capsys.readouterr().err
    assert main(["site", str(tmp_path / "out2"), "--pyodide", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert main(["site", str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err


@pytest.mark.slow
def test_site_is_written_with_a_local_pyodide(tmp_path: Path) -> None:
    """A fake distribution (the files' names are what the builder checks), as an npm
    tarball: copied without source maps; every page and file is in place."""
    tarball = tmp_path / "pyodide-0.0.0.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name in (*build.PYODIDE_FILES, "pyodide.asm.mjs", "pyodide.mjs.map", "README.md"):
            member = tarfile.TarInfo(f"package/{name}")
            member.size = 4
            archive.addfile(member, io.BytesIO(b"fake"))
    out = tmp_path / "site"
    site = build.build_site(out, pyodide=tarball)
    assert site.pyodide == "pyodide/"
    assert sorted(p.name for p in (out / "pyodide").iterdir()) == sorted(
        [*build.PYODIDE_FILES, "pyodide.asm.mjs"]
    )
    page = (out / "play.html").read_text()
    config = json.loads(page.split('id="mapviz-site">', 1)[1].split("</script>", 1)[0])
    assert config["pyodide"] == "pyodide/"
    assert config["defaultText"] == bundled_text(build.DEFAULT_SCENARIO)
    assert set(config["docs"]) == {"light", "dark"}
    for path in (*config["wheels"], *config["bokeh"]):
        assert (out / path).is_file(), path
    for name in build.SITE_FILES:
        assert (out / "static" / "site" / name).is_file()
    gallery = (out / "index.html").read_text()
    assert gallery.count('class="card"') == len(list((out / "gallery").glob("*.html")))
    assert "cdn.bokeh.org" not in (out / "gallery" / "hole-sigbus.html").read_text()
    assert site.size(pyodide=False) < 15e6
    # Without --pyodide: the pinned one, from jsDelivr.
    cdn = build.build_site(tmp_path / "cdn")
    assert cdn.pyodide == build.PYODIDE_CDN and not (tmp_path / "cdn" / "pyodide").exists()
