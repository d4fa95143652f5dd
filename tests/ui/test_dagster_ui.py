"""The Dagster UI as a person uses it: `dagster dev` on a fresh DAGSTER_HOME, driven in Chromium.

Checks that the asset graph shows every asset group of the definitions, that a partition of
`raw/hub_models` launched from the Materialize dialog succeeds with its check passed, that the
daily schedule is listed and can be turned on, and that a failing check shows its message.
Screenshots for the README are taken on the way (into docs/ with `bash scripts/screenshots.sh`).
"""

from __future__ import annotations

import contextlib
import re

import pytest

from tests.ui.dagster_dev import DagsterDev, poll
from tests.ui.ui_support import BAD_DAY, GOOD_DAY, LANDED_DAYS, save_screenshot

pytestmark = pytest.mark.ui

STARTUP_LIMIT_S = 60
RUN_TIMEOUT_S = 180
RAW_ASSET_URL = "/assets/raw/hub_models"
SCHEDULE = "atom_daily_schedule"
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

RUN_QUERY = """
query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status tags { key value } } } }
"""
CHECKS_QUERY = """
query Checks($partition: String!) {
  assetCheckExecutions(assetKey: {path: ["raw", "hub_models"]}, checkName: "raw_partition_valid", limit: 20) {
    runId status partition evaluation { success description }
  }
  assetNodes(assetKeys: [{path: ["raw", "hub_models"]}]) {
    assetMaterializations(partitions: [$partition], limit: 1) { runId partition metadataEntries { label } }
  }
}
"""
SCHEDULES_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
    schedules { name scheduleState { status } } } } } }
