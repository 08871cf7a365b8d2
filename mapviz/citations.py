"""``§`` citations: where a rule's source is, and the text of that section.

Every rule in the code names its source as a section of a document in the
project's ``docs/``.  A citation is ``§N`` or ``§N.M``; the document is named
just before it (``STACK.md §6``, ``kernel-semantics §2.2``), and a ``§``
standing alone is a section of ``docs/kernel-semantics.md``, the cited
reference every kernel model follows.  A section is the Markdown heading
whose number it is (``### 2.2 Operation-by-operation`` is ``§2.2``).

>>> [(c.document, c.section) for c in find_citations("ETXTBSY (§2.2, STACK.md §6)")]
[('kernel-semantics', '2.2'), ('STACK', '6')]
>>> section_text("kernel-semantics", "2.2").title.startswith("2.2 Operation-by-operation")
True

The views turn each citation into a link that opens the section, rendered by
:func:`section_html`; ``tests/codebase/test_citations.py`` fails on a
citation that leads to no heading.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

DEFAULT_DOCUMENT = "kernel-semantics"
# The documents a citation may name, by the name used before the ``§`` (without ``.md``).
DOCUMENTS = ("kernel-semantics", "SCENARIO", "PICTURE", "DESIGN", "STACK", "STYLE", "conformance")

_NAMED = "|".join(re.escape(name) for name in DOCUMENTS)
CITATION = re.compile(rf"(?:\b(?P<document>{_NAMED})(?:\.md)?\s+)?§\s?(?P<section>\d+(?:\.\d+)*)")
_HEADING = re.compile(r"^(#{1,6})\s+(?P<title>(?P<number>\d+(?:\.\d+)*)\.?\s.*?)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True, slots=True)
class Citation:
    """``§section`` of ``document``, found at ``[start, end)`` of a text."""

    document: str
    section: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """``kernel-semantics §2.2``: the same key whatever way the text spelled it."""
        return f"{self.document} §{self.section}"


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section of a document: its heading's text and its Markdown body."""

    document: str
    number: str
    title: str
    body: str


def find_citations(text: str) -> Iterator[Citation]:
    """Every citation in ``text``, in order."""
    for match in CITATION.finditer(text):
        document = match.group("document") or DEFAULT_DOCUMENT
        yield Citation(document, match.group("section"), match.start(), match.end())


def document_text(document: str) -> str:
    """The Markdown of ``docs/DOCUMENT.md`` (shipped inside the package)."""
    if document not in DOCUMENTS:
        raise KeyError(f"no document {document!r} in docs/")
    return resources.files("mapviz").joinpath("docs", f"{document}.md").read_text("utf-8")


@functools.cache
def sections(document: str) -> dict[str, Section]:
    """The numbered sections of a document, by number (``"2.2"``, ``"6"``).

    A section runs to the next heading of the same or a higher level.
    Headings inside fenced code blocks (shell prompts, ``# comments``) are text.
    """
    lines = document_text(document).splitlines()
    headings: list[tuple[int, int, str, str]] = []  # line index, level, number, title
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            headings.append((index, level, heading.group("number"), heading.group("title")))
        elif not fenced and line.startswith("#"):
            headings.append((index, len(line) - len(line.lstrip("#")), "", line.strip("# ")))
    found: dict[str, Section] = {}
    for position, (index, level, number, title) in enumerate(headings):
        if not number:
            continue
        end = next((i for i, lv, _, _ in headings[position + 1 :] if lv <= level), len(lines))
        body = "\n".join(lines[index + 1 : end]).strip("\n")
        found.setdefault(number, Section(document, number, title, body))
    return found


def section_text(document: str, number: str) -> Section:
    """The section ``§number`` of ``document``; KeyError if there is none."""
    return sections(document)[number]


def resolves(citation: Citation) -> bool:
    """Whether the citation leads to a heading of its document."""
    try:
        section_text(citation.document, citation.section)
    except KeyError:
        return False
    return True


def section_html(document: str, number: str) -> str:
    """A section as a small piece of HTML: headings, paragraphs, lists, code.

    Every character of the document is escaped: the result is safe to put in
    a page as it is.  Tables and code keep their lines (``<pre>``); inline
    ``code`` and ``**bold**`` are kept, links show their text.
    """
    section = section_text(document, number)
    parts = [f'<div class="mv-sec-title">{document}.md §{html.escape(section.title)}</div>']
    parts += _blocks_html(section.body.splitlines())
    return "".join(parts)


def _blocks_html(lines: list[str]) -> Iterator[str]:
    paragraph: list[str] = []
    index = 0

    def flush() -> Iterator[str]:
        if paragraph:
            yield f"<p>{_inline(' '.join(paragraph))}</p>"
            paragraph.clear()

    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if _FENCE.match(line):
            yield from flush()
            block, index = _fenced_block(lines, index)
            yield f"<pre>{html.escape(block)}</pre>"
            continue
        if stripped.startswith("|"):
            yield from flush()
            rows, index = _table_rows(lines, index)
            yield _table_html(rows)
            continue
        if not stripped:
            yield from flush()
        elif stripped.startswith("#"):
            yield from flush()
            yield f'<div class="mv-sec-sub">{_inline(stripped.lstrip("# "))}</div>'
        elif re.match(r"^([*+-]|\d+\.)\s", stripped):
            yield from flush()
            paragraph.append("• " + re.sub(r"^([*+-]|\d+\.)\s+", "", stripped))
            yield from flush()
        else:
            paragraph.append(stripped)
        index += 1
    yield from flush()


def _fenced_block(lines: list[str], index: int) -> tuple[str, int]:
    """The lines of the fenced code block opening at ``index``, and the index after it."""
    end = index + 1
    while end < len(lines) and not _FENCE.match(lines[end]):
        end += 1
    return "\n".join(lines[index + 1 : end]), end + 1


def _table_rows(lines: list[str], index: int) -> tuple[list[list[str]], int]:
    """The cells of the Markdown table starting at ``index`` (no separator row), and after it."""
    rows = []
    end = index
    while end < len(lines) and lines[end].strip().startswith("|"):
        cells = [cell.strip() for cell in lines[end].strip().strip("|").split("|")]
        if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            rows.append(cells)
        end += 1
    return rows, end


def _table_html(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_inline(cell)}</th>" for cell in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text: str) -> str:
    """Escaped text with `code`, **bold** and [links](...) shown as their words."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)
