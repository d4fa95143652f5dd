"""A run's one dbt build (every dbt step's nodes in one dbt process) fails where the failing node is.

Days 1-3 are built; then day 4 with a `tracking_start` that is not a date (the settings check would
refuse it: the test builds the value directly), which breaks one model of the last dbt step
(`metrics_model_downloads_daily`) and nothing before it. The run's first dbt step builds every node
and passes; the incremental step reports its results from that build and passes; the last step
fails with dbt's error, and the warehouse keeps the previous build whole.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import dagster as dg
import pytest

from atom_dagster.assets.dbt_models import DAILY_MODEL, DBT_STEPS
from atom_dagster.jobs import BUILD_MARTS_JOB
from atom_dagster.runner import backfill
from atom_dagster.settings import DBT_PROJECT_DIR, load_settings
from atom_dagster.warehouse import build_events_path, build_path
from tests.faults.backfill_job import built_table_hashes
from tests.small_archive import DAYS, write_small_archive

BROKEN_MODEL = "metrics_model_downloads_daily"


@pytest.fixture(scope="module")
def outcome(fast_tmp, dbt_manifest):
    root = fast_tmp("shared_build")
    archive = write_small_archive(root / "archive")
    settings = load_settings(
        {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    first = backfill(settings, DAYS[:-1], log=lambda _: None)
    assert first.ok, first.dbt_message
    before = built_table_hashes(settings.warehouse_path)
    broken = dataclasses.replace(settings, tracking_start="not-a-day")
    second = backfill(broken, DAYS[-1:], log=lambda _: None)
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    run = instance.get_run_records(filters=dg.RunsFilter(job_name=BUILD_MARTS_JOB), limit=1)[0].dagster_run
    return settings, before, second, instance, run


def test_the_step_owning_the_broken_model_fails_with_dbts_error(outcome):
    _, _, second, instance, run = outcome
    assert second.landed == DAYS[-1:] and second.dbt_succeeded is False
    assert BROKEN_MODEL in second.dbt_message and "Nothing was published" in second.dbt_message
    status = {s.step_key: s.status.value for s in instance.get_run_step_stats(run.run_id)}
    first, daily, marts = (step.name for step in DBT_STEPS)
    assert (status[first], status[daily], status[marts]) == ("SUCCESS", "SUCCESS", "FAILURE")


def test_one_dbt_process_and_each_step_reports_its_own_results(outcome):
    _, _, _, instance, run = outcome
    target = Path(DBT_PROJECT_DIR) / "target"
    ran = {step.name: len(list(target.glob(f"{step.name}-{run.run_id[:7]}-*"))) for step in DBT_STEPS}
    assert ran == {DBT_STEPS[0].name: 1, DBT_STEPS[1].name: 0, DBT_STEPS[2].name: 0}
    checks = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in checks]
    daily = [e for e in evaluations if e.asset_key == dg.AssetKey(DAILY_MODEL)]
    # The incremental step's checks, recorded by that step from the shared build, on its partition.
    assert daily and all(e.passed for e in daily)
    steps_of_daily = {
        r.event_log_entry.step_key
        for r, e in zip(checks, evaluations, strict=True)
        if e.asset_key == dg.AssetKey(DAILY_MODEL)
    }
    assert steps_of_daily == {DBT_STEPS[1].name}
    materialized = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    assert {r.event_log_entry.step_key for r in materialized} == {DBT_STEPS[0].name, DBT_STEPS[1].name}
    assert dg.AssetKey(BROKEN_MODEL) not in {r.event_log_entry.dagster_event.asset_key for r in materialized}


def test_the_warehouse_keeps_the_previous_build_and_nothing_is_left_behind(outcome):
    settings, before, *_ = outcome
    assert built_table_hashes(settings.warehouse_path) == before
    assert not build_path(settings.warehouse_path).exists()
    assert not build_events_path(settings.warehouse_path).exists()


def test_the_same_day_with_valid_settings_builds(outcome):
    settings, before, *_ = outcome
    again = backfill(settings, DAYS[-1:], log=lambda _: None)
    assert again.ok, again.dbt_message
    assert built_table_hashes(settings.warehouse_path) != before
