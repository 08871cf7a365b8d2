"""``mapviz.MapViz`` with a mocked comm: what the kernel sends the page, and what it does
with what the page sends back."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mapviz.errors import ScenarioError
from tests.frontends.conftest import page_reports, patches, requests_sent, submit

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning:ipywidgets")


def _mapviz() -> Any:
    from mapviz import MapViz

    return MapViz


def _story(widget: Any) -> dict[str, Any]:
    return widget._models.stores["story"].data  # type: ignore[no-any-return]


def test_mapviz_is_exported_lazily() -> None:
    import mapviz
    from mapviz.frontends.widget import MapViz

    assert mapviz.MapViz is MapViz


def test_step_back_seek_send_requests() -> None:
    widget = _mapviz().from_scenario("hole-sigbus")
    assert (widget.frame, widget.total) == (0, 11)
    widget.step()
    widget.step()
    assert widget.frame == 2 and widget.current is not None
    assert widget.current.command == "truncate 128k"
    widget.back()
    widget.seek(8)
    assert widget.current is not None and widget.current.result == "SIGBUS"
    widget.seek(99)
    assert widget.frame == 11
    widget.seek(-3)
    assert widget.frame == 0
    sent = requests_sent(widget)
    assert [(r["op"], r["frame"]) for r in sent] == [
        ("step", 1),
        ("step", 2),
        ("seek", 1),
        ("seek", 8),
        ("seek", 11),
        ("seek", 0),
    ]
    assert all(r["limit"] == -1 for r in sent)


def test_play_sends_one_request_and_ends_at_the_last_step() -> None:
    widget = _mapviz().from_scenario("tour")
    widget.play()
    assert requests_sent(widget)[-1]["op"] == "play"
    assert widget.frame == widget.total
    widget.pause()
    assert requests_sent(widget)[-1]["op"] == "pause"


def test_the_page_reports_where_it_is() -> None:
    widget = _mapviz().from_scenario("tour")
    before = len(patches(widget))
    page_reports(widget, 5)  # the learner pressed the player's own buttons
    assert widget.frame == 5
    page_reports(widget, 99, seq=2)  # never past the last step
    assert widget.frame == widget.total
    # What came from the page is not echoed back to it.
    assert len(patches(widget)) == before
    widget.step()  # at the end: nothing to do
    assert widget.frame == widget.total


def test_a_report_that_crossed_a_request_is_stale() -> None:
    widget = _mapviz().from_scenario("tour")
    widget.seek(2)
    widget.seek(6)  # the page answers seek(2) while seek(6) is on its way
    page_reports(widget, 2, req=widget._stepper.seq - 1)
    assert widget.frame == 6
    page_reports(widget, 6, seq=2)
    page_reports(widget, 4, seq=3)  # then the learner steps back twice in the page
    assert widget.frame == 4
    widget.run("fsync")  # a new story: the page's older reports no longer count
    page_reports(widget, 4, seq=4, req=widget._stepper.seq - 1)
    assert widget.frame == widget.total


def test_live_command_appends_a_step_and_animates_it() -> None:
    widget = _mapviz().live(kernel="mainline", fs="xfs")
    assert widget.total == 0 and widget.kernel == "mainline"
    for line in ("open -f data", "pwrite 0 64k"):
        submit(widget, line)
    assert widget.total == 2 and widget.frame == 2
    assert widget._controls.command.value == ""  # the box is cleared for the next one
    assert "step 2: pwrite 0 64k → ok" in widget.message
    assert _story(widget)["command"][-1] == "pwrite 0 64k"
    story_id = widget._models.stores["story"].id
    assert any(e["model"] == story_id for e in patches(widget))  # the page gets the new step
    assert "delalloc" in widget.describe()
    submit(widget, "%note directives work too")
    assert "noted" in widget.message and widget.total == 2
    submit(widget, "fsync")
    assert widget.steps[-1].note == "directives work too"
    assert "written  device blocks" in widget.describe()
    assert "0x1" in widget.fiemap("data")  # xfs_io fiemap -v: the last extent's flag


def test_bad_command_shows_a_message_and_changes_nothing() -> None:
    widget = _mapviz().live(kernel="mainline")
    submit(widget, "open -f data")
    sent = len(patches(widget))
    for line in ("frobnicate 1", "mread 0 4k", "%kernel mainline", "pwrite 0"):
        submit(widget, line)
        assert "color: #D55E00" in widget.message, line  # shown as refused
        assert widget.total == 1 and widget.frame == 1
        assert widget._controls.command.value == line  # kept, to be fixed
    assert "unknown command" in widget.message or "pwrite" in widget.message
    assert len(patches(widget)) == sent  # nothing was sent to the page
    with pytest.raises(ScenarioError, match=r"no mapping|mmap"):
        widget.run("mread 0 4k")
    assert widget.total == 1


def test_model_switch_replays_and_marks_what_changed() -> None:
    widget = _mapviz().from_scenario("hole-sigbus")
    widget.seek(8)
    widget._controls.kernel.value = "mainline"  # the selector
    assert widget.kernel == "mainline"
    assert widget.differing == (8,)
    assert widget.steps[7].result == "ok"  # the store into the hole allocates on mainline
    assert widget.frame == 8  # still the same step, now under the other model
    assert "◆ 8" in widget._controls.changes.value
    assert "mainline" in widget._models.panels.header.text
    # Back, from Python: the selector follows.
    switch = widget.switch("map-direct-v5")
    assert switch.differing == (8,) and widget._controls.kernel.value == "map-direct-v5"
    assert widget.steps[7].result == "SIGBUS"


def test_model_switch_turns_impossible_commands_into_skipped_steps() -> None:
    widget = _mapviz().from_scenario("map-sync-needs-dax")
    widget.switch("map-sync")
    results = [step.result for step in widget.steps]
    assert results[-2:] == ["EOPNOTSUPP", "skipped"]
    assert widget.differing == (4, 5)
    # What is typed from now on must be possible: an error, not another "skipped".
    with pytest.raises(ScenarioError):
        widget.run("mread 0 4k")


def test_unknown_model_is_refused_and_the_selector_goes_back() -> None:
    widget = _mapviz().from_scenario("tour")
    with pytest.raises(ScenarioError, match="unknown kernel model"):
        widget.switch("v6")
    assert widget.kernel == "mainline" and widget._controls.kernel.value == "mainline"


def test_predict_then_reveal() -> None:
    widget = _mapviz().from_scenario("hole-sigbus", predict="all")
    assert widget._models.panels.source.text == ""  # the %expect lines would tell
    assert requests_sent(widget) == [] and widget._channel.request.data["limit"] == [0]
    widget.step()
    assert widget.frame == 0 and widget.quiz is not None and widget.quiz.pending == 1
    assert "open -f data" in widget._controls.question.value
    widget.step()  # no peeking: the question stays, and says so
    assert widget.frame == 0 and "waits for your prediction" in widget._controls.question.value
    widget._controls.choices[0].click()  # "ok"
    assert widget.frame == 1 and widget.score == (1, 1)
    assert requests_sent(widget)[-1] == {"op": "step", "frame": 1, "limit": 1}
    assert "✓ right" in widget._controls.feedback.value
    widget.seek(8)  # past what is revealed: stops at the frontier and asks
    assert widget.frame == 1 and widget.quiz.pending == 2
    for _ in range(6):
        widget.predict("ok")
        widget.step()
    assert widget.quiz.pending == 8
    answer = widget.predict("ok")  # wrong: a store into a hole under MAP_DIRECT
    assert not answer.right and answer.result == "SIGBUS" and "hole" in (answer.why or "")
    assert "✗" in widget._controls.feedback.value and "SIGBUS" in widget._controls.feedback.value
    assert widget.score == (7, 8) and widget.frame == 8
    with pytest.raises(ValueError, match="waiting"):
        widget.predict("ok")
    with pytest.raises(ValueError, match="not a result"):
        widget.step()
        widget.predict("EWHATEVER")


def test_predict_mode_asks_when_the_page_wants_the_next_step() -> None:
    widget = _mapviz().from_scenario("tour", predict="all")
    page_reports(widget, 0, want=1)  # the learner pressed the player's ▶ at the limit
    assert widget.quiz is not None and widget.quiz.pending == 1
    widget._controls.other.value = "EINVAL"  # the "other errno" list answers at once
    assert widget.score == (0, 1) and widget._controls.other.value == "other…"


def test_predict_mode_asks_about_a_typed_command() -> None:
    widget = _mapviz().live(kernel="map-direct-v5", dax=True, predict=True)
    widget.run("open -f data")
    assert widget.quiz is not None and widget.quiz.pending == 1 and widget.frame == 0
    assert "open -f data" in widget._controls.question.value
    widget.predict("ok")
    assert widget.frame == 1


def _asked(widget: Any) -> list[tuple[int, str]]:
    """Play ``widget`` to its end, predicting right; the steps it asked about (line, command)."""
    asked = []
    while widget.frame < widget.total:
        widget.step()
        pending = widget.quiz.pending
        if pending is not None:
            step = widget.steps[pending - 1]
            asked.append((step.line, step.command))
            widget.predict(step.result)
    return asked


def test_predict_asks_only_where_the_scenario_expects_a_result() -> None:
    widget = _mapviz().from_scenario("hole-sigbus", predict=True)
    # open and truncate carry no %expect: they play, up to the first step that does.
    assert widget._channel.request.data["limit"] == [2]
    widget.step()
    widget.step()
    assert widget.frame == 2 and widget.quiz is not None and widget.quiz.pending is None
    asked = _asked(widget)
    expected = widget.session.expectations
    assert [line for line, _ in asked] == sorted(expected) and len(asked) < widget.total
    assert (
        "open -f data" not in [command for _, command in asked] and (27, "mwrite 64k 4k") in asked
    )
    assert widget.score == (len(asked), len(asked))
    widget.run("fsync")  # typed: asked about too, since predict=True
    assert widget.quiz.pending == widget.total


def test_predict_asks_at_the_lines_and_commands_it_is_given() -> None:
    make = _mapviz()
    widget = make.from_scenario("hole-sigbus", predict=[11, "mwrite  64k 4k"])
    assert _asked(widget) == [(11, "pwrite 0 64k"), (27, "mwrite 64k 4k"), (34, "mwrite 64k 4k")]
    widget.run("fsync")  # not on the list: it just plays, as it would without a quiz
    assert widget.quiz.pending is None and widget.frame == widget.total
    assert requests_sent(widget)[-1]["op"] == "step"
    assert "step 12: fsync → ok" in widget.message
    widget.run("mwrite 64k 4k")  # on the list: typed or not
    assert widget.quiz.pending == widget.total == 13 and widget.message == ""


@pytest.mark.parametrize(
    ("predict", "message"),
    [
        ([12], "line 12 runs no command"),
        (["mwrite 1m 4k"], 'no step runs "mwrite 1m 4k"'),
        ("yes", "give True, False"),
        ([1.5], "neither a line number nor a command"),
    ],
)
def test_predict_refuses_what_names_no_step(predict: Any, message: str) -> None:
    from mapviz.errors import MapvizError

    with pytest.raises(MapvizError, match=message):
        _mapviz().from_scenario("hole-sigbus", predict=predict)


def _status_lines(widget: Any) -> list[str]:
    """The widget's lines of text above the views, as shown (tags dropped, hidden ones out)."""
    import re

    c = widget._controls
    shown = [c.message] if c.message.layout.display != "none" else []
    if c.quiz.layout.display != "none":
        shown += [c.question, c.feedback, c.score]
    shown.append(c.changes)
    texts = (re.sub(r"<[^>]+>", "", part.value).strip() for part in shown)
    return [text for text in texts if text]


