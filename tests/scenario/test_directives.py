"""Every % directive and each of its errors (mapviz.scenario.directives)."""

from __future__ import annotations

import pytest

from mapviz.errors import ScenarioError
from mapviz.scenario import (
    CAPABILITIES,
    Command,
    Expect,
    ExtentSpec,
    FsConfig,
    LeaseBreakTime,
    Note,
    Proc,
    Sleep,
    parse_scenario,
)

K, M, G, T = 1 << 10, 1 << 20, 1 << 30, 1 << 40


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "d.scenario")
    return str(info.value)


def items(text: str) -> tuple[object, ...]:
    return parse_scenario(text, "d.scenario").items


# -- %title


def test_title() -> None:
    assert parse_scenario("%title  Holes and SIGBUS  # why\n").title == "Holes and SIGBUS"
    assert parse_scenario('%title it\'s "quoted"\n').title == 'it\'s "quoted"'
    assert parse_scenario("fsync\n", "dir/hole-sigbus.scenario").title == "hole-sigbus"
    assert parse_scenario("fsync\n", "x.scenario", name="given").title == "given"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%title", "1: %title: missing TEXT (usage: %title TEXT)"),
        ("%title    # only a comment", "1: %title: missing TEXT (usage: %title TEXT)"),
        ("%title a\n%title b", "2: %title given twice (first on line 1)"),
    ],
)
def test_title_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:{message}"


# -- %kernel


@pytest.mark.parametrize("model", ["mainline", "map-direct-v5", "map-direct-lease", "map-sync"])
def test_kernel(model: str) -> None:
    assert parse_scenario(f"%kernel {model}\nfsync\n").kernel == model


def test_kernel_default() -> None:
    assert parse_scenario("fsync\n").kernel == "map-direct-v5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%kernel", "1: %kernel: missing MODEL (usage: %kernel MODEL)"),
        ("%kernel mainline x", '1: %kernel: unexpected argument "x" (usage: %kernel MODEL)'),
        ("%kernel mainlin", '1: %kernel: unknown model "mainlin" (did you mean "mainline"?)'),
        (
            "%kernel linux",
            '1: %kernel: unknown model "linux" '
            "(models: mainline, map-direct-v5, map-direct-lease, map-sync)",
        ),
        ("%kernel mainline\n%kernel map-sync", "2: %kernel given twice (first on line 1)"),
        ("open -f a\n%kernel mainline", "2: %kernel must come before the first command (line 1)"),
    ],
)
def test_kernel_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:{message}"


# -- %fs


@pytest.mark.parametrize(
    ("line", "config"),
    [
        ("%fs xfs", FsConfig()),
        ("%fs ext4", FsConfig(type="ext4", reflink=False)),
        ("%fs xfs noreflink", FsConfig(reflink=False)),
        ("%fs ext4 noreflink", FsConfig(type="ext4", reflink=False)),
        ("%fs xfs dax", FsConfig(dax=True)),
        ("%fs xfs blocksize=1k", FsConfig(blocksize=1024)),
        ("%fs xfs blocksize=2048", FsConfig(blocksize=2048)),
        ("%fs xfs blocksize=0x1000", FsConfig(blocksize=4096)),
        ("%fs xfs size=16m", FsConfig(size=16 * M)),
        ("%fs xfs size=16t", FsConfig(size=16 * T)),
        ("%fs xfs size=1G dax noreflink", FsConfig(size=G, dax=True, reflink=False)),
        ("%fs xfs exchange", FsConfig(exchange=True)),
        # "b" counts blocks of this line's block size, wherever blocksize= stands.
        ("%fs xfs size=16384b blocksize=1k", FsConfig(blocksize=1024, size=16 * M)),
        (
            "%fs ext4 blocksize=2k size=0x1000000 dax # c",
            FsConfig("ext4", 2048, 16 * M, True, False),
        ),
    ],
)
def test_fs(line: str, config: FsConfig) -> None:
    assert parse_scenario(line + "\nfsync\n").fs == config


