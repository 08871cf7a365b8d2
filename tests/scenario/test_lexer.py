"""Word splitting, comments, numbers and message helpers (mapviz.scenario.lexer)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapviz.scenario.lexer import (
    LineError,
    _split_shell,
    parse_index,
    parse_number,
    quote,
    split_words,
    strip_comment,
    suggest,
)

KIB, MIB, GIB, TIB = 1 << 10, 1 << 20, 1 << 30, 1 << 40


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("0", 0),
        ("17", 17),
        ("007", 7),  # decimal, not octal
        ("0x10", 16),
        ("0X1f", 31),
        ("0xFF", 255),
        ("64k", 64 * KIB),
        ("64K", 64 * KIB),
        ("3m", 3 * MIB),
        ("3M", 3 * MIB),
        ("2g", 2 * GIB),
        ("2G", 2 * GIB),
        ("1t", TIB),
        ("1T", TIB),
        ("8s", 4096),
        ("8S", 4096),
        ("2b", 8192),
        ("2B", 8192),
        ("0x10k", 16 * KIB),
        ("0b", 0),
        ("0" * 100 + "1", 1),
        ("9223372036854775807", (1 << 63) - 1),
        ("8388607t", 8388607 * TIB),
        ("1p", 1 << 50),  # xfs_io's cvtnum(): p and e too
        ("1P", 1 << 50),
        ("7e", 7 << 60),
        ("7E", 7 << 60),
        ("0x1e", 0x1E),  # hex digits win, as strtoll reads them
        ("0x1p", 1 << 50),
    ],
)
def test_numbers(word: str, value: int) -> None:
    assert parse_number(word) == value


def test_b_counts_blocks_of_the_given_size() -> None:
    assert parse_number("3b", 1024) == 3072
    assert parse_number("0x2b", 2048) == 0x2B  # hex digits win: "b" is a hex digit here
    assert parse_number("1B", 1024) == 1024


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("", 'malformed length "" (empty)'),
        ("-1", 'malformed length "-1" (negative numbers are not allowed)'),
        ("-0x10", 'malformed length "-0x10" (negative numbers are not allowed)'),
        ("1.5", 'malformed length "1.5" (a whole number is needed)'),
        ("1.5k", 'malformed length "1.5k" (a whole number is needed)'),
        (".5", 'malformed length ".5" (a whole number is needed)'),
        ("abc", 'malformed length "abc" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("0x", 'malformed length "0x" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("1kk", 'malformed length "1kk" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("1e3", 'malformed length "1e3" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("1 k", 'malformed length "1 k" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("k", 'malformed length "k" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        ("1_000", 'malformed length "1_000" (decimal or 0x hex, optional suffix k m g t p e s b)'),
        (
            "\u0661",
            'malformed length "\u0661" (decimal or 0x hex, optional suffix k m g t p e s b)',
        ),
        (
            "1\u212a",
            'malformed length "1\u212a" (decimal or 0x hex, optional suffix k m g t p e s b)',
        ),
        ("9223372036854775808", 'number too large "9223372036854775808" (the limit is 2^63 - 1)'),
        ("8388608t", 'number too large "8388608t" (the limit is 2^63 - 1)'),
        ("8e", 'number too large "8e" (the limit is 2^63 - 1)'),
        ("8192p", 'number too large "8192p" (the limit is 2^63 - 1)'),
        ("0x8000000000000000", 'number too large "0x8000000000000000" (the limit is 2^63 - 1)'),
        ("9" * 5000, 'number too large "' + "9" * 57 + '..." (the limit is 2^63 - 1)'),
    ],
)
def test_bad_numbers(word: str, message: str) -> None:
    with pytest.raises(LineError) as info:
        parse_number(word, what="length")
    assert str(info.value) == message


def test_index_is_plain_decimal() -> None:
    assert parse_index("0") == 0
    assert parse_index("12") == 12
    for word in ("0x1", "1k", "-1", "", "1.0", "\u00b2"):
        with pytest.raises(LineError, match="malformed file index"):
            parse_index(word, "file index")
    with pytest.raises(LineError, match="number too large"):
        parse_index("9" * 30)


@pytest.mark.parametrize(
    ("line", "words", "text"),
    [
        ("", (), ""),
        ("   \t ", (), ""),
        ("# only a comment", (), ""),
        ("  pwrite 0 4k  ", ("pwrite", "0", "4k"), "pwrite 0 4k"),
        ("pwrite 0 4k # write it", ("pwrite", "0", "4k"), "pwrite 0 4k"),
        ("pwrite 0 4k#no comment", ("pwrite", "0", "4k#no", "comment"), "pwrite 0 4k#no comment"),
        ("open 'my file' x", ("open", "my file", "x"), "open 'my file' x"),
        ('open "my file"', ("open", "my file"), 'open "my file"'),
        ('open "a\\"b\\\\c\\d"', ("open", 'a"b\\c\\d'), 'open "a\\"b\\\\c\\d"'),
        ("open 'a\\b'", ("open", "a\\b"), "open 'a\\b'"),
        ("open a\\ b", ("open", "a b"), "open a\\ b"),
        ("open '#x' # c", ("open", "#x"), "open '#x'"),
        ('open "#x"', ("open", "#x"), 'open "#x"'),
        ("open \\#x", ("open", "#x"), "open \\#x"),
        ("open a'b'\"c\"", ("open", "abc"), "open a'b'\"c\""),
        ("open ''", ("open", ""), "open ''"),
        ("fsync\r", ("fsync",), "fsync"),
        ("a\x00b \x85", ("a\x00b", "\x85"), "a\x00b \x85"),
    ],
)
def test_split_words(line: str, words: tuple[str, ...], text: str) -> None:
    split = split_words(line)
    assert split.words == words
    assert split.text == text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("open 'abc", 'unterminated single quote in "\'abc"'),
        ('open "abc', 'unterminated double quote in ""abc"'),
        ('open "abc\\"', 'unterminated double quote in ""abc\\""'),
        ("open abc\\", "a backslash ends the line (a command is one line)"),
    ],
)
def test_split_errors(line: str, message: str) -> None:
    with pytest.raises(LineError) as info:
        split_words(line)
    assert str(info.value) == message


def test_an_unterminated_quote_in_a_comment_is_fine() -> None:
    assert split_words("fsync # it's done").words == ("fsync",)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("  a title  ", "a title"),
        ("it's #1 # comment", "it's"),
        ("C# and F#", "C# and F#"),
        ("# all comment", ""),
        ('"quoted" words', '"quoted" words'),
        ("tab\t#comment", "tab"),
    ],
)
def test_strip_comment(text: str, kept: str) -> None:
    assert strip_comment(text) == kept


def test_quote_escapes_and_cuts() -> None:
    assert quote("pwrite") == '"pwrite"'
    assert quote("a\tb\x85\u2028") == '"a\\tb\\x85\\u2028"'
    assert quote("x" * 100) == '"' + "x" * 57 + '..."'
    assert quote("") == '""'


def test_suggest() -> None:
    assert suggest("pwrtie", ["pwrite", "pread"]) == ' (did you mean "pwrite"?)'
    assert suggest("SIGbus", ["SIGBUS", "ok"]) == ' (did you mean "SIGBUS"?)'
    assert suggest("qqqq", ["pwrite"]) == ""
    assert suggest("", ["pwrite"]) == ""
    assert suggest("p" * 1000, ["pwrite"]) == ""


# Lines without quotes or backslashes take split_words' fast path: it must split them
# exactly as the shell-like splitter does (blanks, a '#' starting a word, Unicode spaces
# that are word characters, CRLF ends).
_PLAIN_ALPHABET = st.sampled_from([*"ab0#-%k ", "\t", "\r", "\v", "\f", "\u00a0", "é"])


@settings(max_examples=3000, derandomize=True)
@given(st.text(_PLAIN_ALPHABET, max_size=30))
def test_fast_split_agrees_with_the_shell_splitter(line: str) -> None:
    assert split_words(line) == _split_shell(line)


def test_lines_with_quotes_still_split_as_a_shell_does() -> None:
    assert split_words("pwrite -f 'a # b' 0 4k # c").words == ("pwrite", "-f", "a # b", "0", "4k")
    assert split_words('open "x\\"y" #z').text == 'open "x\\"y"'