def test_one_status_line_after_a_model_switch() -> None:
    widget = _mapviz().from_scenario("tour")
    widget.run("mread 0 4k")
    widget.switch("map-direct-v5")
    lines = _status_lines(widget)
    assert len([line for line in lines if "replayed under" in line.lower()]) == 1, lines
    widget.switch("map-direct-v5")  # the same model: no table, the message says it
    lines = _status_lines(widget)
    assert len([line for line in lines if "replayed under" in line.lower()]) == 1, lines


def test_one_status_line_while_a_prediction_waits() -> None:
    widget = _mapviz().live(kernel="map-direct-v5", dax=True, predict=True)
    widget.run("open -f data")
    widget.step()  # no peeking: reminded where the question is, not in a second line
    lines = _status_lines(widget)
    assert len([line for line in lines if "step 1" in line.lower()]) == 1, lines
    widget.predict("ok")
    widget.run("pwrite 0 4k")
    lines = _status_lines(widget)
    assert len([line for line in lines if "pwrite 0 4k" in line]) == 1, lines


def test_two_widgets_never_drive_each_other(recorded_comms: list[Any]) -> None:
    make = _mapviz()
    first, second = make.from_scenario("tour"), make.from_scenario("tour")
    assert first._models.root.document is not second._models.root.document
    second_before = len(second.bokeh_model.comm.sent)
    first.step()
    first.run("fsync")
    page_reports(first, 3)
    assert second.frame == 0 and second.total == first.total - 1
    assert len(second.bokeh_model.comm.sent) == second_before
    assert requests_sent(second) == []