"""


@pytest.fixture(scope="module")
def dagster_ui(chromium_path, ui_data, tmp_path_factory):
    """`dagster dev -w workspace.yaml` on 127.0.0.1:<free port>; the whole process group is stopped after."""
    dev = DagsterDev(ui_data.env, tmp_path_factory.mktemp("dagster-dev") / "dagster-dev.log")
    dev.start()
    try:
        dev.wait_ready(timeout=150)
        print(f"\ndagster dev ready in {dev.ready_seconds:.1f} s (log: {dev.log_path})")
        yield dev
    finally:
        dev.stop()  # raises (an error of the last test) if any of its processes survived


@pytest.fixture(scope="module")
def asset_groups(dbt_manifest) -> list[str]:
    """Every asset group the definitions declare (so new groups are checked without editing this)."""
    from atom_dagster.definitions import build_definitions
    from atom_dagster.settings import load_settings

    defs = build_definitions(load_settings())

    return sorted({node.group_name for node in defs.resolve_asset_graph().asset_nodes})


def wait_for_run(dev: DagsterDev, run_id: str) -> str:
    def finished():
        run = dev.graphql(RUN_QUERY, {"id": run_id})["runOrError"]
        return run["status"] if run.get("status") in TERMINAL else None

    try:
        return poll(f"run {run_id} to finish", finished, RUN_TIMEOUT_S, interval=1.0)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\ndagster dev log ends:\n{dev.log_tail()}") from exc


def launch_partition_from_ui(page, dev: DagsterDev, day: str) -> str:
    """Materialize… → type the partition in the dialog → Launch 1 run; returns the run id from the toast."""
    from playwright.sync_api import expect

    page.goto(dev.url + RAW_ASSET_URL)
    page.get_by_role("button", name="Materialize").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Launch runs to materialize raw / hub_models")).to_be_visible()
    selection = dialog.get_by_placeholder("No matching partitions")
    selection.fill(day)
    selection.press("Enter")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast_link = page.locator("a[href^='/runs/']", has_text="View").first
    href = toast_link.get_attribute("href", timeout=30_000)
    return href.split("/runs/", 1)[1].split("?", 1)[0]


def open_check(page, dev: DagsterDev):
    """The Checks tab of raw/hub_models with `raw_partition_valid` open; returns its tab list."""
    page.goto(dev.url + RAW_ASSET_URL + "?view=checks")
    history = page.get_by_role("tab", name="Execution history")
    history.wait_for()
    return page.get_by_role("tablist").filter(has=history)


def fit_graph_to_view(page) -> None:
    """Double-click an empty spot of the graph canvas: Dagster zooms the whole graph to fit."""
    point = page.evaluate(
        """() => {
          const svg = document.querySelector('svg[class*=svgContainer]');
          const r = svg.getBoundingClientRect();
          for (let y = r.top + 10; y < r.bottom; y += 20)
            for (let x = r.left + 10; x < r.right - 80; x += 20)
              if (document.elementFromPoint(x, y) === svg) return [x, y];
          return null;
        }"""
    )
    assert point, "no empty spot on the graph canvas to double-click"
    page.mouse.dblclick(*point)
    page.wait_for_timeout(1000)  # the zoom animates; a picture should not catch it halfway


def zoom_in_if_everything_stays_visible(page, graph, groups: list[str]) -> None:
    """One step closer (group boxes then show their statuses), unless a group would leave the view."""
    page.get_by_role("button", name="zoom_in").click()
    page.wait_for_timeout(1000)
    panel = graph.locator("xpath=ancestor::div[contains(@class, 'splitPanel')][1]")
    view = panel.bounding_box() if panel.count() else {"x": 0, "y": 0, **page.viewport_size}
    for group in groups:
        label = graph.get_by_text(group, exact=True).first
        node = label.locator("xpath=ancestor::*[local-name()='foreignObject'][1]")
        box = node.bounding_box() if node.count() else None
        inside = box is not None and (
            box["x"] >= view["x"]
            and box["y"] >= view["y"]
            and box["x"] + box["width"] <= view["x"] + view["width"]
            and box["y"] + box["height"] <= view["y"] + view["height"]
        )
        if not inside:
            fit_graph_to_view(page)
            return


def test_dagster_dev_is_ready_within_a_minute(dagster_ui):
    assert dagster_ui.ready_seconds < STARTUP_LIMIT_S


def test_asset_graph_shows_every_asset_group(page, dagster_ui, asset_groups):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    assert {"raw", "staging", "marts", "reference_data"} <= set(asset_groups)
    page.goto(dagster_ui.url + "/asset-groups")
    graph = page.locator("svg[class*=svgContainer]")
    for group in asset_groups:
        expect(graph.get_by_text(group, exact=True).first).to_be_visible()

    # The picture: one box per group with its asset count and status, zoomed to fit the canvas.
    sidebar_toggle = page.get_by_placeholder("Jump to").locator("xpath=following::button[1]")
    sidebar_toggle.click()
    expect(page.get_by_placeholder("Jump to")).to_have_count(0)
    fit_graph_to_view(page)
    zoom_in_if_everything_stays_visible(page, graph, asset_groups)
    for group in asset_groups:
        expect(graph.get_by_text(group, exact=True).first).to_be_in_viewport()
    # Zoomed in, each group box loads its assets' statuses ("fetching statuses" until then).
    fetching = graph.get_by_text("fetching statuses")
    with contextlib.suppress(PlaywrightTimeoutError):
        fetching.first.wait_for(timeout=5_000)
    expect(fetching).to_have_count(0, timeout=30_000)
    save_screenshot(page, "ui-asset-graph.png")


def test_raw_partition_launched_from_the_ui_succeeds_with_its_check_passed(page, dagster_ui):
    from playwright.sync_api import expect

    run_id = launch_partition_from_ui(page, dagster_ui, GOOD_DAY)
    assert wait_for_run(dagster_ui, run_id) == "SUCCESS"

    data = dagster_ui.graphql(CHECKS_QUERY, {"partition": GOOD_DAY})
    executions = [e for e in data["assetCheckExecutions"] if e["runId"] == run_id]
    assert [(e["status"], e["partition"]) for e in executions] == [("SUCCEEDED", GOOD_DAY)]
    [materialization] = data["assetNodes"][0]["assetMaterializations"]
    assert materialization["runId"] == run_id
    labels = {entry["label"] for entry in materialization["metadataEntries"]}
    assert {"dagster/row_count", "snapshot_date", "source", "created_at_range", "preview"} <= labels

    # The run's logs say what it read and how much it parsed.
    page.goto(f"{dagster_ui.url}/runs/{run_id}")
    expect(page.get_by_text("page files of models").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("records ->").first).to_be_visible()

    # The partition's materialization metadata: rows, date, source and a preview.
    page.goto(f"{dagster_ui.url}{RAW_ASSET_URL}?view=partitions&partition={GOOD_DAY}")
    metadata = page.locator("table").filter(has_text="dagster/row_count")
    expect(metadata.get_by_text("source_detail", exact=True)).to_be_visible()
    replay = f"archive replay of {dagster_ui.env['ATOM_ARCHIVE_DIR']}/{GOOD_DAY}"
    expect(metadata.get_by_text(replay)).to_be_visible()
    expect(metadata.get_by_text("Qwen/Qwen2.5-7B-Instruct").first).to_be_attached()
    save_screenshot(page, "ui-partition-metadata.png")

    # The check, per partition: this day passed (and the days landed before it).
    tabs = open_check(page, dagster_ui)
    tabs.get_by_role("tab", name="Partitions").click()
    expect(page.get_by_text(f"Passed ({len(LANDED_DAYS) + 1})")).to_be_visible()
    page.get_by_placeholder("Filter by partition").fill(GOOD_DAY)
    page.get_by_text(GOOD_DAY, exact=True).filter(visible=True).last.click()
    expect(page.get_by_text(f"Partition {GOOD_DAY}: all", exact=False)).to_be_visible()
    expect(page.get_by_text("Passed", exact=True).filter(visible=True).last).to_be_visible()
    expect(page.get_by_role("link", name=run_id[:8], exact=True)).to_be_visible()
    save_screenshot(page, "ui-partition-checks.png")


def test_daily_schedule_is_listed_and_can_be_turned_on(page, dagster_ui):
    from playwright.sync_api import expect

    page.goto(dagster_ui.url + "/automation")
    name = page.get_by_text(SCHEDULE, exact=True)
    expect(name).to_be_visible()
    row = name.locator("xpath=ancestor::*[.//label[contains(@class, 'formatSwitch')]][1]")
    switch = row.locator("label[class*=formatSwitch]")
    switch_input = switch.locator("input[type=checkbox]")
    expect(switch_input).to_be_enabled()
    expect(switch_input).not_to_be_checked()
    switch.click()
    expect(switch_input).to_be_checked()

    def running():
        repos = dagster_ui.graphql(SCHEDULES_QUERY)["repositoriesOrError"]["nodes"]
        states = {s["name"]: s["scheduleState"]["status"] for r in repos for s in r["schedules"]}
        return states.get(SCHEDULE) == "RUNNING"

    poll(f"{SCHEDULE} to be RUNNING", running, 30)
    page.reload()
    expect(page.get_by_text(SCHEDULE, exact=True)).to_be_visible()
    expect(switch_input).to_be_checked()


def test_failing_check_shows_its_message_naming_the_file(page, dagster_ui):
    from playwright.sync_api import expect

    run_id = launch_partition_from_ui(page, dagster_ui, BAD_DAY)
    assert wait_for_run(dagster_ui, run_id) == "FAILURE"

    tabs = open_check(page, dagster_ui)
    expect(tabs.get_by_role("tab", name="Overview")).to_be_visible()
    # The latest execution's description: the partition, the file and what is wrong with it.
    message = page.get_by_text(re.compile(rf"^Partition {BAD_DAY}: hub/models/page-0001\.json: .+")).first
    expect(message).to_be_visible()
    expect(message).to_contain_text("truncated")
    expect(page.get_by_text("Failed", exact=True).filter(visible=True).first).to_be_visible()
    save_screenshot(page, "ui-failed-check.png")
