"""Every xfs_io command shape and flag (mapviz.scenario.commands), through parse_line."""

from __future__ import annotations

import pytest

from mapviz.errors import ScenarioError
from mapviz.scenario import Command, FsConfig, parse_line
from mapviz.scenario.commands import SPECS

K = 1024


def command(text: str, blocksize: int = 4096) -> Command:
    item = parse_line(text, line=7, fs=FsConfig(blocksize=blocksize), source="c.scenario")
    assert isinstance(item, Command)
    return item


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_line(text, line=7, source="c.scenario")
    return str(info.value)


# (line, flags, options, args)
SHAPES: list[tuple[str, str, tuple[tuple[str, int], ...], tuple[int | str, ...]]] = [
    ("open data", "", (), ("data",)),
    ("open -f data", "f", (), ("data",)),
    ("open -r data", "r", (), ("data",)),
    ("open -t data", "t", (), ("data",)),
    ("open -frt dir/sub/x.1", "frt", (), ("dir/sub/x.1",)),
    ("open -f -f ./a_b+c-d", "f", (), ("a_b+c-d",)),
    ("open dir/./f", "", (), ("dir/f",)),
    ("file", "", (), ()),
    ("file 2", "", (), (2,)),
    ("close", "", (), ()),
    ("pwrite 0 64k", "", (), (0, 65536)),
    ("pwrite -q -w -W 4k 4k", "qwW", (), (4096, 4096)),
    ("pwrite -S 0x61 0 4k", "", (("S", 0x61),), (0, 4096)),
    ("pwrite -S0x61 0 4k", "", (("S", 0x61),), (0, 4096)),
    ("pwrite -qS0xffffffff 0 4k", "q", (("S", 0xFFFFFFFF),), (0, 4096)),
    ("pwrite -S 97 -b 64k 0 1m", "", (("S", 97), ("b", 65536)), (0, 1 << 20)),
    ("pwrite -S 1 -S 2 0 4k", "", (("S", 2),), (0, 4096)),
    ("pwrite -b1b 0 1b", "", (("b", 4096),), (0, 4096)),
    ("pread 0 4k", "", (), (0, 4096)),
    ("pread -qv -b 8k 0 4k", "qv", (("b", 8192),), (0, 4096)),
    ("falloc 0 4k", "", (), (0, 4096)),
    ("falloc -k 0 4k", "k", (), (0, 4096)),
    ("falloc -p 0 4k", "p", (), (0, 4096)),
    ("falloc -c 0 4k", "c", (), (0, 4096)),
    ("falloc -u 0 4k", "u", (), (0, 4096)),
    ("falloc -kp 0 4k", "kp", (), (0, 4096)),
    ("falloc -pp 0 4k", "p", (), (0, 4096)),
    ("fpunch 0 0", "", (), (0, 0)),
    ("fzero 4k 8k", "", (), (4096, 8192)),
    ("fzero -k 4k 8k", "k", (), (4096, 8192)),
    ("fcollapse 4k 4k", "", (), (4096, 4096)),
    ("finsert 4k 4k", "", (), (4096, 4096)),
    ("funshare 0 64k", "", (), (0, 65536)),
    ("truncate 0", "", (), (0,)),
    ("truncate 0x1000", "", (), (4096,)),
    ("reflink a", "", (), ("a",)),
    ("reflink a 0 4k 8k", "", (), ("a", 0, 4096, 8192)),
    ("dedupe a 0 4k 8k", "", (), ("a", 0, 4096, 8192)),
    ("swapext donor", "", (), ("donor",)),
    ("fsync", "", (), ()),
    ("fdatasync", "", (), ()),
    ("sync", "", (), ()),
    ("chattr +i", "", (), ("+i",)),
    ("chattr -i", "", (), ("-i",)),
    ("chattr +ii", "", (), ("+i",)),
    ("lsattr", "", (), ()),
    ("lsattr -a -v", "av", (), ()),
    ("mmap", "", (), ()),
    ("mmap 3", "", (), (3,)),
    ("mmap 0 64k", "", (), (0, 65536)),
    ("mmap -rwx 0 64k", "rwx", (), (0, 65536)),
    ("mmap -r -w 0 4k", "rw", (), (0, 4096)),
    ("mmap -S 0 4k", "S", (), (0, 4096)),
    ("mmap -D 0 4k", "D", (), (0, 4096)),
    ("mmap -P 0 4k", "P", (), (0, 4096)),
    ("mmap -SDP 0 4k", "SDP", (), (0, 4096)),
    ("mmap -A 64k", "A", (), (65536,)),
    ("mmap -A -rwxDP 64k", "ArwxDP", (), (65536,)),
    ("mread", "", (), ()),
    ("mread -r -v 0 4k", "rv", (), (0, 4096)),
    ("mwrite", "", (), ()),
    ("mwrite -r -S 0x62 4k 4k", "r", (("S", 0x62),), (4096, 4096)),
    ("msync", "", (), ()),
    ("msync -ais 0 4k", "ais", (), (0, 4096)),
    ("munmap", "", (), ()),
    ("fiemap", "", (), ()),
    ("fiemap -v", "v", (), ()),
    ("bmap", "", (), ()),
    ("bmap -vp", "vp", (), ()),
    ("fiemap -alv 4k", "alv", (), (4096,)),
    ("fiemap -v 4k 8k", "v", (), (4096, 8192)),
    ("bmap -elpv", "elpv", (), ()),
    ("bmap -a -c", "ac", (), ()),
    ("copy_range src", "", (), ("src",)),
    ("copy_range -s 0 -d 4k -l 0 src", "", (("s", 0), ("d", 4096), ("l", 0)), ("src",)),
    ("copy_range -f 1", "", (("f", 1),), ()),
    ("sendfile -i src", "i", (), ("src",)),
    ("sendfile -q -i src 0 4k", "qi", (), ("src", 0, 4096)),
    ("sendfile -f 0 4k 4k", "", (("f", 0),), (4096, 4096)),
    ("mremap 8k", "", (), (8192,)),
    ("exchangerange d", "", (), ("d",)),
    ("extsize", "", (), ()),
    ("extsize -R 64k", "R", (), (65536,)),
    ("cowextsize -D 1m", "D", (), (1 << 20,)),
    ("exchangerange -fn -s 4k -d 0 -l 8k d", "fn", (("s", 4096), ("d", 0), ("l", 8192)), ("d",)),
    ("mremap -m 1m", "m", (), (1 << 20,)),
    ("mremap -f 0x10000000 8k", "", (("f", 0x10000000),), (8192,)),
    ("stat", "", (), ()),
    ("stat -v", "v", (), ()),
    ("print", "", (), ()),
    ("open -sad data", "sad", (), ("data",)),
    ("pwrite -D -N -B -F -V 1 0 4k", "DNBF", (("V", 1),), (0, 4096)),
    ("pwrite -V0 0 4k", "", (("V", 0),), (0, 4096)),
    ("madvise", "", (), ()),
    ("madvise -d 0 4k", "d", (), (0, 4096)),
    ("madvise -rsw", "rsw", (), ()),
    ("mincore", "", (), ()),
    ("mincore 4k 8k", "", (), (4096, 8192)),
    ("fadvise", "", (), ()),
    ("fadvise -r", "r", (), ()),
    ("fadvise -s", "s", (), ()),
    ("fadvise -d 0 64k", "d", (), (0, 65536)),
    ("fadvise -w 4k 0", "w", (), (4096, 0)),
    ("fadvise -n 0 4k", "n", (), (0, 4096)),
    ("fadvise -dr", "dr", (), ()),
    ("seek -a 0", "a", (), (0,)),
    ("seek -d -r -s 4k", "drs", (), (4096,)),
    ("seek -h 1m", "h", (), (1 << 20,)),
    ("resvsp 0 64k", "", (), (0, 65536)),
    ("unresvsp 4k 4k", "", (), (4096, 4096)),
    ("zero 0 4k", "", (), (0, 4096)),
    ("sync_range -a 0 4k", "a", (), (0, 4096)),
    ("sync_range 0 0", "", (), (0, 0)),
]


