"""The xfs_io commands a scenario may use, and how one line becomes a :class:`Command`.

Each command has a :class:`Spec`: its flags (letters without a value), its
options (letters with a value, ``-S seed``), and the shapes its positional
arguments may take.  Parsing follows xfs_io's getopt: flags may be combined
(``-rw``), a value may be attached (``-S0x61``) or separate (``-S 0x61``),
and flags come before the positional arguments.  Only syntax is checked here;
what a command does is the simulator's business (``fpunch 0 0`` parses).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from mapviz.scenario.lexer import LineError, parse_index, parse_number, quote, suggest
from mapviz.scenario.names import check_path
from mapviz.scenario.syntax import Command


class Kind(Enum):
    """What a positional argument or option value is."""

    NUMBER = "number"  # bytes, with suffixes (64k, 2b)
    INDEX = "index"  # a plain decimal count (file N, mmap N)
    PATH = "path"  # a file name on the simulated filesystem
    SEED = "seed"  # a 32-bit fill pattern, decimal or 0x hex
    SIZE = "size"  # a number of bytes greater than zero (-b bs)


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument or option value: ``meta`` for usage, ``what`` for errors."""

    meta: str
    what: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Spec:
    """One xfs_io command: its flags, valued options and argument shapes."""

    name: str
    flags: str = ""
    options: tuple[tuple[str, Arg], ...] = ()
    shapes: tuple[tuple[Arg, ...], ...] = ((),)
    usage: str = ""

    def option_letters(self) -> str:
        """Every letter the command accepts, flags first."""
        return self.flags + "".join(letter for letter, _ in self.options)


OFF = Arg("OFF", "offset", Kind.NUMBER)
LEN = Arg("LEN", "length", Kind.NUMBER)
SIZE = Arg("SIZE", "size", Kind.NUMBER)
SRC_OFF = Arg("SRC_OFF", "source offset", Kind.NUMBER)
DST_OFF = Arg("DST_OFF", "destination offset", Kind.NUMBER)
PATH = Arg("PATH", "path", Kind.PATH)
INFILE = Arg("INFILE", "path", Kind.PATH)
DONOR = Arg("DONOR", "path", Kind.PATH)
FILE_N = Arg("N", "file index", Kind.INDEX)
MAP_N = Arg("N", "mapping index", Kind.INDEX)
SEED = ("S", Arg("seed", "seed", Kind.SEED))
BUFSIZE = ("b", Arg("bs", "buffer size", Kind.SIZE))
VECTORS = ("V", Arg("N", "vector count", Kind.INDEX))
RANGE = (OFF, LEN)
OPTIONAL_RANGE = ((), RANGE)

SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            "open",
            "frtsad",
            shapes=((PATH,),),
            usage="open [-f] [-r] [-t] [-s] [-a] [-d] PATH",
        ),
        Spec("file", shapes=((), (FILE_N,)), usage="file [N]"),
        Spec("close", usage="close"),
        Spec(
            "pwrite",
            "qwWDNBF",
            (SEED, BUFSIZE, VECTORS),
            (RANGE,),
            "pwrite [-q] [-w] [-W] [-D] [-N] [-B|-F] [-V N] [-S seed] [-b bs] OFF LEN",
        ),
        Spec("pread", "qv", (BUFSIZE,), (RANGE,), "pread [-q] [-v] [-b bs] OFF LEN"),
        Spec("falloc", "kpcu", shapes=(RANGE,), usage="falloc [-k] [-p|-c|-u] OFF LEN"),
        Spec("fpunch", shapes=(RANGE,), usage="fpunch OFF LEN"),
        Spec("resvsp", shapes=(RANGE,), usage="resvsp OFF LEN"),
        Spec("unresvsp", shapes=(RANGE,), usage="unresvsp OFF LEN"),
        Spec("zero", shapes=(RANGE,), usage="zero OFF LEN"),
        Spec("sync_range", "abw", shapes=(RANGE,), usage="sync_range [-a|-b|-w] OFF LEN"),
        Spec("fzero", "k", shapes=(RANGE,), usage="fzero [-k] OFF LEN"),
        Spec("fcollapse", shapes=(RANGE,), usage="fcollapse OFF LEN"),
        Spec("finsert", shapes=(RANGE,), usage="finsert OFF LEN"),
        Spec("funshare", shapes=(RANGE,), usage="funshare OFF LEN"),
        Spec("truncate", shapes=((SIZE,),), usage="truncate SIZE"),
        Spec(
            "reflink",
            shapes=((INFILE,), (INFILE, SRC_OFF, DST_OFF, LEN)),
            usage="reflink INFILE [SRC_OFF DST_OFF LEN]",
        ),
        Spec(
            "dedupe",
            shapes=((INFILE, SRC_OFF, DST_OFF, LEN),),
            usage="dedupe INFILE SRC_OFF DST_OFF LEN",
        ),
        Spec("swapext", shapes=((DONOR,),), usage="swapext DONOR"),
        Spec("extsize", "DR", shapes=((), (SIZE,)), usage="extsize [-D|-R] [SIZE]"),
        Spec("cowextsize", "DR", shapes=((), (SIZE,)), usage="cowextsize [-D|-R] [SIZE]"),
        Spec(
            "exchangerange",
            "fn",
            (
                ("s", Arg("SRC_OFF", "source offset", Kind.NUMBER)),
                ("d", Arg("DST_OFF", "destination offset", Kind.NUMBER)),
                ("l", Arg("LEN", "length", Kind.NUMBER)),
            ),
            ((DONOR,),),
            "exchangerange [-f] [-n] [-s SRC_OFF] [-d DST_OFF] [-l LEN] DONOR",
        ),
        Spec(
            "copy_range",
            options=(
                ("s", Arg("SRC_OFF", "source offset", Kind.NUMBER)),
                ("d", Arg("DST_OFF", "destination offset", Kind.NUMBER)),
                ("l", Arg("LEN", "length", Kind.NUMBER)),
                ("f", Arg("N", "file index", Kind.INDEX)),
            ),
            shapes=((INFILE,), ()),
            usage="copy_range [-s SRC_OFF] [-d DST_OFF] [-l LEN] INFILE | copy_range ... -f N",
        ),
        Spec(
            "sendfile",
            "qi",
            (("f", Arg("N", "file index", Kind.INDEX)),),
            shapes=((INFILE,), (INFILE, OFF, LEN), (), RANGE),
            usage="sendfile [-q] -i INFILE [OFF LEN] | sendfile [-q] -f N [OFF LEN]",
        ),
        Spec("fsync", usage="fsync"),
        Spec("fdatasync", usage="fdatasync"),
        Spec("sync", usage="sync"),
        Spec("chattr", usage="chattr +i | chattr -i"),
        Spec("lsattr", "av", usage="lsattr [-a] [-v]"),
        Spec(
            "mmap",
            "rwxSDPA",
            shapes=((), (MAP_N,), RANGE),
            usage="mmap [-r] [-w] [-x] [-S] [-D] [-P] OFF LEN | mmap -A [-rwxDP] LEN | mmap [N]",
        ),
        Spec("mread", "rv", shapes=OPTIONAL_RANGE, usage="mread [-r] [-v] [OFF LEN]"),
        Spec("mwrite", "r", (SEED,), OPTIONAL_RANGE, "mwrite [-r] [-S seed] [OFF LEN]"),
        Spec("msync", "ais", shapes=OPTIONAL_RANGE, usage="msync [-a] [-i] [-s] [OFF LEN]"),
        Spec("munmap", usage="munmap"),
        Spec(
            "mremap",
            "m",
            (("f", Arg("ADDR", "address", Kind.NUMBER)),),
            ((Arg("NEWLEN", "length", Kind.NUMBER),),),
            "mremap [-m|-f ADDR] NEWLEN",
        ),
        Spec("madvise", "drsw", shapes=OPTIONAL_RANGE, usage="madvise [-d|-r|-s|-w] [OFF LEN]"),
        Spec("mincore", shapes=OPTIONAL_RANGE, usage="mincore [OFF LEN]"),
        Spec("fadvise", "dnrsw", shapes=((), RANGE), usage="fadvise [-d|-n|-r|-s|-w] [OFF LEN]"),
        Spec("seek", "adhrs", shapes=((OFF,),), usage="seek -a|-d|-h [-r] [-s] OFF"),
        Spec(
            "fiemap",
            "alv",
            shapes=((), (OFF,), RANGE),
            usage="fiemap [-a] [-l] [-v] [OFF [LEN]]",
        ),
        Spec("bmap", "acelpv", usage="bmap [-a|-c] [-e] [-l] [-p] [-v]"),
        Spec("stat", "v", usage="stat [-v]"),
        Spec("print", usage="print"),
    )
}
"""Every xfs_io command of SCENARIO.md, by name."""

