"""``mapviz fiemap``: table, --json, --scenario and --sync on real files; odd files refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapviz.cli import main
from mapviz.cli.fiemap import _Progress
from mapviz.realfs import read_block_map

K, M = 1 << 10, 1 << 20
TMPFS_MAGIC = 0x01021994


def _make(
    path: Path,
    *,
    size: int = 0,
    writes: tuple[tuple[int, int], ...] = (),
    falloc: tuple[tuple[int, int], ...] = (),
    sync: bool = True,
) -> str:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if size:
            os.ftruncate(fd, size)
        for offset, length in falloc:
            os.posix_fallocate(fd, offset, length)
        for offset, length in writes:
            os.pwrite(fd, b"\xcd" * length, offset)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    return str(path)


def _fresh(base: Path, method: str) -> Path | None:
    if not base.is_dir():
        return None
    path = Path(tempfile.mkdtemp(prefix="mapviz-cli-", dir=base))
    probe = _make(path / "probe", writes=((0, 4096),))
    found = read_block_map(probe).method
    os.unlink(probe)
    if found == method:
        return path
    shutil.rmtree(path)
    return None


@pytest.fixture
def disk_dir(tmp_path: Path) -> Iterator[Path]:
    for base in (tmp_path, Path("/var/tmp")):
        path = _fresh(base, "fiemap")
        if path is not None:
            yield path
            shutil.rmtree(path, ignore_errors=True)
            return
    pytest.skip("no writable filesystem with FIEMAP")


@pytest.fixture
def tmpfs_dir() -> Iterator[Path]:
    path = _fresh(Path("/dev/shm"), "seek")
    if path is None:
        pytest.skip("no tmpfs at /dev/shm")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["fiemap", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _run_process(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    command = [*prefix, sys.executable, "-m", "mapviz", "fiemap", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


# -- output formats -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "writes", "falloc"),
    [
        ("sparse", 1 * M, ((256 * K, 64 * K),), ()),
        ("mixed", 0, ((64 * K, 4 * K),), ((0, 256 * K),)),
        ("striped", 0, tuple((i * 64 * K, 4 * K) for i in range(40)), ()),
        ("empty", 0, (), ()),
    ],
)
def test_table_is_xfs_io_fiemap_v_with_a_method_header(
    disk_dir: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    size: int,
    writes: tuple[tuple[int, int], ...],
    falloc: tuple[tuple[int, int], ...],
) -> None:
    path = _make(disk_dir / name, size=size, writes=writes, falloc=falloc)
    status, out, err = _run(capsys, path)
    assert (status, err) == (0, "")
    header, *table = out.splitlines()
    count = len(read_block_map(path).extents)
    assert header.startswith(f"# {path} on ")
    assert header.endswith(
        f": FIEMAP without FIEMAP_FLAG_SYNC, {count} extent" + "s" * (count != 1)
    )
    assert table[0] == f"{path}:"
    if shutil.which("xfs_io") is None:
        pytest.skip("xfs_io is not installed to compare with")
    # xfs_io's fiemap works on any filesystem; the file is fsynced, so its
    # FIEMAP_FLAG_SYNC changes nothing.
    real = subprocess.run(
        ["xfs_io", "-r", "-c", "fiemap -v", path], capture_output=True, text=True, check=True
    )
    assert table == real.stdout.splitlines()


def test_json_is_the_scenario_files_shape(
    disk_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(disk_dir / "mixed", falloc=((0, 256 * K),), writes=((64 * K, 4 * K),))
    status, out, err = _run(capsys, "--json", path)
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert list(document) == ["files"]
    entry = document["files"]["mixed"]
    assert entry["size"] == 256 * K
    extents = entry["extents"]
    assert [(e["offset"], e["length"], e["state"], e["shared"]) for e in extents] == [
        (0, 64 * K, "unwritten", False),
        (64 * K, 4 * K, "written", False),
        (68 * K, 188 * K, "unwritten", False),
    ]
    assert all(set(e) == {"offset", "length", "physical", "state", "shared"} for e in extents)
    assert all(isinstance(e["physical"], int) for e in extents)


def test_json_merges_what_is_contiguous_on_disk(
    disk_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two writes side by side, fsynced together, usually land side by side on
    # disk too; whatever happened, the JSON merges exactly where filefrag's
    # extents are contiguous in the file and on disk with the same flags.
    path = _make(disk_dir / "two", writes=((0, 64 * K), (64 * K, 64 * K)))
    _, out, _ = _run(capsys, "--json", path)
    extents = json.loads(out)["files"]["two"]["extents"]
    raw = list(read_block_map(path).extents)
    expected: list[list[int]] = []
    for extent in raw:
        if (
            expected
            and expected[-1][0] + expected[-1][1] == extent.offset
            and (expected[-1][2] + expected[-1][1] == extent.physical)
        ):
            expected[-1][1] += extent.length
        else:
            expected.append([extent.offset, extent.length, extent.physical or 0])
    assert [[e["offset"], e["length"], e["physical"]] for e in extents] == expected
    if shutil.which("filefrag"):
        frag = subprocess.run(["filefrag", "-v", "-b1", path], capture_output=True, text=True)
        physicals = [
            int(line.split(":")[2].split("..")[0])
            for line in frag.stdout.splitlines()
            if line.split(":")[0].strip().isdigit()
        ]
        assert physicals == [extent.physical for extent in raw]


def test_json_on_tmpfs_says_seek_on_stderr(
    tmpfs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(tmpfs_dir / "shm", size=2 * M, writes=((1 * M, 4 * K),))
    status, out, err = _run(capsys, "--json", path)
    assert status == 0
    assert json.loads(out) == {
        "files": {
            "shm": {
                "size": 2 * M,
                "extents": [
                    {
                        "offset": 1 * M,
                        "length": 4 * K,
                        "physical": None,
                        "state": "written",
                        "shared": False,
                    }
                ],
            }
        }
    }
    assert "FIEMAP not supported on tmpfs" in err
    assert "SEEK_DATA/SEEK_HOLE" in err
    assert "physical locations unknown" in err


def test_table_on_tmpfs_names_the_fallback(
    tmpfs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(tmpfs_dir / "shm", size=64 * K, writes=((0, 4 * K), (16 * K, 8 * K)))
    status, out, err = _run(capsys, path)
    assert status == 0
    header, name, *table = out.splitlines()
    assert "SEEK_DATA/SEEK_HOLE" in header
    assert "physical locations unknown" in header
    # What xfs_io -c 'fiemap -v' prints there: the name, then the ioctl's error ...
    assert name == f"{path}:"
    assert err == f'xfs_io: ioctl(FS_IOC_FIEMAP) ["{path}"]: Operation not supported\n'
    # ... and no block ranges: the data ranges as xfs_io -c 'seek -r -a 0' prints them.
    assert table == ["Whence\tResult", "DATA\t0", "HOLE\t4096", "DATA\t16384", "HOLE\t24576"]


def _parse(text: str) -> object:
    scenario = pytest.importorskip("mapviz.scenario")
    return scenario.parse_scenario(text, "fiemap.scenario")


def test_scenario_prologue_rebuilds_the_layout(
    disk_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(
        disk_dir / "layout",
        size=4 * M,
        falloc=((1 * M, 64 * K),),
        writes=((0, 8 * K), (3 * M, 4 * K)),
    )
    status, out, _ = _run(capsys, "--scenario", path)
    assert status == 0
    block_map = read_block_map(path)
    lines = [line for line in out.splitlines() if not line.startswith("#")]
    assert lines[0].startswith("%title layout: ")
    assert lines[1] == "%kernel map-direct-v5"
    fs_type = block_map.filesystem.name if block_map.filesystem.name in ("xfs", "ext4") else "xfs"
    assert lines[2].startswith(f"%fs {fs_type} blocksize=4k size=")
    assert lines[3:5] == ["open -f layout", f"truncate {4 * M}"]
    parsed = _parse(out)
    specs = [item for item in parsed.items if type(item).__name__ == "ExtentSpec"]  # type: ignore[attr-defined]
    runs = json.loads("\n".join(_run(capsys, "--json", path)[1].splitlines()))["files"]["layout"][
        "extents"
    ]
    assert [(s.offset, s.length, s.physical, s.unwritten, s.shared) for s in specs] == [
        (r["offset"], r["length"], r["physical"], r["state"] == "unwritten", r["shared"])
        for r in runs
    ]
    device = parsed.fs.size  # type: ignore[attr-defined]
    assert device >= 16 * M
    assert device % 4096 == 0
    assert all(s.physical + s.length <= device for s in specs)


def test_the_readme_recipe_ends_in_an_answer(
    disk_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """fiemap --scenario --fs xfs, plus mmap -D: MAP_DIRECT's answer, whatever the real fs."""
    path = _make(disk_dir / "real", writes=((0, 64 * K), (128 * K, 64 * K)))
    real = read_block_map(path).filesystem.name
    status, out, _ = _run(capsys, "--scenario", "--fs", "xfs", path)
    assert status == 0 and "%fs xfs blocksize=" in out
    if real != "xfs":
        assert f"%note The layout of a real {real} file, replayed on a simulated xfs" in out
    scenario = tmp_path / "real.scenario"
    scenario.write_text(out + "mmap -D 0 64k\n%expect ok\n", encoding="utf-8")
    status = main(["run", str(scenario)])
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    if real == "ext4":  # without --fs: ext4 answers EOPNOTSUPP, and the prologue says why
        _, out, _ = _run(capsys, "--scenario", path)
        assert "%fs ext4 " in out and "--fs xfs" in out
        scenario.write_text(out + "mmap -D 0 64k\n%expect EOPNOTSUPP\n", encoding="utf-8")
        assert main(["run", str(scenario)]) == 0


