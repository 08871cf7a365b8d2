"""Words and numbers of one scenario line, and how to name them in an error.

A line is split the way a POSIX shell splits it: blanks separate words,
single quotes keep everything literally, inside double quotes a backslash
escapes only ``"``, ``\\``, ``$`` and a backquote, a backslash outside quotes
escapes the next character, and a ``#`` that *starts* a word begins a comment
(``a#b`` is one word).  Numbers are xfs_io's: decimal or ``0x`` hex with an
optional ``k m g t p e`` (powers of 1024, as xfs_io's ``cvtnum()``), ``s``
(512-byte sectors) or ``b`` (filesystem blocks) suffix.  ``8e`` is 2**63,
one more than a file offset can be: xfs_io's ``cvtnum()`` wraps it to a
negative number and refuses it ("non-numeric argument"), mapviz says it is
too large.  As in xfs_io, hex digits come first: ``0x2b``
is 43, not two blocks.  Unlike xfs_io (``strtoll`` base 0), a leading zero
does not mean octal: ``010`` is ten, as the real-kernel recorder reads it.

Every problem is a :class:`LineError`, which the parser turns into a
``FILE:LINE: message`` :class:`~mapviz.errors.ScenarioError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

# The shell's blanks, plus the carriage return of a CRLF file.  Other Unicode
# spaces are ordinary characters of a word, as they are to a shell.
WHITESPACE = " \t\r\v\f"

LARGEST = (1 << 63) - 1
"""The largest number a scenario may write (file offsets are signed 64-bit)."""

_QUOTING = re.compile(r"['\"\\]")  # what makes a word more than its characters
_COMMENT = re.compile(r"(?:^|[ \t\r\v\f])#")  # a '#' that starts a word
_BARE_WORD = re.compile(r"[^ \t\r\v\f]+")  # a run of non-blanks (WHITESPACE)
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)([kmgtpesbKMGTPESB]?)")
_INDEX = re.compile(r"[0-9]+")
_UNITS = {
    "": 1,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
    "t": 1 << 40,
    "p": 1 << 50,
    "e": 1 << 60,
    "s": 512,
}
# Longer digit strings are too large anyway; checking first keeps int() away
# from huge strings (and from its 4300-digit limit).
_MAX_DIGITS = 24
_NUMBER_HINT = "decimal or 0x hex, optional suffix k m g t p e s b"


class LineError(Exception):
    """A problem with one line; the parser adds the file name and line number."""


@dataclass(frozen=True, slots=True)
class SplitLine:
    """A line cut into words: ``text`` is the line without its comment and outer blanks."""

    words: tuple[str, ...]
    text: str


def split_words(line: str) -> SplitLine:
    """Split ``line`` into words like a POSIX shell, dropping a trailing comment.

    Raises
    ------
    LineError
        An unterminated quote, or a backslash at the end of the line.

    Examples
    --------
    >>> split_words("open -f 'my file'  # the data")
    SplitLine(words=('open', '-f', 'my file'), text="open -f 'my file'")
    >>> split_words("note a#b").words
    ('note', 'a#b')
    """
    if _QUOTING.search(line) is None:
        # No quote and no backslash (nearly every line): the words are the runs of
        # non-blanks before the comment, found in C -- the parser splits every line.
        comment = _COMMENT.search(line)
        head = line if comment is None else line[: comment.end() - 1]
        return SplitLine(tuple(_BARE_WORD.findall(head)), head.strip(WHITESPACE))
    return _split_shell(line)


def _split_shell(line: str) -> SplitLine:
    """:func:`split_words` character by character, quotes and backslashes included."""
    words: list[str] = []
    end = len(line)
    i = 0
    while True:
        while i < len(line) and line[i] in WHITESPACE:
            i += 1
        if i >= len(line):
            break
        if line[i] == "#":
            end = i
            break
        word, i = _read_word(line, i)
        words.append(word)
    return SplitLine(tuple(words), line[:end].strip(WHITESPACE))


def _read_word(line: str, i: int) -> tuple[str, int]:
    """The word starting at ``line[i]`` and the index just past it."""
    parts: list[str] = []
    while i < len(line) and line[i] not in WHITESPACE:
        char = line[i]
        if char == "'":
            close = line.find("'", i + 1)
            if close < 0:
                raise LineError(f"unterminated single quote in {quote(line[i:])}")
            parts.append(line[i + 1 : close])
            i = close + 1
        elif char == '"':
            i = _read_double_quoted(line, i, parts)
        elif char == "\\":
            if i + 1 >= len(line):
                raise LineError("a backslash ends the line (a command is one line)")
            parts.append(line[i + 1])
            i += 2
        else:
            parts.append(char)
            i += 1
    return "".join(parts), i


def _read_double_quoted(line: str, start: int, parts: list[str]) -> int:
    """Append the text of the double-quoted string at ``line[start]``; return the index after it."""
    i = start + 1
    while i < len(line):
        char = line[i]
        if char == '"':
            return i + 1
        # Inside double quotes a backslash escapes only what the shell lets it escape.
        if char == "\\" and i + 1 < len(line) and line[i + 1] in '"\\$`':
            parts.append(line[i + 1])
            i += 2
        else:
            parts.append(char)
            i += 1
    raise LineError(f"unterminated double quote in {quote(line[start:])}")


def strip_comment(text: str) -> str:
    """Free text (``%title``, ``%note``) without its comment: cut at a ``#`` that starts a word.

    Quotes are kept as written: free text is not split into words.

    >>> strip_comment("it's #1 here # a comment")
    "it's"
    >>> strip_comment("  C# is a language ")
    'C# is a language'
    """
    for i, char in enumerate(text):
        if char == "#" and (i == 0 or text[i - 1] in WHITESPACE):
            text = text[:i]
            break
    return text.strip(WHITESPACE)


def parse_number(word: str, blocksize: int = 4096, what: str = "number") -> int:
    """Bytes meant by an xfs_io number such as ``64k``, ``0x1000``, ``8s`` or ``2b``.

    ``b`` counts filesystem blocks of ``blocksize`` bytes; ``what`` names the
    number in errors (``"offset"``, ``"length"``).

    Raises
    ------
    LineError
        The word is empty, negative, a fraction, malformed, or 2**63 or more.

    Examples
    --------
    >>> parse_number("64k"), parse_number("0x10"), parse_number("8s"), parse_number("2b", 1024)
    (65536, 16, 4096, 2048)
    """
    match = _NUMBER.fullmatch(word)
    if match is None:
        raise LineError(f"malformed {what} {quote(word)} ({_number_problem(word)})")
    digits, suffix = match.groups()
    is_hex = digits[:2] in ("0x", "0X")
    significant = (digits[2:] if is_hex else digits).lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise LineError(f"number too large {quote(word)} (the limit is 2^63 - 1)")
    value = int(digits, 16 if is_hex else 10)
    unit = blocksize if suffix in ("b", "B") else _UNITS[suffix.lower()]
    value *= unit
    if value > LARGEST:
        raise LineError(f"number too large {quote(word)} (the limit is 2^63 - 1)")
    return value


def _number_problem(word: str) -> str:
    """Why ``word`` is not a number, for the error message."""
    if not word:
        return "empty"
    if re.match(r"-[0-9.]", word):
        return "negative numbers are not allowed"
    if re.fullmatch(r"[0-9]*\.[0-9]*[kmgtpesbKMGTPESB]?", word) and word != ".":
        return "a whole number is needed"
    return _NUMBER_HINT


def parse_index(word: str, what: str = "index") -> int:
    """A plain decimal count such as the ``N`` of ``file N``: no hex, no suffix.

    >>> parse_index("2")
    2
    """
    if _INDEX.fullmatch(word) is None:
        raise LineError(f"malformed {what} {quote(word)} (a plain decimal number)")
    if len(word.lstrip("0")) > _MAX_DIGITS or int(word) > LARGEST:
        raise LineError(f"number too large {quote(word)} (the limit is 2^63 - 1)")
    return int(word)


def quote(word: str, limit: int = 60) -> str:
    """``word`` in double quotes for a one-line message: long words cut, control characters escaped.

    >>> quote("pwrtie"), quote("a\\tb")
    ('"pwrtie"', '"a\\\\tb"')
    """
    shown = word if len(word) <= limit else word[: limit - 3] + "..."
    escaped = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in shown)
    return f'"{escaped}"'


def suggest(word: str, choices: Iterable[str]) -> str:
    """A ``(did you mean "x"?)`` hint (with a leading space), or ``""`` if nothing is close.

    Case is ignored when comparing.

    >>> suggest("pwrtie", ["pread", "pwrite"])
    ' (did you mean "pwrite"?)'
    >>> suggest("zzz", ["pwrite"])
    ''
    """
    # Long words are never typos of a short name; skip the quadratic comparison.
    if not word or len(word) > 40:
        return ""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {quote(by_lower[close[0]])}?)" if close else ""