def test_mime_bundle_loads_bokehjs_once_and_carries_a_picture(loader_calls: list[bool]) -> None:
    widget = _mapviz().from_scenario("hole-sigbus")
    bundle = widget._repr_mimebundle_()
    other = _mapviz().from_scenario("tour")._repr_mimebundle_()
    assert loader_calls == [True]  # BokehJS once per kernel, before the first view
    assert "application/vnd.jupyter.widget-view+json" in bundle and other
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert bundle["text/plain"].startswith("MapViz(hole-sigbus")


def test_bad_theme_and_scenario_text() -> None:
    from mapviz.errors import MapvizError

    with pytest.raises(MapvizError, match="unknown theme"):
        _mapviz().from_scenario("tour", theme="neon")
    widget = _mapviz().from_scenario("%kernel mainline\nopen -f data\npwrite 0 4k\n")
    assert [step.command for step in widget.steps] == ["open -f data", "pwrite 0 4k"]


def test_a_view_displayed_after_steps_opens_where_the_kernel_is() -> None:
    widget = _mapviz().from_scenario("hole-sigbus")
    widget.step()
    widget.step()
    widget._repr_mimebundle_()  # displayed only now: the page's document must ask for step 2
    (request,) = _named(widget.bokeh_model.render_bundle["docs_json"], "mapviz-request")
    data = dict(request["attributes"]["data"]["entries"])
    assert (data["op"], data["frame"]) == (["step"], [2])


def _named(tree: Any, name: str) -> list[dict[str, Any]]:
    """Every serialised Bokeh model called ``name`` anywhere in ``tree``."""
    if isinstance(tree, list | tuple):  # Bokeh serialises map entries as tuples
        return [m for item in tree for m in _named(item, name)]
    if not isinstance(tree, dict):
        return []
    here = [tree] if tree.get("attributes", {}).get("name") == name else []
    return here + [m for value in tree.values() for m in _named(value, name)]


def test_a_live_widget_predicts_the_commands_it_is_given() -> None:
    from mapviz.errors import MapvizError

    make = _mapviz()
    with pytest.raises(MapvizError, match="line 3 runs no command"):
        make.live(predict=[3])  # nothing to number yet
    widget = make.live(kernel="map-direct-v5", dax=True, predict=["mwrite 64k 4k"])
    for line in ("open -f data", "truncate 128k", "mmap -D 0 128k"):
        widget.run(line)  # not on the list: each plays at once
    assert widget.frame == 3 and widget.quiz is not None and widget.quiz.pending is None
    widget.run("mwrite 64k 4k")
    assert widget.quiz.pending == 4 and widget.frame == 3
    assert widget.predict("SIGBUS").right and widget.frame == 4