def test_scenario_recreates_delalloc_with_pwrite(
    disk_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(disk_dir / "dirty", writes=((0, 64 * K),), sync=False)
    if read_block_map(path).extents[0].state != "delalloc":
        pytest.skip("written back before we looked")
    _, out, _ = _run(capsys, "--scenario", path)
    assert out.splitlines()[-1] == "pwrite -q 0 64k"


def test_scenario_on_tmpfs_stands_in_xfs(
    tmpfs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(tmpfs_dir / "shm", writes=((0, 4 * K),))
    _, out, _ = _run(capsys, "--scenario", path)
    assert "# tmpfs is not modelled; xfs stands in for it" in out
    assert "%fs xfs blocksize=4k size=16m" in out
    assert out.splitlines()[-1] == "%extent 0 4k"  # no PHYS: the simulator chooses
    _parse(out)


def test_sync_flushes_delalloc(disk_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _make(disk_dir / "dirty", writes=((0, 64 * K),), sync=False)
    status, out, _ = _run(capsys, "--json", "--sync", path)
    assert status == 0
    (extent,) = json.loads(out)["files"]["dirty"]["extents"]
    assert extent["state"] == "written"
    assert isinstance(extent["physical"], int)
    _, table, _ = _run(capsys, "--sync", path)
    assert "FIEMAP with FIEMAP_FLAG_SYNC" in table.splitlines()[0]


# -- what must be refused -----------------------------------------------------


@pytest.fixture
def odd(disk_dir: Path) -> Iterator[dict[str, str]]:
    fifo = disk_dir / "fifo"
    os.mkfifo(fifo)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(disk_dir / "sock"))
    yield {
        "directory": str(disk_dir),
        "device": "/dev/null",
        "socket": str(disk_dir / "sock"),
        "fifo": str(fifo),
        "missing": str(disk_dir / "missing"),
        "procfs": "/proc/self/status",
    }
    sock.close()


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("directory", "is a directory, not a regular file"),
        ("device", "is a character device, not a regular file"),
        ("socket", "is a socket, not a regular file"),
        ("missing", "no such file"),
        ("procfs", "neither FIEMAP nor SEEK_DATA/SEEK_HOLE"),
    ],
)
@pytest.mark.parametrize(
    "mode", [[], ["--json"], ["--scenario"]], ids=["table", "json", "scenario"]
)
def test_odd_files_give_one_line_and_status_2(
    odd: dict[str, str],
    kind: str,
    words: str,
    mode: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(capsys, *mode, odd[kind])
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"mapviz fiemap: {odd[kind]}: ")
    assert words in err


