"""The sections of docs/ that a view's text cites, for its ``§`` links.

A why, a note or an event that cites ``§2.2`` becomes, in the page, a link
that opens that section of docs/kernel-semantics.md right there: the page
carries each cited section once, rendered to escaped HTML, so the link
works offline, in a notebook and in an exported file alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mapviz.citations import find_citations, resolves, section_html


def cited_sections(texts: Iterable[str]) -> dict[str, list[Any]]:
    """A ``{key, html}`` table of every section ``texts`` cite that exists, in first-cited order.

    >>> table = cited_sections(["refused (§2.2)", "again kernel-semantics §2.2"])
    >>> table["key"]
    ['kernel-semantics §2.2']
    >>> table["html"][0].startswith('<div class="mv-sec-title">kernel-semantics.md §2.2 ')
    True
    """
    keys: dict[str, None] = {}
    table: dict[str, list[Any]] = {"key": [], "html": []}
    for text in texts:
        for citation in find_citations(text):
            if citation.key in keys or not resolves(citation):
                continue
            keys[citation.key] = None
            table["key"].append(citation.key)
            table["html"].append(section_html(citation.document, citation.section))
    return table