@pytest.mark.parametrize(("text", "flags", "options", "args"), SHAPES)
def test_shapes(
    text: str, flags: str, options: tuple[tuple[str, int], ...], args: tuple[int | str, ...]
) -> None:
    parsed = command(text)
    assert parsed.name == text.split()[0]
    assert parsed.line == 7
    assert parsed.text == text
    assert (parsed.flags, parsed.options, parsed.args) == (flags, options, args)


def test_every_command_is_covered() -> None:
    assert {text.split()[0] for text, *_ in SHAPES} == set(SPECS)


def test_text_drops_comment_and_outer_blanks() -> None:
    parsed = command("   pwrite  -S 0x61   0 4k    # the first page  ")
    assert parsed.text == "pwrite  -S 0x61   0 4k"


def test_b_suffix_uses_the_block_size() -> None:
    assert command("pwrite 1b 2b", blocksize=1024).args == (1024, 2048)
    assert command("pwrite -b 2b 0 1", blocksize=2048).option("b") == 4096


def test_accessors() -> None:
    parsed = command("pwrite -q -S 0x61 0 4k")
    assert parsed.has("q") and parsed.has("S") and not parsed.has("w")
    assert parsed.option("S") == 0x61 and parsed.option("b", 99) == 99
    assert parsed.number(1) == 4096
    assert command("reflink src 0 0 4k").word(0) == "src"


