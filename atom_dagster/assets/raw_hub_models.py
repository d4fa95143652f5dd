"""Dagster asset `raw/hub_models`: one validated Parquet partition per snapshot day."""

import warnings
from pathlib import Path

import dagster as dg

from atom_dagster.assets.gate import reject_partition, unreadable_partition
from atom_dagster.assets.warehouse_metadata import markdown_table
from atom_dagster.landing import raw_hub_models as landing
from atom_dagster.partitions import daily_partitions
from atom_dagster.quality.raw_expectations import validate_raw_hub_models
from atom_dagster.sources.archive import ArchiveError
from atom_dagster.sources.hub_source import HubSnapshotSource, SourceUnavailable

RAW_HUB_MODELS = dg.AssetKey(["raw", "hub_models"])
CHECK_NAME = "raw_partition_valid"
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = ["model_id", "downloads_all_time", "downloads_30d", "pipeline_tag", "name_params_b"]


# Partitioned like the asset, so each day's result shows on that day in the UI (without it,
# Dagster records one unpartitioned result and marks the day's planned check "skipped").
# partitions_def on a check is a preview feature of dagster 1.13 (pinned); keep its warning quiet.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)
    RAW_CHECK = dg.AssetCheckSpec(
        CHECK_NAME,
        asset=RAW_HUB_MODELS,
        blocking=True,
        partitions_def=daily_partitions,
        description=(
            "Great Expectations suite on the staged partition: exact schema, non-null and "
            "unique `_id`, non-null ids, no negative counts, row count not collapsing below "
            "half of the previous partition, and every archived record readable."
        ),
    )


class RawDataConfig(dg.ConfigurableResource):
    """Where raw Parquet partitions live (``$ATOM_DATA_DIR/raw``)."""

    raw_dir: str


@dg.asset(
    key=RAW_HUB_MODELS,
    partitions_def=daily_partitions,
    group_name="raw",
    kinds={"python", "parquet"},
    owners=["team:atom"],
    output_required=False,
    description=(
        "Hugging Face Hub model metadata for one day (end-of-day state), landed as "
        "`raw/hub_models/snapshot_date=YYYY-MM-DD/data.parquet`, one row per model `_id`. "
        "Source is configuration: the live Hub (latest partition only) or a recorded snapshot "
        "archive; the demo archive is SYNTHETIC data. A partition is written to a staging file, "
        "validated by Great Expectations, and promoted atomically only if it passes."
    ),
    check_specs=[RAW_CHECK],
)
def raw_hub_models(context: dg.AssetExecutionContext, hub_source: HubSnapshotSource, raw_data: RawDataConfig):
    day = context.partition_key
    raw_root = Path(raw_data.raw_dir)
    try:
        resolved = hub_source.resolve_day(day, context.log)
        pages = sum(1 for page in (resolved.path / "hub" / "models").glob("*") if page.is_file())
        context.log.info(f"Partition {day}: reading {resolved.detail} ({pages} page files of models)")
        report, manifest = landing.parse_archive_day(resolved.path)
    except (SourceUnavailable, ArchiveError) as exc:
        checks, failure = unreadable_partition(day, exc, CHECK_NAME)
        yield from checks
        raise failure from exc
    context.log.info(
        f"Partition {day}: parsed {report.records_read} records -> {len(report.rows)} models "
        f"({report.duplicates_collapsed} duplicates collapsed, {len(report.rejected)} rejected)"
    )
    table = landing.to_arrow(report.rows, resolved.capture_source)
    staged = landing.stage(raw_root, day, table)
    df = table.to_pandas()
    previous = landing.previous_partition_rows(raw_root, day, source=resolved.capture_source)
    outcome = validate_raw_hub_models(
        df, landing.COLUMNS, previous_rows=previous[1] if previous else None, rejected=report.rejected
    )
    check_meta = {
        "expectations_evaluated": outcome.evaluated,
        "failures": dg.MetadataValue.json(outcome.failures),
        "previous_partition": previous[0] if previous else "none",
        "previous_rows": previous[1] if previous else 0,
    }
    if not outcome.passed:
        check, message = reject_partition(outcome, day, staged, CHECK_NAME, check_meta, context.log)
        yield check
        raise dg.Failure(description=message, metadata={"partition": day})
    final = landing.promote(staged, raw_root, day)
    created = df["created_at"].dropna()
    top = df.sort_values("downloads_all_time", ascending=False).head(PREVIEW_ROWS)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(df),
            "snapshot_date": day,
            "source": resolved.capture_source,
            "source_detail": resolved.detail,
            "synthetic": bool(manifest.get("synthetic", False)),
            "records_read": report.records_read,
            "duplicates_collapsed": report.duplicates_collapsed,
            "duplicate_conflicts": report.duplicate_conflicts,
            "repairs": dg.MetadataValue.json(dict(report.repairs)),
            "created_at_range": f"{created.min():%Y-%m-%d} .. {created.max():%Y-%m-%d}"
            if len(created)
            else "n/a",
            "downloads_all_time_total": int(df["downloads_all_time"].sum()),
            "path": dg.MetadataValue.path(str(final)),
            "preview": dg.MetadataValue.md(
                markdown_table(PREVIEW_COLUMNS, list(top[PREVIEW_COLUMNS].itertuples(index=False)))
            ),
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_NAME,
        passed=True,
        metadata=check_meta,
        description=f"Partition {day}: all {outcome.evaluated} expectations passed on {len(df)} models.",
    )
