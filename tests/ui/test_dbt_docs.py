"""The dbt docs site of `atom docs --serve`, opened in Chromium: a mart, its columns and its lineage."""

from __future__ import annotations

import json
import signal
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.ui.dagster_dev import free_port, poll, start_process_group, stop_process_group
from tests.ui.ui_support import save_screenshot

pytestmark = pytest.mark.ui

MART = "fct_model_downloads_daily"
MART_ID = f"model.atom.{MART}"
EXPANDED_COLUMN = "downloads_delta"
CY_LABELS = """() => {
  const el = document.querySelector('#cy');
  const cy = el && el._cyreg && el._cyreg.cy;
  return cy ? cy.nodes().map(n => n.data('label') || n.id()) : null;
}"""


def _whitespace(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def docs_site(chromium_path, ui_data, tmp_path_factory):
    """`atom docs --serve --port <free>` on the UI data: generates the site, then serves it."""
    port = free_port()
    atom = Path(sys.executable).parent / "atom"
    command = [str(atom), "docs", "--serve", "--port", str(port), "--data-dir", str(ui_data.data_dir)]
    log = tmp_path_factory.mktemp("atom-docs") / "atom-docs.log"
    process = start_process_group(command, ui_data.env, log)
    url = f"http://127.0.0.1:{port}"

    def serving():
        if process.poll() is not None:
            raise AssertionError(f"atom docs exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with urllib.request.urlopen(url + "/catalog.json", timeout=5) as response:
            return response.status == 200

    try:
        poll("atom docs to serve the site", serving, 180)
        yield url, ui_data.data_dir / "dbt_docs"
    finally:
        stop_process_group(process, grace=10, first=signal.SIGTERM)


def test_docs_show_a_mart_with_column_descriptions_and_its_lineage(page, docs_site):
    from playwright.sync_api import expect

    url, docs_dir = docs_site
    manifest = json.loads((docs_dir / "manifest.json").read_text())
    node = manifest["nodes"][MART_ID]
    columns = {name: _whitespace(col["description"]) for name, col in node["columns"].items()}
    assert columns and all(columns.values()), "every column of the mart is documented"

    page.goto(f"{url}/#!/model/{MART_ID}")
    expect(page.locator("h1").filter(has_text=MART)).to_be_visible()
    expect(page.get_by_text(_whitespace(node["description"])[:60]).first).to_be_visible()
    for name, description in columns.items():
        row = page.locator("tr.column-row").filter(has=page.get_by_text(name, exact=True))
        expect(row).to_contain_text(description[:50])

    # The lineage graph (the round button): the mart between the models it reads and feeds.
    page.locator("[ng-click='onLauncherClick()']").click()
    nodes = manifest["nodes"]
    neighbours = [*node["depends_on"]["nodes"], *manifest["child_map"][MART_ID]]
    models = {nodes[uid]["name"] for uid in neighbours if nodes.get(uid, {}).get("resource_type") == "model"}
    assert models, "the mart has upstream or downstream models"
    labels = poll("the lineage graph to draw", lambda: page.evaluate(CY_LABELS), 30)
    assert {MART, *models} <= set(labels), (models, labels)
    expect(page.get_by_text("Lineage Graph", exact=True)).to_be_visible()

    # A click on a column opens its full description and its tests.
    page.get_by_text("Columns", exact=True).first.click()  # scrolls the column table into view
    page.locator("tr.column-row").filter(has=page.get_by_text(EXPANDED_COLUMN, exact=True)).click()
    details = page.locator("tr:not(.column-row)").filter(has_text=columns[EXPANDED_COLUMN][:60])
    expect(details.first).to_be_visible()
    save_screenshot(page, "dbt-docs-model.png")
