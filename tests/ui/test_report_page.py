"""The daily HTML report, opened in Chromium: every chart loads, readings and sources are shown."""

from __future__ import annotations

import pytest

from tests.ui.ui_support import LANDED_DAYS, save_screenshot

pytestmark = pytest.mark.ui


def test_report_page_shows_its_charts_readings_and_sources(page, ui_data):
    report = ui_data.data_dir / "report" / LANDED_DAYS[-1] / "index.html"
    page.goto(report.as_uri())
    images = page.locator("img")
    # The small archive's single month is shown as values tables, not as charts.
    shown = images.count() + page.locator("table.values").count()
    assert shown >= 5 and images.count() >= 2
    for i in range(images.count()):
        # naturalWidth is 0 for an image the browser could not load or decode.
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), images.nth(
            i
        ).get_attribute("src")
    assert page.locator("p.reading").count() == shown  # every chart and values table has its reading
    text = page.inner_text("body")
    assert "NaT" not in text
    assert f"atom daily report for {LANDED_DAYS[-1]}" in text
    assert "Source: OpenRouter (openrouter.ai/rankings)" in text
    save_screenshot(page, "report.png")