_LARGEST_SEED = 0xFFFFFFFF


def build_command(words: Sequence[str], text: str, line: int, blocksize: int) -> Command:
    """The :class:`Command` for one xfs_io command line, already split into ``words``.

    ``text`` is the line as written (without its comment); ``blocksize`` gives
    the ``b`` suffix its meaning.

    Raises
    ------
    LineError
        An unknown command or option, a missing or extra argument, a malformed
        number or path.

    Examples
    --------
    >>> command = build_command(["pwrite", "-S0x61", "0", "64k"], "pwrite -S0x61 0 64k", 3, 4096)
    >>> command.options, command.args
    ((('S', 97),), (0, 65536))
    """
    name = words[0]
    spec = SPECS.get(name)
    if spec is None:
        raise LineError(f"unknown command {quote(name)}{suggest(name, SPECS)}")
    try:
        return _build(spec, words[1:], text, line, blocksize)
    except LineError as problem:
        raise LineError(f"{name}: {problem}") from None


def _build(spec: Spec, words: Sequence[str], text: str, line: int, blocksize: int) -> Command:
    """The :class:`Command` for ``spec`` with the words after its name."""
    if spec.name == "chattr":
        return Command(line, text, spec.name, args=(_chattr_word(words),))
    flags, options, rest = _parse_flags(spec, words, blocksize)
    _check_flag_rules(spec.name, flags)
    shape = _shape(spec, _shapes(spec, flags, options), rest)
    args = tuple(_argument(arg, word, blocksize) for arg, word in zip(shape, rest, strict=True))
    return Command(line, text, spec.name, flags, options, args)


def _parse_flags(
    spec: Spec, words: Sequence[str], blocksize: int
) -> tuple[str, tuple[tuple[str, int], ...], Sequence[str]]:
    """Leading flag words: the flag letters, the option values, and the words after them."""
    flags: list[str] = []
    options: dict[str, int] = {}
    valued = dict(spec.options)
    i = 0
    while i < len(words) and len(words[i]) > 1 and words[i].startswith("-"):
        word = words[i]
        if word[1] in "0123456789":
            raise LineError(f"negative numbers are not allowed: {quote(word)}")
        for j, letter in enumerate(word[1:], start=1):
            if letter in spec.flags:
                if letter not in flags:
                    flags.append(letter)
                continue
            if letter not in valued:
                raise LineError(_unknown_option(spec, letter))
            value = word[j + 1 :]
            if not value:
                i += 1
                if i >= len(words):
                    raise LineError(f"option {quote('-' + letter)} needs a value")
                value = words[i]
            # getopt lets a repeated option override the earlier value.
            options[letter] = _option_value(valued[letter], value, blocksize)
            break
        i += 1
    return "".join(flags), tuple(options.items()), words[i:]


def _unknown_option(spec: Spec, letter: str) -> str:
    """The message for ``-letter``, which ``spec`` does not accept."""
    letters = spec.option_letters()
    if not letters:
        return f"unknown option {quote('-' + letter)} ({spec.name} takes no options)"
    # Option letters are case-sensitive in xfs_io (-s and -S differ): suggest the other case.
    other = letter.swapcase()
    if len(other) == 1 and other != letter and other in letters:
        return f"unknown option {quote('-' + letter)} (did you mean {quote('-' + other)}?)"
    listed = " ".join(f"-{known}" for known in letters)
    return f"unknown option {quote('-' + letter)} ({spec.name} takes {listed})"


def _option_value(arg: Arg, word: str, blocksize: int) -> int:
    """The value given with an option: a seed, a count, or a size greater than zero."""
    if arg.kind is Kind.SEED:
        return _seed(word)
    if arg.kind is Kind.INDEX:
        return parse_index(word, arg.what)
    value = parse_number(word, blocksize, arg.what)
    if value == 0 and arg.kind is Kind.SIZE:
        raise LineError(f"the {arg.what} {quote(word)} must be more than 0")
    return value