SIZE_RULE = "(16m to 16t)"
BS_RULE = (
    "it must be 1k, 2k or 4k "
    "(the page size is 4 KiB and mapviz models blocks no larger than a page)"
)
TYPE_RULE = "(mapviz models xfs and ext4; the type comes first)"
FS_USAGE = "%fs xfs|ext4 [blocksize=N] [size=N] [dax] [noreflink] [exchange]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%fs", f"1: %fs: missing TYPE (usage: {FS_USAGE})"),
        (
            "%fs btrfs",
            f'1: %fs: unknown filesystem type "btrfs" {TYPE_RULE}',
        ),
        ("%fs XFS", '1: %fs: unknown filesystem type "XFS" (did you mean "xfs"?)'),
        (
            "%fs blocksize=1k xfs",
            f'1: %fs: unknown filesystem type "blocksize=1k" {TYPE_RULE}',
        ),
        ("%fs xfs blocksize=8k", f'1: %fs: blocksize "8k" is not supported: {BS_RULE}'),
        ("%fs xfs blocksize=512", f'1: %fs: blocksize "512" is not supported: {BS_RULE}'),
        ("%fs xfs blocksize=1b", '1: %fs: a block size cannot be counted in blocks: "1b"'),
        (
            "%fs xfs blocksize=x",
            '1: %fs: malformed block size "x" (decimal or 0x hex, optional suffix k m g t p e s b)',
        ),
        ("%fs xfs blocksize=", '1: %fs: malformed block size "" (empty)'),
        ("%fs xfs blocksize", '1: %fs: "blocksize" needs a value (blocksize=...)'),
        ("%fs xfs size=15m", f'1: %fs: size "15m" is out of range {SIZE_RULE}'),
        ("%fs xfs size=17t", f'1: %fs: size "17t" is out of range {SIZE_RULE}'),
        (
            "%fs xfs size=16777217",
            '1: %fs: size "16777217" is not a multiple of the block size (4k)',
        ),
        ("%fs xfs size=-16m", '1: %fs: malformed size "-16m" (negative numbers are not allowed)'),
        (
            "%fs xfs size=9999999999t",
            '1: %fs: number too large "9999999999t" (the limit is 2^63 - 1)',
        ),
        ("%fs xfs dax=1", '1: %fs: "dax" takes no value (got "dax=1")'),
        ("%fs xfs dax dax", '1: %fs: "dax" given twice'),
        ("%fs xfs size=16m size=32m", '1: %fs: "size" given twice'),
        ("%fs xfs blocksiz=4k", '1: %fs: unknown option "blocksiz=4k" (did you mean "blocksize"?)'),
        ("%fs xfs reflink", '1: %fs: unknown option "reflink" (did you mean "noreflink"?)'),
        ("%fs ext4 exchange", "1: %fs: exchange (the exchange-range feature) is an XFS feature"),
        ("%fs xfs\n%fs ext4", "2: %fs given twice (first on line 1)"),
        ("fsync\n%fs xfs", "2: %fs must come before the first command (line 1)"),
        ("%swapon\n%fs xfs", "2: %fs must come before the first command (line 1)"),
        ("%extent 0 4k\n%fs xfs", "2: %fs must come before the first %extent (line 1)"),
    ],
)
def test_fs_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:{message}"


def test_fs_may_follow_notes_and_processes() -> None:
    scenario = parse_scenario("%note hello\n%proc bob uid=1\n%fs ext4\n%title t\nfsync\n")
    assert scenario.fs.type == "ext4"


# -- %proc


@pytest.mark.parametrize(
    ("line", "proc"),
    [
        ("%proc app", Proc(1, "app")),
        ("%proc bob", Proc(1, "bob")),
        ("%proc _b-2", Proc(1, "_b-2")),
        ("%proc bob uid=1000", Proc(1, "bob", uid=1000)),
        ("%proc bob uid=0", Proc(1, "bob", uid=0)),
        ("%proc bob uid=4294967294", Proc(1, "bob", uid=4294967294)),
        ("%proc bob nocap", Proc(1, "bob", caps=frozenset())),
        (
            "%proc bob uid=7 cap=CAP_SYS_ADMIN,lease,Cap_Linux_Immutable,lease",
            Proc(1, "bob", 7, frozenset({"sys_admin", "lease", "linux_immutable"})),
        ),
        ("%proc bob cap=ipc_lock # comment", Proc(1, "bob", caps=frozenset({"ipc_lock"}))),
    ],
)
def test_proc(line: str, proc: Proc) -> None:
    assert items(line) == (proc,)


