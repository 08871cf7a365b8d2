"""Bundled scenarios and loading by name or path (mapviz.scenario.bundled)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapviz.errors import MapvizError, ScenarioError
from mapviz.scenario import bundled, bundled_names, bundled_text, load_scenario

GOOD = "%title A good one\nopen -f data\npwrite 0 4k\n%expect ok\n"


def test_every_bundled_scenario_parses() -> None:
    names = bundled_names()
    assert names == sorted(names)
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.source == f"mapviz/scenarios/{name}.scenario"
        assert bundled_text(name) == bundled_text(name + ".scenario") == scenario.text


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the package's scenarios folder."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "zeta.scenario").write_text(GOOD)
    (scenarios / "alpha.scenario").write_text("fsync\n")
    (scenarios / "broken.scenario").write_text("fsync\npwrtie 0 4k\n")
    (scenarios / "README.md").write_text("not a scenario")
    (scenarios / "dir.scenario").mkdir()
    monkeypatch.setattr(bundled, "_folder", lambda: scenarios)
    monkeypatch.chdir(tmp_path)
    return scenarios


def test_names_are_sorted_stems(folder: Path) -> None:
    assert bundled_names() == ["alpha", "broken", "zeta"]


def test_no_folder_no_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bundled, "_folder", lambda: tmp_path / "missing")
    assert bundled_names() == []


def test_text_by_name(folder: Path) -> None:
    assert bundled_text("zeta") == GOOD
    assert bundled_text("zeta.scenario") == GOOD


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("zeat", 'mapviz: no bundled scenario named "zeat" (did you mean "zeta"?)'),
        ("nothing", 'mapviz: no bundled scenario named "nothing" (try: mapviz scenarios)'),
        (
            "../scenarios/zeta",
            'mapviz: no bundled scenario named "../scenarios/zeta" (try: mapviz scenarios)',
        ),
        ("README.md", 'mapviz: no bundled scenario named "README.md" (try: mapviz scenarios)'),
        ("dir", 'mapviz: no bundled scenario named "dir" (try: mapviz scenarios)'),
    ],
)
def test_text_unknown(folder: Path, name: str, message: str) -> None:
    with pytest.raises(MapvizError) as info:
        bundled_text(name)
    assert str(info.value) == message


def test_load_bundled(folder: Path) -> None:
    scenario = load_scenario("zeta")
    assert (scenario.name, scenario.title, scenario.source) == (
        "zeta",
        "A good one",
        "mapviz/scenarios/zeta.scenario",
    )
    assert load_scenario("alpha.scenario").title == "alpha"


def test_load_bundled_reports_its_line(folder: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("broken")
    assert str(info.value) == (
        'mapviz/scenarios/broken.scenario:2: unknown command "pwrtie" (did you mean "pwrite"?)'
    )


def test_a_path_wins_over_a_bundled_name(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "zeta").write_text("%title local\n")
    assert load_scenario("zeta").title == "local"
    (tmp_path / "mine.scenario").write_text("%title mine\nfsync\n")
    scenario = load_scenario("mine.scenario")
    assert (scenario.name, scenario.source, scenario.title) == ("mine", "mine.scenario", "mine")
    assert load_scenario(str(tmp_path / "mine.scenario")).source == str(tmp_path / "mine.scenario")


def test_load_from_a_path_reports_the_path(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.scenario").write_text("%fs xfs\n%fs ext4\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario("bad.scenario")
    assert str(info.value) == "bad.scenario:2: %fs given twice (first on line 1)"


@pytest.mark.parametrize(
    "name",
    ["nothing", "no/such.scenario", "a\0b", "x" * 5000, "", "zeat"],
)
def test_load_unknown(folder: Path, name: str) -> None:
    with pytest.raises(MapvizError) as info:
        load_scenario(name)
    message = str(info.value)
    assert message.startswith("mapviz: no scenario file or bundled scenario named ")
    assert "\n" not in message and "\0" not in message


def test_load_unknown_message(folder: Path) -> None:
    with pytest.raises(MapvizError) as info:
        load_scenario("x")
    assert str(info.value) == (
        'mapviz: no scenario file or bundled scenario named "x" (try: mapviz scenarios)'
    )
    with pytest.raises(MapvizError) as info:
        load_scenario("zeat.scenario")
    assert str(info.value) == (
        'mapviz: no scenario file or bundled scenario named "zeat.scenario" (did you mean "zeta"?)'
    )


def test_read_failures_are_one_line(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "adir").mkdir()
    with pytest.raises(MapvizError) as info:
        load_scenario("adir")
    assert str(info.value) == 'mapviz: cannot read scenario "adir": Is a directory'

    (tmp_path / "latin1.scenario").write_bytes(b"%title caf\xe9\n")
    with pytest.raises(MapvizError) as info:
        load_scenario("latin1.scenario")
    assert str(info.value) == 'mapviz: scenario "latin1.scenario" is not UTF-8 text (byte 10)'

    os.symlink(tmp_path / "gone", tmp_path / "dangling.scenario")
    with pytest.raises(MapvizError) as info:
        load_scenario("dangling.scenario")
    assert str(info.value) == (
        'mapviz: cannot read scenario "dangling.scenario": No such file or directory'
    )

    (tmp_path / "secret.scenario").write_text("fsync\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Root may read anything, so the refusal is simulated.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(MapvizError) as info:
        load_scenario("secret.scenario")
    assert str(info.value) == 'mapviz: cannot read scenario "secret.scenario": Permission denied'


def test_nothing_is_written(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.scenario").write_text(GOOD)
    before = sorted(str(path) for path in tmp_path.rglob("*"))
    load_scenario("mine.scenario")
    load_scenario("zeta")
    assert sorted(str(path) for path in tmp_path.rglob("*")) == before
