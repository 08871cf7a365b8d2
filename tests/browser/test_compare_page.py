"""The comparison page: one step control moves every model's view, each telling its own result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapviz.cli import main

SLIDERS = ("() => { const out = []; for (const m of Bokeh.documents[0].all_models) "
           "{ if (m.type === 'Slider') out.push(m.value) } return out }")


def test_models_step_together(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    assert main(["compare", "pinned-block-map", "--kernel", "map-direct-v5", "--kernel",
                 "mainline", "--html", str(out)]) == 0
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  reduced_motion="reduce")
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(out.as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
        page.wait_for_timeout(500)
        # Move the first view's slider to step 6 (the refused punch): all views follow.
        page.evaluate("() => { for (const m of Bokeh.documents[0].all_models) "
                      "{ if (m.type === 'Slider') { m.value = 6; break } } }")
        page.wait_for_function(f"() => ({SLIDERS})().every(v => v === 6)", timeout=10_000)
        page.wait_for_timeout(800)
        narration = page.locator(".mv-res")
        texts = [narration.nth(i).inner_text() for i in range(narration.count())]
        assert any("ETXTBSY" in t for t in texts) and any("ok" in t for t in texts), texts
        assert problems == []
    finally:
        context.close()
