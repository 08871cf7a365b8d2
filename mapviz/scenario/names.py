"""What a file or process name may be: any UTF-8 text, kept inside the one filesystem.

xfs_io takes any path, and so does a scenario, with three limits that keep a
scenario harmless when ``mapviz run --real`` runs it as root (SCENARIO.md
"Names"):

* **confined**: a file name is relative to the test filesystem's root; an
  absolute name, a ``..`` component or a backslash (a would-be escaped
  slash) is refused, so no name can reach outside the mount;
* **text**: control characters (NUL, tab, newline, DEL, the C1 set), the
  Unicode line and paragraph separators and the bidirectional controls are
  refused, so a name always prints as the one line it looks like;
* **Linux's sizes**: a component is at most 255 bytes of UTF-8 (NAME_MAX), a
  whole name at most 4095 (PATH_MAX less its NUL).

Spaces and any other Unicode letters, digits and signs are fine (``"my
file"``, ``dätä``).  A name may not start with ``-``: xfs_io would read it as
an option.  Names are kept exactly as written (no Unicode normalisation: the
kernel compares bytes).
"""

from __future__ import annotations

import posixpath
import unicodedata

from mapviz.scenario.lexer import LineError, quote

NAME_MAX = 255
"""Bytes in one path component (Linux's NAME_MAX)."""
PATH_MAX = 4095
"""Bytes in a whole path, less the terminating NUL (Linux's PATH_MAX is 4096)."""

# Format characters that reorder what follows them on screen (Unicode's
# bidirectional controls): a name holding one would not read as it is.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters, surrogates, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that would not print as itself on one line, or None.

    >>> unprintable("dätä"), unprintable("my file"), unprintable("a\\tb")
    (None, None, '\\t')
    """
    for char in text:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return char
    return None


def _character_name(char: str) -> str:
    """``U+0009`` plus the character's Unicode name where it has one."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def check_text_name(word: str, what: str) -> str:
    """A process name (or any name shown as a label): non-empty printable text.

    >>> check_text_name("reader 2", "process name")
    'reader 2'
    """
    if not word:
        raise LineError(f"empty {what}")
    bad = unprintable(word)
    if bad is not None:
        raise LineError(
            f"bad {what} {quote(word)}: it holds {_character_name(bad)}, "
            "a control or layout character (a name must print as one line of text)"
        )
    if word.startswith("-"):
        raise LineError(f'bad {what} {quote(word)}: it may not start with "-" (an option)')
    return word


def check_path(word: str) -> str:
    """A file name as the simulator keys it: relative, inside the filesystem, normalised.

    Raises
    ------
    LineError
        The name is empty, absolute, climbs out with ``..``, holds a
        backslash or a character that does not print, starts with ``-``,
        names the root, or is longer than Linux allows.

    Examples
    --------
    >>> check_path("dir/./data"), check_path("my file"), check_path("dätä")
    ('dir/data', 'my file', 'dätä')
    """
    check_text_name(word, "path")
    if word.startswith("/"):
        raise LineError(
            f"bad path {quote(word)}: absolute names are refused; a name is relative to the "
            "scenario's own filesystem"
        )
    if ".." in word.split("/"):
        raise LineError(f'bad path {quote(word)}: ".." would climb out of the filesystem')
    if "\\" in word:
        raise LineError(
            f'bad path {quote(word)}: a backslash is not part of a name ("/" is the only '
            "separator and cannot be escaped)"
        )
    if "" in word.split("/"):
        raise LineError(
            f'bad path {quote(word)}: an empty name between slashes (a trailing "/" means a '
            "directory)"
        )
    path = posixpath.normpath(word)
    if path == ".":
        raise LineError(f"bad path {quote(word)} (it names the filesystem's root)")
    if path.startswith("-"):
        raise LineError(f'bad path {quote(word)}: it may not start with "-" (an option)')
    if len(path.encode()) > PATH_MAX:
        raise LineError(f"bad path {quote(word)}: longer than {PATH_MAX} bytes (PATH_MAX)")
    for component in path.split("/"):
        if len(component.encode()) > NAME_MAX:
            raise LineError(
                f"bad path {quote(word)}: the name {quote(component)} is longer than "
                f"{NAME_MAX} bytes (NAME_MAX)"
            )
    return path