def _seed(word: str) -> int:
    """A ``-S`` fill pattern: decimal or 0x hex, no suffix, at most 0xffffffff."""
    if re.fullmatch(r"0[xX][0-9a-fA-F]{1,64}|[0-9]{1,64}", word) is None:
        raise LineError(f"malformed seed {quote(word)} (decimal or 0x hex, no suffix)")
    value = int(word, 16) if word[:2] in ("0x", "0X") else int(word, 10)
    if value > _LARGEST_SEED:
        raise LineError(f"seed {quote(word)} is larger than 0xffffffff")
    return value


def _check_flag_rules(name: str, flags: str) -> None:
    """Flags that exclude each other."""
    if name == "falloc" and sum(letter in flags for letter in "pcu") > 1:
        raise LineError(f"-p, -c and -u exclude each other (got {quote('-' + flags)})")
    if name in ("extsize", "cowextsize") and "D" in flags and "R" in flags:
        raise LineError("-R and -D options are mutually exclusive")
    if name == "seek" and not any(letter in flags for letter in "adh"):
        raise LineError("one of -a, -d or -h is needed (usage: seek -a|-d|-h [-r] [-s] OFF)")
    if name == "mmap" and "A" in flags and "S" in flags:
        raise LineError('"-S" (MAP_SYNC) needs a file; it cannot go with "-A"')


def _shapes(
    spec: Spec, flags: str, options: tuple[tuple[str, int], ...] = ()
) -> tuple[tuple[Arg, ...], ...]:
    """The argument shapes ``spec`` allows with these flags and options."""
    from_file = any(letter == "f" for letter, _ in options)
    if spec.name == "copy_range":
        # -f N names the source by index (io/copy_file_range.c: "Expect no src_path arg")
        return ((),) if from_file else ((INFILE,),)
    if spec.name == "sendfile":
        if from_file == ("i" in flags):
            raise LineError(f"exactly one of -i INFILE or -f N is needed (usage: {spec.usage})")
        return ((), RANGE) if from_file else ((INFILE,), (INFILE, OFF, LEN))
    if spec.name == "fadvise":
        # xfs_io's fadvise_f(): -d -n -w take a range, -r -s and no flag none (the last wins)
        last = next((f for f in reversed(flags) if f in "dnrsw"), "")
        return (RANGE,) if last in ("d", "n", "w") else ((),)
    if spec.name != "mmap":
        return spec.shapes
    if "A" in flags:
        return ((LEN,),)
    # With flags, mmap maps a range; without, it may also list or select.
    return (RANGE,) if flags else spec.shapes


def _shape(
    spec: Spec, shapes: tuple[tuple[Arg, ...], ...], words: Sequence[str]
) -> tuple[Arg, ...]:
    """The shape whose length matches ``words``, or an error naming what is missing or extra."""
    for shape in shapes:
        if len(shape) == len(words):
            return shape
    longer = [shape for shape in shapes if len(shape) > len(words)]
    if longer:
        missing = " ".join(arg.meta for arg in min(longer, key=len)[len(words) :])
        raise LineError(f"missing {missing} (usage: {spec.usage})")
    extra = words[max(len(shape) for shape in shapes)]
    hint = "; flags go before the arguments" if re.fullmatch(r"-[A-Za-z]+", extra) else ""
    raise LineError(f"unexpected argument {quote(extra)} (usage: {spec.usage}{hint})")


def _argument(arg: Arg, word: str, blocksize: int) -> int | str:
    """One positional argument, converted by its kind."""
    if arg.kind is Kind.PATH:
        return check_path(word)
    if arg.kind is Kind.INDEX:
        return parse_index(word, arg.what)
    return parse_number(word, blocksize, arg.what)


def _chattr_word(words: Sequence[str]) -> str:
    """``+i`` or ``-i``: the one attribute mapviz models."""
    if not words:
        raise LineError("missing +i or -i (usage: chattr +i | chattr -i)")
    if len(words) > 1:
        raise LineError(f"unexpected argument {quote(words[1])} (usage: chattr +i | chattr -i)")
    word = words[0]
    if re.fullmatch(r"[+-][A-Za-z]+", word) is None:
        raise LineError(f"malformed attribute change {quote(word)} (+i or -i)")
    others = [letter for letter in word[1:] if letter != "i"]
    if others:
        raise LineError(
            f"attribute {quote(others[0])} is not modelled; "
            "mapviz models only the immutable flag (+i / -i)"
        )
    return word[0] + "i"