USAGE_PWRITE = "usage: pwrite [-q] [-w] [-W] [-D] [-N] [-B|-F] [-V N] [-S seed] [-b bs] OFF LEN"
USAGE_MMAP = "usage: mmap [-r] [-w] [-x] [-S] [-D] [-P] OFF LEN | mmap -A [-rwxDP] LEN | mmap [N]"
USAGE_COPY = "copy_range [-s SRC_OFF] [-d DST_OFF] [-l LEN] INFILE | copy_range ... -f N"
USAGE_SEND = "sendfile [-q] -i INFILE [OFF LEN] | sendfile [-q] -f N [OFF LEN]"
HINT = "decimal or 0x hex, optional suffix k m g t p e s b"
ONLY_I = "mapviz models only the immutable flag (+i / -i)"
ABSOLUTE = "absolute names are refused; a name is relative to the scenario's own filesystem"
EMPTY_NAME = 'an empty name between slashes (a trailing "/" means a directory)'
CONTROL = "a control or layout character (a name must print as one line of text)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pwrtie 0 4k", 'unknown command "pwrtie" (did you mean "pwrite"?)'),
        ("PWRITE 0 4k", 'unknown command "PWRITE" (did you mean "pwrite"?)'),
        ("madvize", 'unknown command "madvize" (did you mean "madvise"?)'),
        ("fadvise -d", "fadvise: missing OFF LEN (usage: fadvise [-d|-n|-r|-s|-w] [OFF LEN])"),
        (
            "fadvise -r 0 4k",
            'fadvise: unexpected argument "0" (usage: fadvise [-d|-n|-r|-s|-w] [OFF LEN])',
        ),
        ("seek 0", "seek: one of -a, -d or -h is needed (usage: seek -a|-d|-h [-r] [-s] OFF)"),
        ("seek -a", "seek: missing OFF (usage: seek -a|-d|-h [-r] [-s] OFF)"),
        ("pwrite -V x 0 4k", 'pwrite: malformed vector count "x" (a plain decimal number)'),
        ("quit", 'unknown command "quit"'),
        (
            "pwrite -z 0 4k",
            'pwrite: unknown option "-z" (pwrite takes -q -w -W -D -N -B -F -S -b -V)',
        ),
        ("pwrite -s 0 4k", 'pwrite: unknown option "-s" (did you mean "-S"?)'),
        ("fsync -v", 'fsync: unknown option "-v" (fsync takes no options)'),
        (
            "pwrite -- 0 4k",
            'pwrite: unknown option "--" (pwrite takes -q -w -W -D -N -B -F -S -b -V)',
        ),
        ("pwrite -S", 'pwrite: option "-S" needs a value'),
        ("pwrite -q -b", 'pwrite: option "-b" needs a value'),
        ("pwrite -S 1k 0 4k", 'pwrite: malformed seed "1k" (decimal or 0x hex, no suffix)'),
        ("pwrite -S -1 0 4k", 'pwrite: malformed seed "-1" (decimal or 0x hex, no suffix)'),
        ("pwrite -S 0x100000000 0 4k", 'pwrite: seed "0x100000000" is larger than 0xffffffff'),
        ("mwrite -S 4294967296", 'mwrite: seed "4294967296" is larger than 0xffffffff'),
        ("pwrite -b 0 0 4k", 'pwrite: the buffer size "0" must be more than 0'),
        ("pread -b x 0 4k", f'pread: malformed buffer size "x" ({HINT})'),
        ("pwrite 0", f"pwrite: missing LEN ({USAGE_PWRITE})"),
        ("pwrite", f"pwrite: missing OFF LEN ({USAGE_PWRITE})"),
        ("pwrite 0 4k 4k", f'pwrite: unexpected argument "4k" ({USAGE_PWRITE})'),
        (
            "pwrite 0 4k -q",
            f'pwrite: unexpected argument "-q" ({USAGE_PWRITE}; flags go before the arguments)',
        ),
        ("pwrite x 4k", f'pwrite: malformed offset "x" ({HINT})'),
        ("pwrite 0 1.5k", 'pwrite: malformed length "1.5k" (a whole number is needed)'),
        ("pwrite -4k 4k", 'pwrite: negative numbers are not allowed: "-4k"'),
        ("pwrite 0 -4k", 'pwrite: malformed length "-4k" (negative numbers are not allowed)'),
        ("pwrite 0 ''", 'pwrite: malformed length "" (empty)'),
        ("pwrite 0 16777216t", 'pwrite: number too large "16777216t" (the limit is 2^63 - 1)'),
        ("truncate", "truncate: missing SIZE (usage: truncate SIZE)"),
        ("truncate 1 2", 'truncate: unexpected argument "2" (usage: truncate SIZE)'),
        ("close 1", 'close: unexpected argument "1" (usage: close)'),
        ("file 0x1", 'file: malformed file index "0x1" (a plain decimal number)'),
        ("file 1 2", 'file: unexpected argument "2" (usage: file [N])'),
        ("falloc -pc 0 4k", 'falloc: -p, -c and -u exclude each other (got "-pc")'),
        ("falloc -p -u 0 4k", 'falloc: -p, -c and -u exclude each other (got "-pu")'),
        ("falloc -kcu 0 4k", 'falloc: -p, -c and -u exclude each other (got "-kcu")'),
        ("reflink a 0 0", "reflink: missing LEN (usage: reflink INFILE [SRC_OFF DST_OFF LEN])"),
        (
            "reflink a 0",
            "reflink: missing DST_OFF LEN (usage: reflink INFILE [SRC_OFF DST_OFF LEN])",
        ),
        ("reflink", "reflink: missing INFILE (usage: reflink INFILE [SRC_OFF DST_OFF LEN])"),
        (
            "dedupe a",
            "dedupe: missing SRC_OFF DST_OFF LEN (usage: dedupe INFILE SRC_OFF DST_OFF LEN)",
        ),
        ("swapext", "swapext: missing DONOR (usage: swapext DONOR)"),
        ("open", "open: missing PATH (usage: open [-f] [-r] [-t] [-s] [-a] [-d] PATH)"),
        ("open ../x", 'open: bad path "../x": ".." would climb out of the filesystem'),
        ("open a/../../x", 'open: bad path "a/../../x": ".." would climb out of the filesystem'),
        ("open /etc/passwd", f'open: bad path "/etc/passwd": {ABSOLUTE}'),
        ("open //x", f'open: bad path "//x": {ABSOLUTE}'),
        ("open a//b", f'open: bad path "a//b": {EMPTY_NAME}'),
        ("open a/", f'open: bad path "a/": {EMPTY_NAME}'),
        ("open ''", "open: empty path"),
        ("open 'a\tb'", f'open: bad path "a\\tb": it holds U+0009, {CONTROL}'),
        ("open 'a\x7fb'", f'open: bad path "a\\x7fb": it holds U+007F, {CONTROL}'),
        (
            "open 'a\u202eb'",
            f'open: bad path "a\\u202eb": it holds U+202E RIGHT-TO-LEFT OVERRIDE, {CONTROL}',
        ),
        (
            "open 'a\\/b'",
            'open: bad path "a\\/b": a backslash is not part of a name ("/" is the only '
            "separator and cannot be escaped)",
        ),
        ("open -f -- x", 'open: unknown option "--" (open takes -f -r -t -s -a -d)'),
        ("reflink ./-x", 'reflink: bad path "./-x": it may not start with "-" (an option)'),
        (
            "open " + "x" * 256,
            f'open: bad path "{"x" * 57}...": the name "{"x" * 57}..." '
            "is longer than 255 bytes (NAME_MAX)",
        ),
        ("open .", 'open: bad path "." (it names the filesystem\'s root)'),
        ("open ./.", 'open: bad path "./." (it names the filesystem\'s root)'),
        ("chattr", "chattr: missing +i or -i (usage: chattr +i | chattr -i)"),
        ("chattr +i -i", 'chattr: unexpected argument "-i" (usage: chattr +i | chattr -i)'),
        (
            "chattr +a",
            f'chattr: attribute "a" is not modelled; {ONLY_I}',
        ),
        (
            "chattr -ia",
            f'chattr: attribute "a" is not modelled; {ONLY_I}',
        ),
        ("chattr i", 'chattr: malformed attribute change "i" (+i or -i)'),
        ("chattr +", 'chattr: malformed attribute change "+" (+i or -i)'),
        ("lsattr -p", 'lsattr: unknown option "-p" (lsattr takes -a -v)'),
        ("mmap 4k", 'mmap: malformed mapping index "4k" (a plain decimal number)'),
        ("mmap -r", f"mmap: missing OFF LEN ({USAGE_MMAP})"),
        ("mmap -r 1", f"mmap: missing LEN ({USAGE_MMAP})"),
        ("mmap -A", f"mmap: missing LEN ({USAGE_MMAP})"),
        ("mmap -A 0 4k", f'mmap: unexpected argument "4k" ({USAGE_MMAP})'),
        ("mmap -A -S 4k", 'mmap: "-S" (MAP_SYNC) needs a file; it cannot go with "-A"'),
        ("mmap 0 4k 8k", f'mmap: unexpected argument "8k" ({USAGE_MMAP})'),
        ("mmap -a 0 4k", 'mmap: unknown option "-a" (did you mean "-A"?)'),
        ("mread 0", "mread: missing LEN (usage: mread [-r] [-v] [OFF LEN])"),
        ("mread -f", 'mread: unknown option "-f" (mread takes -r -v)'),
        ("mwrite -S", 'mwrite: option "-S" needs a value'),
        ("msync -x", 'msync: unknown option "-x" (msync takes -a -i -s)'),
        ("munmap 0 4k", 'munmap: unexpected argument "0" (usage: munmap)'),
        ("fiemap -x", 'fiemap: unknown option "-x" (fiemap takes -a -l -v)'),
        (
            "fiemap 0 4k 8k",
            'fiemap: unexpected argument "8k" (usage: fiemap [-a] [-l] [-v] [OFF [LEN]])',
        ),
        ("bmap -n 4", 'bmap: unknown option "-n" (bmap takes -a -c -e -l -p -v)'),
        ("mremap", "mremap: missing NEWLEN (usage: mremap [-m|-f ADDR] NEWLEN)"),
        ("extsize -R -D 4k", "extsize: -R and -D options are mutually exclusive"),
        ("mremap -f 8k", "mremap: missing NEWLEN (usage: mremap [-m|-f ADDR] NEWLEN)"),
        (
            "copy_range -f 1 src",
            'copy_range: unexpected argument "src" (usage: ' + USAGE_COPY + ")",
        ),
        ("copy_range -l 4k", "copy_range: missing INFILE (usage: " + USAGE_COPY + ")"),
        (
            "copy_range -s -1 src",
            'copy_range: malformed source offset "-1" (negative numbers are not allowed)',
        ),
        (
            "sendfile 0 4k",
            "sendfile: exactly one of -i INFILE or -f N is needed (usage: " + USAGE_SEND + ")",
        ),
        (
            "sendfile -f 0 -i a",
            "sendfile: exactly one of -i INFILE or -f N is needed (usage: " + USAGE_SEND + ")",
        ),
        ("sendfile -i a 4k", "sendfile: missing LEN (usage: " + USAGE_SEND + ")"),
        ("stat -r", 'stat: unknown option "-r" (stat takes -v)'),
        ("print all", 'print: unexpected argument "all" (usage: print)'),
    ],
)
def test_errors(text: str, message: str) -> None:
    assert error(text) == f"c.scenario:7: {message}"


@pytest.mark.parametrize(
    ("word", "path"),
    [
        ("d\u00e4t\u00e4", "d\u00e4t\u00e4"),
        ("'my file'", "my file"),
        ('"two  spaces "', "two  spaces "),
        ("my\\ file", "my file"),
        ("dir/./\u6587\u4ef6", "dir/\u6587\u4ef6"),
        ("'\u00a0nbsp'", "\u00a0nbsp"),
        ("+x", "+x"),
        ("x" * 255, "x" * 255),
    ],
)
def test_names_are_any_printable_utf8(word: str, path: str) -> None:
    command = parse_line(f"open -f {word}")
    assert isinstance(command, Command)
    assert command.args == (path,)