def test_capabilities_are_linux_names() -> None:
    assert len(CAPABILITIES) == 41
    assert {
        "chown",
        "sys_admin",
        "linux_immutable",
        "ipc_lock",
        "checkpoint_restore",
    } <= CAPABILITIES


PROC_USAGE = "%proc NAME [uid=N] [nocap] [cap=CAP_X,...]"
NAME_RULE = '"=" belongs to the options (uid=N, cap=...); the name comes first'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%proc", f"1: %proc: missing NAME (usage: {PROC_USAGE})"),
        ("%proc -x", '1: %proc: bad process name "-x": it may not start with "-" (an option)'),
        ("%proc uid=5", f'1: %proc: bad process name "uid=5": {NAME_RULE}'),
        (
            "%proc 'a\x01b'",
            '1: %proc: bad process name "a\\x01b": it holds U+0001, a control or layout '
            "character (a name must print as one line of text)",
        ),
        ("%proc bob uid=", '1: %proc: bad uid "" (a decimal number, 0 to 4294967294)'),
        ("%proc bob uid=-1", '1: %proc: bad uid "-1" (a decimal number, 0 to 4294967294)'),
        ("%proc bob uid=0x10", '1: %proc: bad uid "0x10" (a decimal number, 0 to 4294967294)'),
        (
            "%proc bob uid=4294967295",
            '1: %proc: bad uid "4294967295" (a decimal number, 0 to 4294967294)',
        ),
        ("%proc bob uid=\u00b2", '1: %proc: bad uid "\u00b2" (a decimal number, 0 to 4294967294)'),
        ("%proc bob uid", '1: %proc: "uid" needs a value (uid=...)'),
        ("%proc bob uid=1 uid=1", '1: %proc: "uid" given twice'),
        ("%proc bob nocap=1", '1: %proc: "nocap" takes no value (got "nocap=1")'),
        ("%proc bob ui=5", '1: %proc: unknown option "ui=5" (did you mean "uid"?)'),
        (
            "%proc bob cap=sys_admn",
            '1: %proc: unknown capability "sys_admn" (did you mean "sys_admin"?)',
        ),
        ("%proc bob cap=", "1: %proc: empty capability name (nocap: none)"),
        ("%proc bob cap=chown,", "1: %proc: empty capability name (nocap: none)"),
        ("%proc bob nocap cap=chown", '1: %proc: "nocap" and "cap=" exclude each other'),
        # Process rules that span lines.
        (
            "%proc app uid=1000",
            '1: %proc: process "app" already exists with other credentials '
            "(uid 0, all capabilities); give the new one another name",
        ),
        (
            "%proc app nocap",
            '1: %proc: process "app" already exists with other credentials '
            "(uid 0, all capabilities); give the new one another name",
        ),
        (
            "%proc bob uid=1000\n%proc app\n%proc bob uid=1001",
            '3: %proc: process "bob" already exists with other credentials '
            "(uid 1000, no capabilities); give the new one another name",
        ),
        (
            "%proc bob cap=lease,chown\n%proc bob nocap",
            '2: %proc: process "bob" already exists with other credentials '
            "(uid 0, capabilities chown,lease); give the new one another name",
        ),
    ],
)
def test_proc_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:{message}"


def test_proc_may_repeat_its_credentials() -> None:
    text = (
        "%proc app uid=0\n%proc app cap=" + ",".join(sorted(CAPABILITIES)) + "\n"
        "%proc bob uid=1000\n%proc bob\n%proc bob uid=1000 nocap\n"
        "%proc carol cap=lease\n%proc carol uid=0 cap=cap_lease\n"
    )
    assert len(items(text)) == 7


# -- %swapon, %swapoff


def test_swap() -> None:
    assert items("%swapon   # header first\n%swapoff\n") == (
        Command(1, "%swapon", "swapon"),
        Command(2, "%swapoff", "swapoff"),
    )


def test_swap_errors() -> None:
    assert (
        error("%swapon now") == 'd.scenario:1: %swapon: unexpected argument "now" (usage: %swapon)'
    )
    assert (
        error("%swapoff x") == 'd.scenario:1: %swapoff: unexpected argument "x" (usage: %swapoff)'
    )


