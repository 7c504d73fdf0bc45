"""An exported notebook viewed without a network still shows the explorer's last output (issue 22, item 5).

The HTML export draws widgets with JavaScript from a CDN; here every non-file request is refused and the
context is offline, so the widget cannot render, and the static copy the explorer leaves must show instead.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the executed-notebook helper

from test_widget_static_view import executed_explorer_notebook  # noqa: E402

from daenr_lite.runner import export_html  # noqa: E402
from daenr_lite.widgets import STATIC_VIEW_CLASS  # noqa: E402


def test_offline_html_export_shows_the_explorers_last_figure(tmp_path, browser_context, artifacts_dir):
    page_file = export_html(executed_explorer_notebook(tmp_path), tmp_path / "explorer.html")
    refused: list[str] = []

    def only_local(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    browser_context.set_offline(True)
    page = browser_context.new_page()
    try:
        page.route("**/*", only_local)
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_timeout(2000)  # give the (failing) widget loader its chance
        static = page.locator(f".{STATIC_VIEW_CLASS}")
        assert static.count() == 1 and static.is_visible()
        assert static.inner_text().startswith("DAE-NR_4 (h4)")
        image = static.locator("img")
        assert image.is_visible()
        width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert width > 100 and height > 100  # decoded: a real picture, not a broken-image icon
        box = image.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
        page.screenshot(path=str(artifacts_dir / "html_export_offline.png"), full_page=True)
    finally:
        page.close()
        browser_context.set_offline(False)
    assert refused, "the export should have tried to load the widget renderer from the network"
    assert not any(u.startswith("file:") for u in refused)
