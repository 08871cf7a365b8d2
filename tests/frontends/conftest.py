"""A widget with no kernel behind it: every comm message is recorded, not sent.

ipywidgets opens one comm per widget through ``ipywidgets.comm.create_comm``;
replacing it gives each widget a :class:`RecordingComm`.  What the kernel
would send the page (jupyter_bokeh's PATCH-DOC messages) can then be read
back with :func:`patches`, and what the page would send the kernel is fed in
with :func:`page_reports` (the same call jupyter_bokeh makes on a message).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest

# Only whether the notebook stack is installed: importing ipywidgets (and IPython with it)
# here would cost every `pytest` run its import at collection; the widgets import it anyway.
if not all(importlib.util.find_spec(package) for package in ("ipywidgets", "jupyter_bokeh")):
    pytest.skip("the notebook extra is not installed", allow_module_level=True)

from comm.base_comm import BaseComm


class RecordingComm(BaseComm):  # type: ignore[misc]
    """A comm that keeps every message it would publish."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[tuple[str, dict[str, Any], list[Any]]] = []
        super().__init__(**kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[Any] | None = None,
        **keys: Any,
    ) -> None:
        self.sent.append((msg_type, data or {}, list(buffers or [])))


@pytest.fixture(autouse=True)
def recorded_comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RecordingComm]]:
    """Every comm opened during the test, in order."""
    import ipywidgets.comm

    opened: list[RecordingComm] = []

    def create(**kwargs: Any) -> RecordingComm:
        made = RecordingComm(**kwargs)
        opened.append(made)
        return made

    monkeypatch.setattr(ipywidgets.comm, "create_comm", create)
    yield opened


@pytest.fixture(autouse=True)
def loader_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """No notebook page to load BokehJS into: the loader's publications are counted instead."""
    import mapviz.frontends.static as static

    calls: list[bool] = []
    monkeypatch.setattr(static, "_publish_loader", lambda: calls.append(True))
    monkeypatch.setattr(static, "_loaded", False)
    return calls


def patches(widget: Any) -> list[dict[str, Any]]:
    """The document events the kernel sent the page for ``widget``'s BokehModel, in order.

    Each is ``{"kind", "model" (id), "attr", "new"}`` from jupyter_bokeh's
    PATCH-DOC content.
    """
    comm = widget.bokeh_model.comm
    events: list[dict[str, Any]] = []
    for msg_type, data, _buffers in comm.sent:
        if msg_type != "comm_msg":
            continue
        content = data.get("content", {})
        payload = content.get("payload") if isinstance(content, dict) else None
        if content.get("msg") != "patch" or not isinstance(payload, str):
            continue
        decoded = json.loads(payload)
        for event in decoded.get("events", []) if isinstance(decoded, dict) else []:
            model = event.get("model", {})
            # A whole new ``.data`` travels as ColumnDataChanged, with ``data``.
            new = event.get("new", event.get("data"))
            events.append(
                {
                    "kind": event.get("kind"),
                    "model": model.get("id"),
                    "attr": event.get("attr"),
                    "new": new,
                }
            )
    return events


def requests_sent(widget: Any) -> list[dict[str, Any]]:
    """The step requests sent to the page: ``{"op", "frame", "limit"}``, oldest first."""
    request_id = widget._channel.request.id
    out = []
    for event in patches(widget):
        if event["model"] == request_id and event["attr"] == "data":
            columns = dict(event["new"]["entries"])
            out.append(
                {"op": columns["op"][0], "frame": columns["frame"][0], "limit": columns["limit"][0]}
            )
    return out


def page_reports(
    widget: Any, frame: int, want: int = -1, seq: int = 1, req: int | None = None
) -> None:
    """The page's player settled on ``frame`` (and asked for ``want``), delivered as
    jupyter_bokeh delivers a message from the page.  ``req``: the last request the page
    had taken (default: the widget's latest, so the report is current)."""
    status = widget._channel.status
    content = {
        "event": "jsevent",
        "kind": "ModelChanged",
        "model": {"id": status.id},
        "attr": "data",
        "new": {
            "type": "map",
            "entries": [
                ["seq", [seq]],
                ["frame", [frame]],
                ["want", [want]],
                ["req", [widget._stepper.seq if req is None else req]],
            ],
        },
    }
    widget.bokeh_model._sync_model(widget.bokeh_model, content, [])


def submit(widget: Any, text: str) -> None:
    """Type ``text`` into the command box and press Enter (as the browser would)."""
    box = widget._controls.command
    box.value = text
    box._handle_custom_msg({"event": "submit"}, [])
