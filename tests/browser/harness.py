"""A real JupyterLab server and the system Chromium, for the browser tests and benchmarks.

Shared by ``tests/browser`` (the ``lab`` and ``browser`` fixtures) and
``benchmarks/bench_widget.py``, so neither pytest nor Playwright is needed to
import it.  Problems are raised as :class:`LabError`; the callers decide
whether that is a failure or a skip.

:func:`jupyter_lab` starts JupyterLab on 127.0.0.1 with a random token in a
directory the caller has filled (notebooks to open), with nothing of the
user's own Jupyter setup, and stops it again however the block ends.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The flags STACK.md verified for headless Chromium in this workplace.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# JupyterLab asks whether to fetch news: a toast over the notebook (STACK.md pitfall 15).
QUIET_LAB = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}

# Cells that have started: their prompt reads [*] or [N] instead of [ ].
STARTED = """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
  .filter((prompt) => /\\[(\\*|\\d+)\\]/.test(prompt.textContent)).length"""

# The notebook's own kernel, as JupyterLab's session holds it: connected and idle.  Read
# from the app (``window.jupyterapp``, see jupyter_lab's --LabApp.expose_app_in_browser),
# not from the toolbar: its execution indicator reads idle before there is any kernel,
# and a check of indicator and kernel name together was seen to pass (under load) while
# the session still had no kernel.
KERNEL_IDLE = """() => {
  const kernel = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel
  return kernel != null && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
}"""


class LabError(RuntimeError):
    """JupyterLab did not start, or a notebook in it did not run."""


def chromium_path() -> str | None:
    """``$MAPVIZ_CHROMIUM``, else the first Chromium on ``PATH``."""
    explicit = os.environ.get("MAPVIZ_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def missing_package(packages: Iterable[str]) -> str | None:
    """Why a server (or browser) cannot be had here: the first package not installed."""
    for package in packages:
        if importlib.util.find_spec(package) is None:
            return f"{package} is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LabServer:
    """A running JupyterLab server: where it is, how to reach it, what it serves."""

    def __init__(self, url: str, token: str, home: Path, process: subprocess.Popen[str]) -> None:
        self.url = url
        self.token = token
        self.home = home
        self.process = process

    def page(self, path: str, *query: str) -> str:
        return f"{self.url}{path}?{'&'.join([*query, f'token={self.token}'])}"


@contextmanager
def jupyter_lab(home: Path, *, timeout: float = 60) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1 serving ``home``; stopped when the block ends.

    ``home`` also holds the server's settings, workspaces, runtime files and
    its log (``server.log``).  Kernels import mapviz from this checkout.

    Raises
    ------
    LabError
        The server exited or did not answer within ``timeout`` seconds (the
        message ends with its log).
    """
    settings = home / "settings"
    for plugin, values in QUIET_LAB.items():
        package, name = plugin.split(":")
        target = settings / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    # Nothing of the user's own Jupyter setup (config, workspaces, kernels' state) leaks
    # in; the installed extensions are found under sys.prefix as usual.
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={home}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True",  # run_all_cells waits on its session
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI runs as root in a throwaway machine
    log_path = home / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise LabError(f"jupyter lab exited: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                        break
                except OSError as error:
                    if time.monotonic() > deadline:
                        raise LabError(
                            f"jupyter lab did not answer within {timeout:.0f} s: "
                            f"{log_path.read_text()[-2000:]}"
                        ) from error
                    time.sleep(0.3)
            yield LabServer(url, token, home, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_all_cells(page: Any) -> None:
    """Run every cell of the notebook open in ``page`` through JupyterLab's own menu,
    once the notebook's kernel is up.

    Raises
    ------
    LabError
        The kernel did not come up, JupyterLab asked which kernel to use, or no
        cell started.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # Not a moment earlier: JupyterLab shows the notebook before it starts its kernel
    # (context.ts `_populate`, 4.6: first a checkpoint, a POST to the server, then the
    # kernel's name from the notebook's metadata, then the session).  A Run All in that
    # window has each code cell start a kernel itself (cellexecutor.ts: hasNoKernel ->
    # sessionContext.startKernel()); with no name known yet and autoStartDefault off,
    # getDefaultKernel() finds none, so each code cell queues a "Select Kernel" dialog
    # -- accepting one shows the next -- while the notebook's own kernel starts anyway.
    # Timed in the page under `stress --cpu 2`: the indicator read idle, "No Kernel", at
    # 9.95 s; Run All 9.99 s; the dialog 10.6 s; POST /api/sessions only 10.77 s (after
    # the checkpoint, 10.68 s).  The kernelspecs had loaded at 5.6 s, listing python3,
    # and the kernel started fine.  A Run All while the session is still starting
    # (a pending kernel name, no kernel yet) sends nothing: CodeCell.execute() skips a
    # cell when the session has no kernel.
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    except PlaywrightTimeout as error:
        raise LabError(f"the notebook's kernel did not come up{_dialogs(page)}") from error
    refuse_kernel_choice(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    try:
        page.wait_for_function(f"() => ({STARTED})() > 0", timeout=30_000)
    except PlaywrightTimeout as error:
        raise LabError(f"Run All Cells started no cell{_dialogs(page)}") from error
    refuse_kernel_choice(page)


def refuse_kernel_choice(page: Any) -> None:
    """Fail if JupyterLab asks which kernel to use: every notebook here names its own.

    Raises
    ------
    LabError
        A "Select Kernel" dialog is shown.
    """
    if page.locator(".jp-Dialog", has_text="Select Kernel").count():
        raise LabError(f"JupyterLab asked for a kernel{_dialogs(page)}")


def _dialogs(page: Any) -> str:
    """The dialogs JupyterLab shows, for an error message ("" if none)."""
    shown = page.locator(".jp-Dialog").all_inner_texts()
    return f"; dialogs shown: {' | '.join(shown)}" if shown else ""


# ---- The static site (mapviz site): a local Pyodide and a server on 127.0.0.1 ----------------


def cache_dir() -> Path:
    """Where downloads the tests and benchmarks need are kept between runs:
    ``$MAPVIZ_CACHE``, else ``$XDG_CACHE_HOME/mapviz``, else ``~/.cache/mapviz``."""
    explicit = os.environ.get("MAPVIZ_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mapviz"


def pyodide_tarball() -> Path:
    """The pinned Pyodide's npm tarball (``npm pack pyodide@VERSION``), fetched once into
    :func:`cache_dir` and reused.

    Raises
    ------
    LabError
        No tarball cached, and ``npm`` is missing or could not fetch it.
    """
    from mapviz.site.build import PYODIDE_VERSION

    folder = cache_dir() / "pyodide"
    tarball = folder / f"pyodide-{PYODIDE_VERSION}.tgz"
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise LabError(f"no {tarball} and no npm to fetch it (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(folder)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=folder,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"npm pack pyodide@{PYODIDE_VERSION} failed: {error}") from error
    if done.returncode != 0 or not tarball.is_file():
        raise LabError(f"npm pack pyodide@{PYODIDE_VERSION} failed: {done.stderr[-1000:]}")
    return tarball


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """A static HTTP server for ``root`` on 127.0.0.1 (a free port) while the block runs;
    yields its base URL, ``http://127.0.0.1:PORT/``."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
