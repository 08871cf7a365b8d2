"""Drive one real, interactive ``xfs_io`` process, one command at a time.

xfs_io reads commands from a pipe and writes to a pseudo-terminal: on a
terminal its output is line buffered and stdout and stderr arrive in order,
which a pipe would not give.  After each command we send an unknown command
(``__mapviz_end_N__``); xfs_io answers it with ``command "..." not found``,
which marks the end of the first command's output without any timing
guesswork.  If the output stops because xfs_io died (a SIGBUS from ``mwrite``
kills it), the signal is reported instead.

xfs_io is started with RLIMIT_CORE 1 so that its deaths leave no core file:
a limit below one page stops a core file being written, and 1 (not 0) also
stops a ``|pipe`` core_pattern handler, which ignores 0 but treats 1 as
"skip" (fs/coredump.c).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from mapviz.realkernel.errors import OracleFailureError
from mapviz.scenario.directives import CAPABILITIES

COMMAND_TIMEOUT = 120.0
"""Seconds one command may take before xfs_io is killed and the run fails."""

_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")
# The errno names the simulator uses where the C library has two for one number.
_PREFERRED = {errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK"}


def errno_name(number: int) -> str:
    """The errno name the scenario language uses for ``number``.

    >>> errno_name(95), errno_name(26)
    ('EOPNOTSUPP', 'ETXTBSY')
    """
    return _PREFERRED.get(number) or errno.errorcode.get(number) or f"E{number}"


# perror()'s text -> errno name, for reading xfs_io's "command: message" lines.
# xfs_io runs under LC_ALL=C, so these are the C library's English messages.
_BY_MESSAGE: dict[str, str] = {}
for _number in sorted(errno.errorcode):
    _BY_MESSAGE.setdefault(os.strerror(_number), errno_name(_number))


def classify(lines: Sequence[str]) -> tuple[str, str | None]:
    """``(result, why)`` from what xfs_io printed for one command.

    xfs_io reports a failed system call with perror(): ``NAME: strerror``.

    >>> classify(["fallocate: Text file busy"])
    ('ETXTBSY', 'fallocate: Text file busy')
    >>> classify(["wrote 4096/4096 bytes at offset 0"])
    ('ok', None)
    """
    for line in lines:
        _, colon, message = line.rpartition(": ")
        if colon and message.strip() in _BY_MESSAGE:
            return _BY_MESSAGE[message.strip()], line.strip()
    return "ok", None


@dataclass(frozen=True, slots=True)
class Reply:
    """What one command produced: xfs_io's output lines, and the signal if it died."""

    lines: tuple[str, ...]
    signal: int | None = None
    exit_code: int | None = None

    @property
    def died(self) -> bool:
        return self.signal is not None or self.exit_code is not None

    @property
    def death(self) -> str:
        """``SIGBUS`` for a signal, ``EXIT3`` for an exit status."""
        if self.signal is not None:
            try:
                return signal.Signals(self.signal).name
            except ValueError:
                return f"SIG{self.signal}"
        return f"EXIT{self.exit_code}"


def credentials_argv(uid: int, caps: frozenset[str]) -> list[str]:
    """The ``setpriv`` prefix that runs xfs_io as ``uid`` with only ``caps`` (empty: plain).

    >>> credentials_argv(0, CAPABILITIES)
    []
    >>> credentials_argv(1000, frozenset())
    ['setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '--']
    """
    if uid == 0 and caps == CAPABILITIES:
        return []
    argv = ["setpriv"]
    if uid != 0:
        # setresuid() away from 0 drops every capability; groups go too.
        argv += [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    keep = "".join(f",+{cap}" for cap in sorted(caps))
    if uid == 0 and caps != CAPABILITIES:
        # Root gets every capability in the bounding set at exec: shrink that set.
        argv += ["--inh-caps=-all", "--ambient-caps=-all", f"--bounding-set=-all{keep}"]
    elif caps:
        # Another uid only keeps what is ambient across exec.
        argv += [f"--inh-caps=-all{keep}", f"--ambient-caps=-all{keep}"]
    return [*argv, "--"]


def _no_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (1, 1))