# -- %sleep, %lease-break-time


@pytest.mark.parametrize(
    ("word", "seconds"),
    [("0", 0.0), ("45", 45.0), ("1.5", 1.5), (".25", 0.25), ("3.", 3.0), ("1000000000", 1e9)],
)
def test_seconds(word: str, seconds: float) -> None:
    assert items(f"%sleep {word}\n%lease-break-time {word}") == (
        Sleep(1, seconds),
        LeaseBreakTime(2, seconds),
    )


@pytest.mark.parametrize("directive", ["%sleep", "%lease-break-time"])
@pytest.mark.parametrize(
    "word", ["-1", "1e3", "inf", "nan", "1,5", "1_0", "1000000001", ".", "5s", "''"]
)
def test_seconds_errors(directive: str, word: str) -> None:
    shown = "" if word == "''" else word
    assert error(f"{directive} {word}") == (
        f'd.scenario:1: {directive}: bad number of seconds "{shown}" '
        "(a decimal number from 0 to 1e9)"
    )


def test_seconds_arity() -> None:
    assert error("%sleep") == "d.scenario:1: %sleep: missing SECONDS (usage: %sleep SECONDS)"
    assert error("%lease-break-time 1 2") == (
        'd.scenario:1: %lease-break-time: unexpected argument "2" '
        "(usage: %lease-break-time SECONDS)"
    )


# -- %note


def test_note() -> None:
    assert items('%note  the write is "staged" in XFS\'s CoW fork # not this\n') == (
        Note(1, 'the write is "staged" in XFS\'s CoW fork'),
    )


def test_note_errors() -> None:
    assert error("%note") == "d.scenario:1: %note: missing TEXT (usage: %note TEXT)"
    assert error("%note   #") == "d.scenario:1: %note: missing TEXT (usage: %note TEXT)"


# -- %expect


@pytest.mark.parametrize(
    "result", ["ok", "SIGBUS", "SIGSEGV", "EOPNOTSUPP", "ETXTBSY", "EBADE", "ENOTTY"]
)
def test_expect(result: str) -> None:
    assert items(f"fsync\n%expect {result}  # why")[1] == Expect(2, result)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fsync\n%expect", "2: %expect: missing RESULT (usage: %expect RESULT)"),
        (
            "fsync\n%expect ok EINVAL",
            '2: %expect: unexpected argument "EINVAL" (usage: %expect RESULT)',
        ),
        ("fsync\n%expect sigbus", '2: %expect: unknown result "sigbus" (did you mean "SIGBUS"?)'),
        ("fsync\n%expect EINVALL", '2: %expect: unknown result "EINVALL" (did you mean "EINVAL"?)'),
        (
            "fsync\n%expect crash",
            '2: %expect: unknown result "crash" '
            "(ok, skipped, SIGBUS, SIGSEGV or an errno name like EINVAL)",
        ),
        ("%expect ok", "1: %expect before any command: it checks the command before it"),
        ("%note x\n%expect ok", "2: %expect before any command: it checks the command before it"),
        (
            "pwrite 0 4k\n%expect ok\n%note again\n%expect ok",
            '4: a second %expect for the command on line 1 ("pwrite 0 4k")',
        ),
        (
            "%swapon\n%expect ok\n%expect EINVAL",
            '3: a second %expect for the command on line 1 ("%swapon")',
        ),
    ],
)
def test_expect_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:{message}"


def test_expect_after_swap_and_between_items() -> None:
    text = "%swapon\n%expect EINVAL\nfsync\n%note why\n%sleep 1\n%expect ok\n"
    assert [item for item in items(text) if isinstance(item, Expect)] == [
        Expect(2, "EINVAL"),
        Expect(6, "ok"),
    ]


# -- %extent


