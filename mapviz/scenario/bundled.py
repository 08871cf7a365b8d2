"""Scenarios shipped inside the package (``mapviz/scenarios/NAME.scenario``) and loading by name.

``mapviz run hole-sigbus`` and ``mapviz run my.scenario`` both go through
:func:`load_scenario`: ``-`` is standard input, an existing path is read,
anything else is looked up among the bundled scenarios.  Nothing here writes.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from mapviz.errors import MapvizError
from mapviz.scenario.lexer import quote, suggest
from mapviz.scenario.parser import parse_scenario
from mapviz.scenario.syntax import Scenario

SUFFIX = ".scenario"
STDIN = "-"
"""The name that means "read the scenario from standard input" (``mapviz run -``)."""


def _folder() -> Traversable:
    return files("mapviz") / "scenarios"


def bundled_names() -> list[str]:
    """The names of the bundled scenarios, sorted (``hole-sigbus``, without ``.scenario``).

    >>> all(not name.endswith(".scenario") for name in bundled_names())
    True
    """
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(
        entry.name.removesuffix(SUFFIX)
        for entry in folder.iterdir()
        if entry.name.endswith(SUFFIX) and entry.is_file()
    )


def bundled_text(name: str) -> str:
    """The text of bundled scenario ``name`` (``.scenario`` may be given or left out).

    Raises
    ------
    MapvizError
        No bundled scenario has that name.

    Examples
    --------
    >>> try:
    ...     bundled_text("nope")
    ... except MapvizError as error:
    ...     print(error)
    mapviz: no bundled scenario named "nope" (try: mapviz scenarios)
    """
    stem = name.removesuffix(SUFFIX)
    names = bundled_names()
    # Only a listed name is opened, so "../x" can never reach outside the folder.
    if stem not in names:
        raise MapvizError(f"mapviz: no bundled scenario named {quote(name)}{_hint(stem, names)}")
    return _decode(_folder().joinpath(stem + SUFFIX).read_bytes(), f"{stem}{SUFFIX}")


def load_scenario(name_or_path: str) -> Scenario:
    """Read and parse a scenario file, or a bundled scenario if no such file exists.

    ``-`` reads standard input (errors then name ``<stdin>:LINE``).

    Raises
    ------
    MapvizError
        Neither a file nor a bundled scenario has that name, or the file
        cannot be read (a directory, no permission, not UTF-8).
    ScenarioError
        The text is not a valid scenario (``FILE:LINE: message``).

    Examples
    --------
    >>> try:
    ...     load_scenario("x")
    ... except MapvizError as error:
    ...     print(error)
    mapviz: no scenario file or bundled scenario named "x" (try: mapviz scenarios)
    """
    if name_or_path == STDIN:
        return parse_scenario(_read_stdin(), source="<stdin>", name="stdin")
    path = Path(name_or_path)
    # Path("") is the current directory: an empty name names no file.
    if name_or_path and _exists(path):
        return parse_scenario(_read(path, name_or_path), source=name_or_path, name=path.stem)
    stem = name_or_path.removesuffix(SUFFIX)
    names = bundled_names()
    if stem not in names:
        raise MapvizError(
            f"mapviz: no scenario file or bundled scenario named {quote(name_or_path)}"
            f"{_hint(stem, names)}"
        )
    return parse_scenario(bundled_text(stem), source=f"mapviz/scenarios/{stem}{SUFFIX}", name=stem)


def _read_stdin() -> str:
    """The scenario on standard input (``mapviz run -``), as UTF-8."""
    try:
        data = sys.stdin.buffer.read()
    except (OSError, AttributeError, ValueError) as error:
        raise MapvizError(f"mapviz: cannot read a scenario from standard input: {error}") from None
    return _decode(data, "<stdin>")


def _exists(path: Path) -> bool:
    """Whether ``path`` names something, even something unreadable."""
    try:
        return path.exists() or path.is_symlink()
    except (OSError, ValueError):
        # A name the OS cannot even look up (too long, a NUL byte) is no file.
        return False


def _read(path: Path, shown: str) -> str:
    """The text of a scenario file, or a one-line :class:`MapvizError` naming it as ``shown``."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise MapvizError(f"mapviz: cannot read scenario {quote(shown)}: {reason}") from None
    return _decode(data, shown)


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MapvizError(
            f"mapviz: scenario {quote(where)} is not UTF-8 text (byte {error.start})"
        ) from None


def _hint(stem: str, names: list[str]) -> str:
    return suggest(stem, names) or " (try: mapviz scenarios)"