class XfsIo:
    """One live xfs_io (started with no file), fed one command line at a time.

    Parameters
    ----------
    cwd
        Its working directory: the test filesystem, so scenario paths resolve there.
    prefix
        Put before ``xfs_io`` (the :func:`credentials_argv` of a ``%proc``).
    timeout
        Seconds a command may take.
    """

    def __init__(
        self, cwd: str, prefix: Sequence[str] = (), timeout: float = COMMAND_TIMEOUT
    ) -> None:
        self.timeout = timeout
        self._count = 0
        self._dead: Reply | None = None
        path = os.environ.get("PATH", "/usr/bin:/bin")
        env = {
            "PATH": ":".join([path, *_SBIN]),
            "LC_ALL": "C",  # perror() in English: classify() reads it
            "LANG": "C",
            "TERM": "dumb",
            "HOME": "/",
        }
        master, slave = os.openpty()
        try:
            self._process = subprocess.Popen(
                [*prefix, "xfs_io"],
                stdin=subprocess.PIPE,
                stdout=slave,
                stderr=slave,
                cwd=cwd,
                env=env,
                close_fds=True,
                preexec_fn=_no_core_files,
                # Its own session: a Ctrl-C on our terminal is ours to handle
                # (cleanup first), not a signal that kills xfs_io under us.
                start_new_session=True,
            )
        except OSError as error:
            os.close(master)
            raise OracleFailureError(f"mapviz run --real: cannot start xfs_io: {error}") from None
        finally:
            os.close(slave)
        self._master: int | None = master
        stdin = self._process.stdin
        assert stdin is not None
        self._stdin: IO[bytes] = stdin

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._dead is None

    def run(self, line: str) -> Reply:
        """Send one command line and collect its output (or how xfs_io died)."""
        if self._dead is not None:
            raise OracleFailureError("mapviz run --real: xfs_io is gone")
        self._count += 1
        tag = f"__mapviz_end_{self._count}__"
        marker = f'command "{tag}" not found'.encode()
        try:
            self._stdin.write(f"{line}\n{tag}\n".encode())
            self._stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died; the read below sees the end of its output
        output = b""
        deadline = time.monotonic() + self.timeout
        while marker not in output:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise OracleFailureError(
                    f"mapviz run --real: xfs_io did not answer `{line}` in {self.timeout:g} s"
                )
            chunk = self._read(min(left, 1.0))
            if chunk is None:
                continue
            if not chunk:
                return self._died(output)
            output += chunk
        return Reply(_lines(output[: output.index(marker)]))

    def _read(self, wait: float) -> bytes | None:
        """What the pty has (None: nothing yet; b"": xfs_io has closed it, i.e. died)."""
        assert self._master is not None
        ready, _, _ = select.select([self._master], [], [], wait)
        if not ready:
            return None
        try:
            return os.read(self._master, 65536)
        except OSError:  # EIO: the last holder of the pty's other end is gone
            return b""

    def _died(self, output: bytes) -> Reply:
        try:
            code = self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise OracleFailureError("mapviz run --real: xfs_io hung while dying") from None
        reply = Reply(
            _lines(output),
            signal=-code if code < 0 else None,
            exit_code=code if code >= 0 else None,
        )
        self._dead = reply
        self._close()
        return reply

    def quit(self, wait: float = 10.0) -> None:
        """Ask xfs_io to quit; kill it if it does not within ``wait`` seconds."""
        if self._dead is not None:
            return
        try:
            self._stdin.write(b"quit\n")
            self._stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        try:
            code = self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._dead = Reply((), exit_code=code)
        self._close()

    def kill(self) -> None:
        """SIGKILL it and reap it."""
        if self._process.returncode is None:
            try:
                self._process.kill()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._dead = Reply((), signal=signal.SIGKILL)
        self._close()

    def _close(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None
        with contextlib.suppress(OSError):  # a dead xfs_io leaves unflushed input: EPIPE
            self._stdin.close()


def _lines(output: bytes) -> tuple[str, ...]:
    """Non-blank lines; the pty turned each newline into CR LF."""
    text = output.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return tuple(line for line in text.split("\n") if line.strip())
