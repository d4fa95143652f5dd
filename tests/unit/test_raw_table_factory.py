"""One factory for every raw table: a new table is one declaration, and lands, skips or fails alike."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from atom_dagster.assets.raw_tables import (
    AVAILABLE_CHECK,
    CHECK_NAME,
    RawDataConfig,
    build_raw_asset,
    raw_key,
)
from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.spec import CaptureUnit, RawTable, ResolvedDay, TableParse
from atom_dagster.landing.tables import all_tables
from atom_dagster.partitions import daily_partitions

DAY, EARLIER = "2026-01-02", "2026-01-01"
PARTITIONS = daily_partitions("2026-01-01")


def test_every_declared_table_is_found_once_with_a_source_column():
    tables = all_tables()
    names = [t.name for t in tables]
    assert names == [
        "hub_models",
        "hub_inference_providers",
        "hub_new_models",
        "openrouter_models",
        "openrouter_rankings_daily",
    ]
    assert all(t.schema.names[-1] == wap.SOURCE_COLUMN for t in tables)
    assert {t.unit for t in tables} == {"hub", "openrouter"}


# --- a fourth table, declared in the test: widgets counted per day --------------------------------

SCHEMA = pa.schema([("widget", pa.string()), ("count", pa.int64()), (wap.SOURCE_COLUMN, pa.string())])


def _parse(resolved: ResolvedDay, day: str) -> TableParse:
    path = resolved.path / "widgets.json"
    if not path.exists():
        return TableParse(skipped=f"{path} is not there")
    rows, rejected = [], []
    for i, obj in enumerate(json.loads(path.read_text()), start=1):
        if not isinstance(obj.get("widget"), str):
            rejected.append({"file": "widgets.json", "position": i, "reason": "no widget name"})
        else:
            rows.append(obj)
    return TableParse(rows=rows, rejected=rejected)


def _suite(columns: list[str], _previous: int | None):
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="widgets",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
            gx.expectations.ExpectColumnValuesToBeBetween(column="count", min_value=0),
        ],
    )


WIDGETS = RawTable(
    name="widgets",
    unit="widgets",
    description="Widgets per day (a test table).",
    check_description="Widget counts are never negative.",
    schema=SCHEMA,
    parse=_parse,
    suite=_suite,
    example_columns=("widget", "count"),
    metadata=lambda df, _parsed: {"widgets": len(df)},
    may_skip=True,
)


class WidgetSource(dg.ConfigurableResource):
    archive_dir: str

    def resolve_day(self, day: str, log) -> ResolvedDay:
        return ResolvedDay(Path(self.archive_dir) / day, "archive", f"archive replay of {day}")


@pytest.fixture
def widgets(tmp_path):
    units = {"widgets": CaptureUnit("widgets", "widget_source", "widgets")}
    asset = build_raw_asset([WIDGETS], PARTITIONS, units, name="raw_widgets")
    resources = {
        "widget_source": WidgetSource(archive_dir=str(tmp_path / "archive")),
        "raw_data": RawDataConfig(raw_dir=str(tmp_path / "raw")),
    }

    def run(day: str, objects: list[dict] | None) -> dg.ExecuteInProcessResult:
        folder = tmp_path / "archive" / day
        folder.mkdir(parents=True, exist_ok=True)
        if objects is not None:
            (folder / "widgets.json").write_text(json.dumps(objects))
        return dg.materialize([asset], resources=resources, partition_key=day, raise_on_error=False)

    return asset, run, tmp_path / "raw"


def _checks(result) -> dict[str, tuple[bool, str | None]]:
    return {
        e.event_specific_data.check_name: (e.event_specific_data.passed, e.event_specific_data.severity.value)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_the_factory_gives_a_partitioned_asset_with_a_partitioned_blocking_check(widgets):
    asset, _, _ = widgets
    assert asset.keys == {raw_key("widgets")} and asset.partitions_def == PARTITIONS
    specs = {spec.name: spec for spec in asset.check_specs}
    assert specs[CHECK_NAME].blocking and not specs[AVAILABLE_CHECK].blocking
    assert specs[CHECK_NAME].partitions_def == PARTITIONS


def test_a_new_table_lands_skips_and_fails_like_the_others(widgets):
    _, run, raw = widgets
    landed = run(EARLIER, [{"widget": "a", "count": 3}, {"widget": "b", "count": 4}])
    assert landed.success
    assert wap.read_partition(raw, EARLIER, "widgets")["count"].tolist() == [3, 4]
    assert _checks(landed) == {CHECK_NAME: (True, "ERROR"), AVAILABLE_CHECK: (True, "ERROR")}

    skipped = run(DAY, None)
    assert skipped.success  # no data is not a failure, and nothing is written
    meta = skipped.get_asset_materialization_events()[0].materialization.metadata
    assert meta["skipped"].value is True and "is not there" in meta["reason"].value
    assert _checks(skipped)[AVAILABLE_CHECK] == (False, "WARN")
    assert wap.read_partition(raw, DAY, "widgets") is None

    bad = run(EARLIER, [{"widget": "a", "count": -1}, {"count": 2}])
    assert not bad.success
    assert _checks(bad)[CHECK_NAME] == (False, "ERROR")
    # The gate names the broken rule and the unreadable record; the earlier good partition stays.
    failure = next(e for e in bad.all_events if e.is_step_failure).step_failure_data.error.message
    assert "raw/widgets: Partition 2026-01-01 failed validation" in failure
    assert "widgets.json record 2: no widget name" in failure
    assert wap.read_partition(raw, EARLIER, "widgets")["count"].tolist() == [3, 4]