def test_a_fifo_is_refused_without_hanging(odd: dict[str, str]) -> None:
    # Nobody ever opens the FIFO's other end: an open() would block forever.
    result = _run_process(odd["fifo"])
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"mapviz fiemap: {odd['fifo']}: is a FIFO, not a regular file; "
        "only regular files have a block map\n"
    )


def _capless_root() -> tuple[str, ...]:
    """A prefix running the command as uid 0 without any capability."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop CAP_DAC_OVERRIDE")
    return ("setpriv", "--bounding-set=-all", "--inh-caps=-all", "--")


def test_an_unreadable_file_is_refused(disk_dir: Path) -> None:
    path = _make(disk_dir / "secret", writes=((0, 4 * K),))
    os.chmod(path, 0)
    result = _run_process(path, prefix=_capless_root())
    assert result.returncode == 2
    assert result.stderr == (f"mapviz fiemap: {path}: cannot open for reading: Permission denied\n")
    assert "Traceback" not in result.stderr


def test_someone_elses_file_is_read_without_o_noatime(disk_dir: Path) -> None:
    # O_NOATIME needs ownership or CAP_FOWNER: EPERM, then a plain open.
    path = _make(disk_dir / "theirs", writes=((0, 4 * K),))
    os.chown(path, 65534, 65534)
    result = _run_process("--json", path, prefix=_capless_root())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"]["theirs"]["extents"][0]["length"] == 4 * K


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "--json", "--scenario", "x")
    assert status == 2
    assert err == "mapviz fiemap: argument --scenario: not allowed with argument --json\n"
    assert _run(capsys)[0] == 2


# -- never a write ------------------------------------------------------------


@pytest.mark.parametrize(
    "mode", [[], ["--json"], ["--scenario"]], ids=["table", "json", "scenario"]
)
def test_the_file_is_never_written_or_touched(
    disk_dir: Path, mode: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _make(disk_dir / "precious", size=1 * M, writes=((0, 8 * K), (512 * K, 4 * K)))
    digest = _digest(path)
    # An atime older than the mtime is one relatime would update on any read,
    # so a read (or an open without O_NOATIME that reads) would show here.
    mtime = os.stat(path).st_mtime_ns
    os.utime(path, ns=(mtime - 10**12, mtime))
    before = _times(path)
    listing = sorted(os.listdir(disk_dir))
    status, _, _ = _run(capsys, *mode, path)
    assert status == 0
    assert _times(path) == before
    assert sorted(os.listdir(disk_dir)) == listing
    assert _digest(path) == digest  # last: hashing reads the file


def _digest(path: str) -> str:
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def _times(path: str) -> tuple[int, int, int]:
    status = os.stat(path)
    return status.st_mtime_ns, status.st_ctime_ns, status.st_atime_ns


# -- progress -----------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_only_on_a_terminal_and_erases_itself() -> None:
    terminal = _Terminal()
    progress = _Progress(terminal, delay=0, interval=0)
    progress(50, 100)
    progress(100, 100)
    progress.close()
    text = terminal.getvalue()
    assert "reading block map [###############               ]  50%" in text
    assert " 100%" in text
    assert text.endswith("\r\x1b[K")
    pipe = io.StringIO()
    quiet = _Progress(pipe, delay=0, interval=0)
    quiet(50, 100)
    quiet.close()
    assert pipe.getvalue() == ""


def test_progress_waits_before_showing_up() -> None:
    terminal = _Terminal()
    progress = _Progress(terminal, delay=3600)
    progress(1, 2)
    progress.close()
    assert terminal.getvalue() == ""


def test_help_lists_fiemap(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "fiemap" in capsys.readouterr().out
