"""Every notebook under ``notebooks/`` runs headless, top to bottom, with no error.

Like ipympl's own notebook tests (STYLE.md): nbclient runs each one in a real
kernel, so every check cell's ``assert`` -- the claims of the prose, checked
against the simulation -- holds.  Nothing is rendered here (no browser); the
JupyterLab and Voila tests in tests/browser do that.  The committed notebooks
carry no outputs, and each opens by saying what it teaches.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "00-tour",
    "01-block-maps",
    "02-page-cache-vs-dax",
    "03-map-direct-pinning",
    "04-sigbus-on-holes",
    "05-history",
    "talk",
]
NOT_INSTALLED = "the test extra is not installed"


# nbformat, nbclient and ipykernel are imported by the tests that use them, not at
# collection: importing nbformat alone costs ~3 s (jsonschema's format checkers build
# a grammar at import), paid by every `pytest` run, even one that runs none of these.
@pytest.fixture(scope="module")
def nbformat() -> ModuleType:
    return pytest.importorskip("nbformat", reason=NOT_INSTALLED)


@pytest.fixture(scope="module")
def nbclient() -> ModuleType:
    # The kernel runs in its own process: here it need only be installed, not imported.
    if importlib.util.find_spec("ipykernel") is None:
        pytest.skip(NOT_INSTALLED)
    return pytest.importorskip("nbclient", reason=NOT_INSTALLED)


def test_the_notebooks_are_all_there() -> None:
    assert [path.stem for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_clean_and_says_what_it_teaches(path: Path, nbformat: ModuleType) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), (
        f"{path.name} was committed with outputs: clear them"
    )
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert any("MapViz" in cell.source for cell in code), "every notebook uses the real widget"
    if path.stem != "talk":  # the talk is one screen: the widget is the point
        first = notebook.cells[0]
        assert first.cell_type == "markdown" and "What this notebook teaches" in first.source


@pytest.mark.jupyter
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_runs_without_error(path: Path, nbformat: ModuleType, nbclient: ModuleType) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # A hang ends at the client's own timeout per cell; how fast is for benchmarks/.
    client.execute()  # raises CellExecutionError, with the cell and its traceback
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    views = [
        out for out in outputs if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    assert views, "no widget was displayed"
    # Each view carries a picture for viewers without widgets (GitHub, nbviewer).
    assert all("image/png" in out["data"] for out in views)
