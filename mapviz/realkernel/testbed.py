"""A fresh, loop-mounted XFS or ext4 for one scenario, and its guaranteed removal.

:class:`Testbed` is a context manager.  On entry it makes a private
directory under the system temporary directory, a sparse image in it,
``mkfs``, loop-mounts the image on ``mnt/`` beside it and makes the
filesystem's root mode 1777 (so ``%proc NAME uid=N`` processes can create
their own files, as the shared recorder does).  On exit -- normal return,
error, Ctrl-C, SIGTERM -- it undoes everything, whatever state it finds:
each step *looks* at the machine (``/proc/swaps``, ``/proc/self/mounts``,
``losetup -j``) instead of trusting a flag, so a cleanup after an
interrupted ``mount`` or a crashed ``swapon`` is still complete.  Signals
are held off while it cleans up, so a second Ctrl-C cannot leave a mount
behind; they are delivered once it is done.

Process-level owners of the filesystem (the xfs_io processes, our own file
descriptors) register a closer with :meth:`Testbed.on_cleanup`; they are
closed first, because a busy filesystem cannot be unmounted.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from types import FrameType, TracebackType

from mapviz.errors import MapvizError
from mapviz.realkernel.errors import OracleFailureError
from mapviz.scenario.lexer import LineError, quote
from mapviz.scenario.names import check_path
from mapviz.scenario.syntax import FsConfig

PREFIX = "mapviz-real-"
"""Start of the name of every directory a testbed makes (tests look for leftovers by it)."""

# mkfs.xfs (xfsprogs >= 5.19) refuses filesystems below 300 MiB unless it
# believes it runs under fstests; these are the variables it checks.
_FSTESTS_ENV = {"TEST_DIR": "1", "TEST_DEV": "1", "QA_CHECK_FS": "1"}
_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_TOOL_TIMEOUT = 120.0
_PLAIN_NAME = re.compile("[!-~]+")  # printable ASCII, no space: xfs_io takes it as it is
_UMOUNT_TRIES = 20


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived during a run: unwind (and clean up) like Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Testbed:
    """One image, one loop device, one mount point: made on entry, removed on exit.

    Parameters
    ----------
    fs
        The scenario's ``%fs``: type, block size, device size, reflink.
    name
        Used in the directory name, to tell testbeds apart in ``ls``.
    """

    __test__ = False  # pytest: a "Test..." class that is not a test

    def __init__(self, fs: FsConfig, name: str = "scenario") -> None:
        self.fs = fs
        self.name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:40] or "scenario"
        self.root: str | None = None
        self.mkfs: list[str] = []
        self._closers: list[Callable[[], None]] = []
        self._warnings: list[str] = []
        self._aliases: dict[str, str] = {}

    # --- where things are ------------------------------------------------------

    @property
    def image(self) -> str:
        """The image file."""
        assert self.root is not None, "testbed not set up"
        return os.path.join(self.root, "fs.img")

    @property
    def mnt(self) -> str:
        """The mount point: the test filesystem's root once set up."""
        assert self.root is not None, "testbed not set up"
        return os.path.join(self.root, "mnt")

    def path(self, name: str) -> str:
        """The absolute path of scenario file ``name``: always inside the mount.

        ``mapviz run --real`` runs as root, so this is checked again here, not
        only by the parser (SCENARIO.md "Names"): the name must pass
        :func:`~mapviz.scenario.names.check_path`, and no directory on the
        way may be a symbolic link.

        Raises
        ------
        ConfinementError
            The name would reach outside the mount.
        """
        return confined(self.mnt, name)

    def xfs_io_path(self, name: str) -> str:
        """How to spell scenario file ``name`` on an xfs_io command line.

        xfs_io splits its command lines at every space (``breakline()`` in
        xfsprogs' libxcmd/input.c: no quoting), and its line editor (libedit)
        drops the bytes of non-ASCII characters under the C locale it runs
        in.  So a name with a space or a non-ASCII character is handed over
        as an absolute symbolic link, made once in a directory of the testbed
        outside the mount, that points at the file.  Other names go as they
        are, relative to xfs_io's working directory, the mount.
        """
        target = self.path(name)
        if _PLAIN_NAME.fullmatch(name):
            return name
        assert self.root is not None, "testbed not set up"
        aliases = os.path.join(self.root, "names")
        if not os.path.isdir(aliases):
            os.mkdir(aliases, 0o755)
            os.chmod(aliases, 0o755)  # whatever the umask: other uids follow these links
        alias = self._aliases.get(name)
        if alias is None:
            alias = os.path.join(aliases, str(len(self._aliases)))
            os.symlink(target, alias)
            self._aliases[name] = alias
        return alias

    @property
    def warnings(self) -> list[str]:
        """What cleanup could not do (also printed on stderr)."""
        return list(self._warnings)

    # --- lifecycle -------------------------------------------------------------

    def __enter__(self) -> Testbed:
        try:
            self.setup()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()

    def on_cleanup(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` first at cleanup (latest registered first); errors are reported."""
        self._closers.append(closer)

    def setup(self) -> None:
        """Make the image, mkfs it, loop-mount it, open up its root directory."""
        self.root = tempfile.mkdtemp(prefix=f"{PREFIX}{self.name}-")
        # Other uids must reach the mount point through this directory;
        # traverse-only keeps the image itself private.
        os.chmod(self.root, 0o711)
        os.mkdir(self.mnt, 0o755)
        with open(self.image, "wb") as image:
            image.truncate(self.fs.size)
        fs = self.fs
        if fs.type == "xfs":
            self.mkfs = [
                "mkfs.xfs",
                "-f",
                "-q",
                "-b",
                f"size={fs.blocksize}",
                "-m",
                f"reflink={int(fs.reflink)}",
            ]
            _run([*self.mkfs, self.image], env=_FSTESTS_ENV)
            if fs.exchange:
                self.mkfs += ["&&", *_set_exchange(self.image)]
        else:
            self.mkfs = ["mkfs.ext4", "-F", "-q", "-b", str(fs.blocksize), "-E", "nodiscard"]
            _run([*self.mkfs, self.image])
        # mount -o loop sets LO_FLAGS_AUTOCLEAR: the loop device goes with the mount.
        _run(["mount", "-o", "loop", "-t", fs.type, self.image, self.mnt])
        os.chmod(self.mnt, 0o1777)

    def cleanup(self) -> None:
        """Undo whatever :meth:`setup` did, with SIGINT/SIGTERM/SIGHUP held off meanwhile."""
        if self.root is None:
            return
        with signals_deferred():
            self._cleanup()

    def _cleanup(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as failure:  # keep cleaning: a mount must not stay behind
                self._warn(f"cleanup: {failure}")
        assert self.root is not None
        for path in active_swapfiles(self.mnt):
            refused = swapoff(path)
            if refused:
                self._warn(f"cannot deactivate swapfile {path}: {os.strerror(refused)}")
        self._unmount()
        self._detach_loops()
        if is_mounted(self.mnt):
            self._warn(f"{self.mnt} is still mounted; left {self.root} in place")
            return
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(self.root):
            self._warn(f"could not remove {self.root}")
        self.root = None

    def _unmount(self) -> None:
        assert self.root is not None
        for attempt in range(_UMOUNT_TRIES):
            if not is_mounted(self.mnt):
                return
            done = subprocess.run(["umount", self.mnt], capture_output=True, check=False)
            if done.returncode == 0:
                continue
            # Busy: a process that has just been killed may still hold it for a moment.
            time.sleep(0.05 * (attempt + 1))
        if is_mounted(self.mnt):
            # Last resort: detach now; the loop device goes when the last user does.
            subprocess.run(["umount", "-l", self.mnt], capture_output=True, check=False)

    def _detach_loops(self) -> None:
        # Autoclear normally detaches the device at umount; make sure, and
        # wait until the kernel has let go of the image before it is deleted.
        for attempt in range(_UMOUNT_TRIES):
            devices = loop_devices(self.image)
            if not devices:
                return
            for device in devices:
                subprocess.run(["losetup", "-d", device], capture_output=True, check=False)
            time.sleep(0.01 * (attempt + 1))
        self._warn(f"loop device(s) {', '.join(loop_devices(self.image))} still attached")

    def _warn(self, message: str) -> None:
        self._warnings.append(message)
        print(f"mapviz run --real: warning: {message}", file=sys.stderr)


# --- looking at the machine ------------------------------------------------------


class ConfinementError(MapvizError):
    """A file name that would reach outside the test filesystem (exit status 2)."""


def confined(mnt: str, name: str) -> str:
    """``mnt/name``, after checking that it cannot lie outside ``mnt``.

    >>> confined("/tmp/t/mnt", "my file")
    '/tmp/t/mnt/my file'
    >>> try:
    ...     confined("/tmp/t/mnt", "../fs.img")
    ... except ConfinementError as error:
    ...     print(str(error).removeprefix("mapviz run --real: "))
    refused a file name: bad path "../fs.img": ".." would climb out of the filesystem
    """
    try:
        checked = check_path(name)
    except LineError as problem:
        raise ConfinementError(f"mapviz run --real: refused a file name: {problem}") from None
    top = os.path.normpath(mnt)
    path = os.path.normpath(os.path.join(top, checked))
    if os.path.commonpath([top, path]) != top or path == top:
        raise ConfinementError(f"mapviz run --real: {quote(name)} is not inside {top}")
    # A directory on the way that is a symbolic link could point anywhere.
    parent = top
    for component in checked.split("/")[:-1]:
        parent = os.path.join(parent, component)
        if os.path.islink(parent):
            raise ConfinementError(
                f"mapviz run --real: {quote(name)} goes through the symbolic link {parent}"
            )
    return path


def _unescape(field: str) -> str:
    """A path from /proc/mounts or /proc/swaps (spaces and such are octal escapes)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def is_mounted(path: str) -> bool:
    """Whether something is mounted exactly on ``path`` (as /proc/self/mounts says)."""
    target = os.path.realpath(path)
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(_unescape(line.split()[1]) == target for line in mounts if line.strip())


def mounts_under(prefix: str) -> list[str]:
    """Mount points whose path starts with ``prefix``."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [_unescape(line.split()[1]) for line in mounts if line.strip()]
    return [point for point in points if point.startswith(prefix)]


def active_swapfiles(under: str) -> list[str]:
    """Active swap areas (``/proc/swaps``) whose path lies under directory ``under``."""
    top = os.path.realpath(under).rstrip("/") + "/"
    try:
        with open("/proc/swaps", encoding="utf-8") as swaps:
            lines = swaps.read().splitlines()[1:]
    except OSError:
        return []
    paths = [_unescape(line.split()[0]) for line in lines if line.strip()]
    return [path for path in paths if path.startswith(top)]


def loop_devices(image: str) -> list[str]:
    """Loop devices whose backing file is ``image``, from sysfs (no tool needed)."""
    target = os.path.realpath(image)
    found = []
    try:
        names = os.listdir("/sys/block")
    except OSError:
        return []
    for name in names:
        if not name.startswith("loop"):
            continue
        try:
            with open(f"/sys/block/{name}/loop/backing_file", encoding="utf-8") as backing:
                path = backing.read().strip()
        except OSError:
            continue
        # A deleted backing file reads as "PATH (deleted)".
        if path.removesuffix(" (deleted)") == target:
            found.append(f"/dev/{name}")
    return found


def loop_backing_files(prefix: str) -> list[str]:
    """Backing files of attached loop devices whose path starts with ``prefix``."""
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/sys/block"):
            with (
                contextlib.suppress(OSError),
                open(f"/sys/block/{name}/loop/backing_file", encoding="utf-8") as backing,
            ):
                path = backing.read().strip().removesuffix(" (deleted)")
                if path.startswith(prefix):
                    found.append(path)
    return found


# --- system calls and tools ----------------------------------------------------


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def swapon(path: str) -> int:
    """swapon(2) with no flags: 0, or the errno."""
    if _libc().swapon(os.fsencode(path), 0) == 0:
        return 0
    return ctypes.get_errno()


def swapoff(path: str) -> int:
    """swapoff(2): 0, or the errno."""
    if _libc().swapoff(os.fsencode(path)) == 0:
        return 0
    return ctypes.get_errno()


# XFS_SB_FEAT_INCOMPAT_EXCHRANGE (fs/xfs/libxfs/xfs_format.h): the superblock feature
# XFS_IOC_EXCHANGE_RANGE needs (kernel-semantics §9.10)
_INCOMPAT_EXCHRANGE = 1 << 6


def _set_exchange(image: str) -> list[str]:
    """Give a fresh, unmounted XFS the exchange-range feature; returns the xfs_db command.

    mkfs.xfs learnt ``-i exchange=1`` in xfsprogs 6.10; an older one (6.1
    here) makes the filesystem without it.  Its xfs_db sets the bit with
    ``write -d`` (its write verifier does not know the bit yet; the CRC is
    recomputed all the same), and the kernel mounts it as mkfs 6.10 would
    have made it.
    """
    environment = dict(os.environ, LC_ALL="C")
    shown = subprocess.run(
        ["xfs_db", "-c", "sb 0", "-c", "print features_incompat", image],
        capture_output=True,
        text=True,
        env=environment,
        timeout=_TOOL_TIMEOUT,
        check=False,
    )
    try:
        incompat = int(shown.stdout.split("=")[-1], 0)
    except ValueError:
        raise OracleFailureError(
            f"mapviz run --real: xfs_db could not read the superblock features: {shown.stderr}"
        ) from None
    argv = [
        "xfs_db",
        "-x",
        "-c",
        "sb 0",
        "-c",
        f"write -d features_incompat {incompat | _INCOMPAT_EXCHRANGE:#x}",
        image,
    ]
    _run(argv)
    return argv[:-1]


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    """Run a tool quietly; raise :class:`OracleFailureError` with its output if it fails."""
    environment = dict(os.environ, LC_ALL="C", **(env or {}))
    try:
        done = subprocess.run(
            argv, capture_output=True, env=environment, timeout=_TOOL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise OracleFailureError(
            f"mapviz run --real: {argv[0]} did not finish in {_TOOL_TIMEOUT:g} s"
        ) from None
    except OSError as error:
        raise OracleFailureError(f"mapviz run --real: cannot run {argv[0]}: {error}") from None
    if done.returncode != 0:
        said = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()
        raise OracleFailureError(
            f"mapviz run --real: {argv[0]} failed ({done.returncode})"
            + (f": {said[-1]}" if said else "")
        )


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (then they are delivered).

    Python-level handlers that only note the signal, not ``pthread_sigmask``:
    a mask covers one thread, and a process-directed Ctrl-C lands on any other
    thread (a browser driver's, a server's), whose handler would then raise
    KeyboardInterrupt in the main thread in the middle of the cleanup.
    Python runs every handler in the main thread, so this holds whatever
    threads exist.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, _frame: object) -> None:
        caught.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in _DEFERRED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in caught:
            signal.raise_signal(signum)  # now, to the handlers that were there before


@contextlib.contextmanager
def termination_unwinds() -> Iterator[None]:
    """Make SIGTERM and SIGHUP raise :class:`Interrupted`, so ``finally`` blocks run.

    Their default action kills the process on the spot, which would leave a
    mounted filesystem behind; Ctrl-C already raises KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
