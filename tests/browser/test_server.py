"""``mapviz serve``: the same views from a Bokeh server, with a live command box."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PLAYER = "Bokeh.documents[0].get_model_by_name('mapviz-plot').__mapviz_player"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mapviz", "serve", "hole-sigbus", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                error = process.stderr.read() if process.stderr else ""
                pytest.fail(f"mapviz serve exited: {error}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_typed_command_becomes_a_step(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(server)
        # The server page builds its document after load: wait for it without throwing.
        page.wait_for_function(
            f"() => {{ try {{ return {PLAYER}.state().settled }} catch (e) {{ return false }} }}",
            timeout=20_000,
        )
        before = page.evaluate(f"() => {PLAYER}.state().total")
        box = page.locator("input[placeholder^='next command']")
        box.fill("mwrite 64k 4k")
        box.press("Enter")
        page.wait_for_function(
            f"() => {{ const s = {PLAYER}.state(); return s.total === {before + 1} && "
            f"s.frame === {before + 1} && s.settled }}"
        )
        assert "mwrite 64k 4k" in page.locator(".mv-cmd").first.inner_text()

        box.fill("frobnicate 1")  # not a command: a message, and nothing changes
        box.press("Enter")
        page.wait_for_function(
            "() => Bokeh.documents[0].get_model_by_name('mapviz-message').text.includes("
            "'frobnicate')"
        )
        assert page.evaluate(f"() => {PLAYER}.state().total") == before + 1
        assert problems == []
    finally:
        context.close()
