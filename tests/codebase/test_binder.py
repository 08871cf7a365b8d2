"""binder/ holds what Binder needs, pinned to what the tests run, and the README links it."""

from __future__ import annotations

import os
import re

from tests.conftest import ROOT

BINDER = ROOT / "binder"


def _requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_are_pinned_and_end_with_the_project() -> None:
    lines = _requirements()
    assert lines[-1] == ".", "the last line installs mapviz itself"
    pins = dict(line.split("==") for line in lines[:-1])
    assert all(re.fullmatch(r"\d+(\.\d+)*", version) for version in pins.values()), pins
    assert pins["bokeh"].startswith("3.9."), "bokeh 3.10 needs Python >= 3.12 (STACK.md §1)"
    for package in ("jupyter_bokeh", "ipywidgets", "jupyterlab", "voila", "ipykernel"):
        assert package in pins, package


def test_runtime_is_python_311() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_post_build_stops_on_the_first_error() -> None:
    post_build = BINDER / "postBuild"
    lines = post_build.read_text().splitlines()
    assert lines[0].startswith("#!") and "set -e" in lines
    assert os.access(post_build, os.X_OK)


def test_readme_links_lab_and_voila() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "?urlpath=lab/tree/notebooks/00-tour.ipynb" in readme
    assert "?urlpath=voila/render/notebooks/talk.ipynb" in readme
    assert "](assets/screenshots/jupyterlab-widget.png)" in readme
    assert (ROOT / "assets" / "screenshots" / "jupyterlab-widget.png").exists()


def test_readme_links_follow_the_repository_setting() -> None:
    """The site, the playground and both Binder badges derive from pyproject.toml's
    ``[project.urls] Repository`` (``python -m tools.repository OWNER/NAME``)."""
    from tools.repository import links, repository, stale

    assert stale() == []
    readme = (ROOT / "README.md").read_text()
    for key in links(repository()):
        assert f"][{key}]" in readme, key
