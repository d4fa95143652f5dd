"""Bad input through the real pipeline: every corpus case, one partition each, through Dagster.

Each case day first gets a good partition landed (the good version of the day); then the day
is broken as the corpus says and the Hub capture unit (``raw/hub_models``, with
``raw/hub_inference_providers`` in the same step) is materialized for every case day, one run per
day, on the runner's instance and resources (``atom backfill`` runs the same asset the same way,
alongside the other raw tables of the day). A "fail" case must fail with
the message the corpus expects -- as the runner's summary shows it and in the blocking check's
metadata, never a bare trace -- and leave that day's earlier partition byte-identical; a "land"
case must land with its repairs counted in the materialization metadata. No other partition is
touched. (``test_backfill_twice.py`` runs a bad day through ``atom backfill`` itself.)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from atom_dagster.assets.raw_tables import raw_key
from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.tables import hub_models
from atom_dagster.settings import load_settings
from tests.faults.corpus import CASES, GOOD_REPAIRS, GOOD_ROWS, resign, write_good_day

BASE_DAY = "2026-10-01"
RAW_HUB_MODELS = raw_key(hub_models.TABLE)
DAYS = {case.name: (date(2026, 10, 2) + timedelta(days=i)).isoformat() for i, case in enumerate(CASES)}


def partition_dir(raw_root: Path, day: str) -> Path:
    return wap.partition_dir(raw_root, day, hub_models.TABLE)


def _parquet(settings, day: str) -> Path:
    return partition_dir(settings.raw_dir, day) / wap.DATA_FILE


def _land_directly(settings, day: str) -> None:
    """The good version of a day, landed as the asset lands it (parse, stage, promote)."""
    report, _ = hub_models.parse_archive_day(settings.archive_dir / day)
    staged = wap.stage(settings.raw_dir, day, hub_models.to_arrow(report.rows, "archive"), hub_models.TABLE)
    wap.promote(staged, settings.raw_dir, day, hub_models.TABLE)


@dataclass
class Outcome:
    landed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _materialize_days(settings, days: list[str]) -> Outcome:
    from atom_dagster.definitions import build_assets, build_resources
    from atom_dagster.runner import QUIET, _failure_message, instance_for

    # The day's raw tables land in one step; the Hub's (raw/hub_models, raw/hub_inference_providers) here.
    raw_day = next(a for a in build_assets(settings) if a.op.name == "raw_day")
    instance, resources, outcome = instance_for(settings), build_resources(settings), Outcome()
    for day in days:
        result = dg.materialize(
            [raw_day],
            selection=dg.AssetSelection.assets(["raw", "hub_models"], ["raw", "hub_inference_providers"]),
            instance=instance,
            resources=resources,
            partition_key=day,
            raise_on_error=False,
            run_config=QUIET,
        )
        if result.success:
            outcome.landed.append(day)
        else:
            outcome.failed[day] = _failure_message(result)
    return outcome


@pytest.fixture(scope="module")
def outcome(fast_tmp, dbt_manifest):
    from atom_dagster.runner import instance_for

    root = fast_tmp("bad_input")
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    for day in [BASE_DAY, *DAYS.values()]:
        write_good_day(settings.archive_dir, day)
        _land_directly(settings, day)
    before = {day: _parquet(settings, day).read_bytes() for day in [BASE_DAY, *DAYS.values()]}

    for case in CASES:
        day_path = settings.archive_dir / DAYS[case.name]
        case.mutate(day_path)
        if case.resign:
            resign(day_path)
    summary = _materialize_days(settings, list(DAYS.values()))
    return settings, summary, before, instance_for(settings)


def _run_events(instance: dg.DagsterInstance, day: str, event_type: DagsterEventType) -> list:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": day}))
    assert len(runs) == 1, [r.run_id for r in runs]
    return [r.dagster_event for r in instance.all_logs(runs[0].run_id, of_type=event_type)]


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome == "fail"], ids=lambda c: c.name)
def test_bad_input_fails_its_partition_with_file_record_and_rule(outcome, case):
    settings, summary, before, instance = outcome
    day = DAYS[case.name]
    assert day in summary.failed, f"{case.name} was loaded: {summary.landed}"
    message = summary.failed[day]
    assert f"Partition {day}" in message
    for expected in case.expect:
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert "Traceback" not in message and 'File "' not in message  # a message, not a crash trace
    # The same words are in the failed blocking check's metadata (what the UI shows).
    checks = _run_events(instance, day, DagsterEventType.ASSET_CHECK_EVALUATION)
    checks = [c for c in checks if c.event_specific_data.asset_key == RAW_HUB_MODELS]
    assert [(c.event_specific_data.check_name, c.event_specific_data.passed) for c in checks] == [
        ("raw_partition_valid", False)
    ]
    check_text = json.dumps({k: str(v.value) for k, v in checks[0].event_specific_data.metadata.items()})
    assert json.dumps(case.expect[0])[1:-1] in check_text
    # Nothing promoted: the day's earlier partition is byte-identical, nothing half-written.
    assert _parquet(settings, day).read_bytes() == before[day]
    assert sorted(p.name for p in partition_dir(settings.raw_dir, day).iterdir()) == [wap.DATA_FILE]


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome == "land"], ids=lambda c: c.name)
def test_repairable_input_lands_with_its_repairs_counted(outcome, case):
    settings, summary, before, instance = outcome
    day = DAYS[case.name]
    assert day in summary.landed, summary.failed.get(day)
    [event] = [
        e
        for e in _run_events(instance, day, DagsterEventType.ASSET_MATERIALIZATION)
        if e.event_specific_data.materialization.asset_key == RAW_HUB_MODELS
    ]
    metadata = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}
    assert metadata["repairs"] == dict(Counter(GOOD_REPAIRS) + Counter(case.repairs))
    assert metadata["dagster/row_count"] == GOOD_ROWS
    for key, value in case.metadata.items():
        assert metadata[key] == value, key
    df = wap.read_partition(settings.raw_dir, day, hub_models.TABLE).set_index("model_id")
    if case.name == "downloads_numeric_string":
        assert df.loc["someuser/qwen-sft", "downloads_30d"] == 123
    if case.name == "author_missing":
        assert df.loc["someuser/qwen-sft", "author"] == "someuser"
    if case.name == "duplicate__id_with_conflicting_values":
        # One model, the copy with the most advanced counter kept.
        assert df.loc["Qwen/Qwen2.5-7B-Instruct", "downloads_all_time"] == 1_000_500
    if case.name == "unknown_new_fields":
        assert _parquet(settings, day).read_bytes() == before[day]  # accepted and ignored: same partition
    if case.name == "lineage_parents_that_are_local_paths":
        edges = [e for edges in df["lineage"] for e in edges]
        rejected = sorted(e["parent_id"] for e in edges if not e["parent_valid"])
        assert rejected == ["./lora-out", "/home/me/ckpt", "C:\\checkpoints\\base"]


def test_every_case_was_tried_and_other_partitions_are_untouched(outcome):
    settings, summary, before, _ = outcome
    assert len(summary.failed) + len(summary.landed) == len(CASES)
    assert len(summary.failed) == sum(1 for c in CASES if c.outcome == "fail")
    assert _parquet(settings, BASE_DAY).read_bytes() == before[BASE_DAY]
    # No staged leftovers, and dbt's glob sees exactly one file per partition.
    assert not list((settings.raw_dir / ".staging").rglob("*.parquet*"))
    visible = sorted((settings.raw_dir / "hub_models").glob("*/*"))
    assert [p.name for p in visible] == [wap.DATA_FILE] * (len(CASES) + 1)