@pytest.mark.parametrize(
    ("line", "extent"),
    [
        ("%extent 0 4k", ExtentSpec(1, 0, 4096)),
        ("%extent 8k 1m 4m", ExtentSpec(1, 8192, M, 4 * M)),
        ("%extent 0 4k unwritten", ExtentSpec(1, 0, 4096, unwritten=True)),
        ("%extent 0 4k shared", ExtentSpec(1, 0, 4096, shared=True)),
        ("%extent 0 4k 0 shared unwritten", ExtentSpec(1, 0, 4096, 0, True, True)),
        ("%extent 2b 1b 15b # c", ExtentSpec(1, 8192, 4096, 15 * 4096)),
        ("%extent 0 4k 60m", ExtentSpec(1, 0, 4096, 60 * M)),
        ("%extent 0 4k 0xff000 unwritten unwritten", ExtentSpec(1, 0, 4096, 0xFF000, True)),
    ],
)
def test_extent(line: str, extent: ExtentSpec) -> None:
    assert items(line) == (extent,)


def test_extent_uses_the_fs_blocks() -> None:
    assert items("%fs xfs blocksize=1k size=16m\n%extent 1b 2b 3b")[0] == ExtentSpec(
        2, K, 2 * K, 3 * K
    )
    assert error("%fs xfs size=16m\n%extent 0 4k 16m") == (
        'd.scenario:2: %extent: physical address "16m" + length runs past the end of the 16m device'
    )


EXTENT_USAGE = "%extent OFF LEN [PHYS] [unwritten] [shared]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("%extent", f"%extent: missing OFF LEN (usage: {EXTENT_USAGE})"),
        ("%extent 0", f"%extent: missing LEN (usage: {EXTENT_USAGE})"),
        ("%extent 0 unwritten", f"%extent: missing LEN (usage: {EXTENT_USAGE})"),
        ("%extent 1k 4k", '%extent: offset "1k" is not a multiple of the block size (4k)'),
        ("%extent 0 6k", '%extent: length "6k" is not a multiple of the block size (4k)'),
        (
            "%extent 0 4k 1",
            '%extent: physical address "1" is not a multiple of the block size (4k)',
        ),
        ("%extent 0 0", '%extent: length "0" must be more than 0'),
        (
            "%extent 0 4k 64m",
            '%extent: physical address "64m" + length runs past the end of the 64m device',
        ),
        ("%extent 0 4k 4k 8k", f'%extent: unexpected argument "8k" (usage: {EXTENT_USAGE})'),
        ("%extent 0 4k shared 8k", f'%extent: unexpected argument "8k" (usage: {EXTENT_USAGE})'),
        ("%extent 0 4k unwriten", '%extent: unknown option "unwriten" (did you mean "unwritten"?)'),
        ("%extent 0 4k 4k delalloc", '%extent: unknown option "delalloc"'),
        (
            "%extent x 4k",
            '%extent: malformed offset "x" (decimal or 0x hex, optional suffix k m g t p e s b)',
        ),
        ("%extent 0 -4k", '%extent: malformed length "-4k" (negative numbers are not allowed)'),
        (
            "%extent 0x7ffffffffffff000 4k",
            "%extent: the extent ends past the largest file offset (2^63 - 1)",
        ),
    ],
)
def test_extent_errors(text: str, message: str) -> None:
    assert error(text) == f"d.scenario:1: {message}"


# -- unknown directives


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%expct ok", 'unknown directive "%expect"'),
        ("%Title x", 'unknown directive "%Title" (did you mean "%title"?)'),
        ("%sleeep 1", 'unknown directive "%sleeep" (did you mean "%sleep"?)'),
        ("%swapon# c", 'unknown directive "%swapon#" (did you mean "%swapon"?)'),
        (
            "%",
            'unknown directive "%" (directives: %title %kernel %fs %proc %swapon %swapoff '
            "%lease-break-time %sleep %note %expect %extent)",
        ),
        (
            "%foo",
            'unknown directive "%foo" (directives: %title %kernel %fs %proc %swapon '
            "%swapoff %lease-break-time %sleep %note %expect %extent)",
        ),
    ],
)
def test_unknown_directives(line: str, message: str) -> None:
    if line == "%expct ok":
        message = 'unknown directive "%expct" (did you mean "%expect"?)'
    assert error(line) == f"d.scenario:1: {message}"


@pytest.mark.parametrize("name", ["1x", "b\u00f6b", "my reader", "\u8bfb\u8005"])
def test_process_names_are_printable_utf8(name: str) -> None:
    scenario = parse_scenario(f"%proc '{name}' uid=1000\n")
    (proc,) = scenario.items
    assert isinstance(proc, Proc) and proc.name == name
