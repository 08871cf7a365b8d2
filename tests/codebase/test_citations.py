"""Every ``§`` citation leads to a heading of a document in docs/.

A citation is ``§N[.M]``, after the document it names (``STACK.md §6``) or
alone for docs/kernel-semantics.md (mapviz/citations.py).  The scan covers
the code, its comments and messages, the bundled scenarios, the tests, the
README and the notebooks -- everything a reader may follow a ``§`` from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapviz.citations import (
    DOCUMENTS,
    Citation,
    find_citations,
    resolves,
    section_html,
    sections,
)
from tests.conftest import ROOT

SOURCES = ("*.py", "*.js", "*.css", "*.scenario")
TREES = ("mapviz", "tests", "benchmarks", "tools")


def _texts() -> list[tuple[Path, str]]:
    found = []
    for tree in TREES:
        for pattern in SOURCES:
            found += [
                (p, p.read_text("utf-8"))
                for p in sorted((ROOT / tree).rglob(pattern))
                if "__pycache__" not in p.parts and p != Path(__file__)
            ]
    found.append((ROOT / "README.md", (ROOT / "README.md").read_text("utf-8")))
    found += [
        (p, p.read_text("utf-8"))
        for p in sorted((ROOT / "docs").glob("*.md"))
        if p.stem not in DOCUMENTS
    ]  # the cited documents themselves cite within
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text("utf-8"))["cells"]
        found.append((notebook, "\n".join("".join(cell["source"]) for cell in cells)))
    return found


def _all_citations() -> list[tuple[str, Citation]]:
    out = []
    for path, text in _texts():
        for citation in find_citations(text):
            line = text.count("\n", 0, citation.start) + 1
            out.append((f"{path.relative_to(ROOT)}:{line}", citation))
    return out


def test_every_citation_resolves_to_a_heading() -> None:
    found = _all_citations()
    assert len(found) > 100, "the scan found the code's citations"
    broken = [f"{where}: {citation.key}" for where, citation in found if not resolves(citation)]
    assert not broken, "citations that lead to no heading:\n" + "\n".join(broken)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_document_is_in_docs(document: str) -> None:
    assert (ROOT / "docs" / f"{document}.md").is_file()


def test_numbered_headings_are_found_and_fenced_code_is_not() -> None:
    semantics = sections("kernel-semantics")
    assert {"1", "1.4", "2.2", "2.3", "3.1", "4.5", "6"} <= set(semantics)
    assert semantics["2.2"].title.startswith("2.2 Operation-by-operation")
    # a section runs to the next heading of its level: §2 holds §2.1-§2.6
    assert "### 2.6" in semantics["2"].body and "## 3." not in semantics["2"].body
    assert "### 2.3" not in semantics["2.2"].body


def test_unresolvable_citations_are_caught() -> None:
    assert not resolves(next(find_citations("see §9.99")))
    assert not resolves(next(find_citations("STACK.md §6.3")))
    assert resolves(next(find_citations("STACK.md §6")))


def test_section_html_is_escaped_text() -> None:
    rendered = section_html("kernel-semantics", "2.2")
    assert rendered.startswith('<div class="mv-sec-title">kernel-semantics.md §2.2 ')
    assert "<script" not in rendered and "ETXTBSY" in rendered
    # the section's table is a table; < and > in the source arrive escaped
    assert "<table><thead><tr><th>Operation</th>" in rendered
    body = sections("kernel-semantics")["2.2"].body
    assert ("<" in body) == ("&lt;" in rendered)
