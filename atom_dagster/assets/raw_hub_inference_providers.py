"""Dagster asset `raw/hub_inference_providers`: which inference providers serve each tracked model.

Parsed from the same archived day as `raw/hub_models` (``hub/model_info/*.jsonl``, the
``inferenceProviderMapping`` field), so it runs after it: in live mode that asset is the one
that captures the day. Days whose objects lack the field (captured before it was requested)
are skipped with the reason (no data, not "no providers").
"""

from pathlib import Path

import dagster as dg

from atom_dagster.assets.gate import reject_partition, unreadable_partition
from atom_dagster.assets.raw_hub_models import RAW_HUB_MODELS, RawDataConfig
from atom_dagster.assets.warehouse_metadata import markdown_table
from atom_dagster.landing import raw_hub_inference_providers as landing
from atom_dagster.landing import raw_hub_models as generic
from atom_dagster.partitions import daily_partitions
from atom_dagster.quality.inference_expectations import hub_inference_providers_suite, validate_frame
from atom_dagster.settings import SOURCE_LIVE
from atom_dagster.sources.archive import ArchiveError, day_dir, replay_label
from atom_dagster.sources.hub_source import HubSnapshotSource

RAW_HUB_INFERENCE_PROVIDERS = dg.AssetKey(["raw", landing.TABLE])
CHECK_NAME = "raw_partition_valid"
AVAILABLE_CHECK = "source_data_available"
PREVIEW_ROWS = 10


@dg.asset(
    key=RAW_HUB_INFERENCE_PROVIDERS,
    deps=[RAW_HUB_MODELS],
    partitions_def=daily_partitions,
    group_name="raw",
    kinds={"python", "parquet"},
    owners=["team:atom"],
    description=(
        "Hugging Face inference provider availability (`inferenceProviderMapping` of "
        "`GET /api/models/{id}`) for the tracked organizations' models, one row per (model `_id`, "
        "provider) per day, plus one row with a null provider for a model checked and served by none. "
        "Read from the day's archived `hub/model_info/*.jsonl` (the capture of `raw/hub_models`), "
        "landed as `raw/hub_inference_providers/snapshot_date=YYYY-MM-DD/data.parquet`; the demo "
        "archive is SYNTHETIC. Staged, validated by Great Expectations, promoted atomically."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=RAW_HUB_INFERENCE_PROVIDERS,
            blocking=True,
            description=(
                "Great Expectations suite on the staged partition: exact schema, non-null model ids, "
                "unique (model, provider), every model_info object readable."
            ),
        ),
        dg.AssetCheckSpec(
            AVAILABLE_CHECK,
            asset=RAW_HUB_INFERENCE_PROVIDERS,
            blocking=False,
            description="Warns when no model_info object of the day has the provider mapping (skipped).",
        ),
    ],
)
def raw_hub_inference_providers(
    context: dg.AssetExecutionContext, hub_source: HubSnapshotSource, raw_data: RawDataConfig
):
    day = context.partition_key
    raw_root = Path(raw_data.raw_dir)
    path = day_dir(Path(hub_source.archive_dir), day)
    try:
        parsed, manifest = landing.parse_archive_day(path)
    except ArchiveError as exc:
        checks, failure = unreadable_partition(day, exc, CHECK_NAME)
        yield from checks
        raise failure from exc
    live_now = hub_source.mode == SOURCE_LIVE and manifest.get("source") == "live"
    source = "live" if live_now else replay_label(manifest)

    if parsed.models_checked == 0 and not parsed.rejected:
        reason = (
            f"none of the {parsed.objects_read} model_info objects of {path} carries `{landing.FIELD}` "
            "(captured before it was requested)"
            if parsed.objects_read
            else f"{path} has no hub/model_info objects"
        )
        message = f"Partition {day}: raw/{landing.TABLE} skipped: {reason}. Nothing was written (no data)."
        context.log.warning(message)
        meta = {"skipped": True, "reason": dg.MetadataValue.text(reason), "snapshot_date": day}
        yield dg.MaterializeResult(metadata={**meta, "message": dg.MetadataValue.text(message)})
        yield dg.AssetCheckResult(
            check_name=CHECK_NAME,
            passed=True,
            metadata=meta,
            description="Nothing to validate: the partition was skipped.",
        )
        yield dg.AssetCheckResult(
            check_name=AVAILABLE_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=meta,
            description=reason,
        )
        return

    table = landing.to_arrow(parsed.rows, source)
    staged = generic.stage(raw_root, day, table, landing.TABLE)
    df = table.to_pandas()
    outcome = validate_frame(
        df,
        hub_inference_providers_suite(landing.COLUMNS),
        ["model_id", "provider", "status"],
        parsed.rejected,
        what="model_info objects",
    )
    check_meta = {
        "expectations_evaluated": outcome.evaluated,
        "failures": dg.MetadataValue.json(outcome.failures),
    }
    if not outcome.passed:
        check, message = reject_partition(outcome, day, staged, CHECK_NAME, check_meta, context.log)
        yield check
        raise dg.Failure(description=message, metadata={"partition": day})
    final = generic.promote(staged, raw_root, day, landing.TABLE)
    served = df[df["provider"].notna()]
    live = served[served["status"] == "live"]
    per_provider = live.groupby("provider").size().sort_values(ascending=False).head(PREVIEW_ROWS)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(df),
            "snapshot_date": day,
            "source": source,
            "synthetic": bool(manifest.get("synthetic", False)),
            "models_checked": parsed.models_checked,
            "models_with_providers": parsed.models_with_providers,
            "models_with_live_provider": int(live["model_uid"].nunique()),
            "objects_without_field": parsed.objects_without_field,
            "path": dg.MetadataValue.path(str(final)),
            "live_models_per_provider": dg.MetadataValue.md(
                markdown_table(["provider", "models"], list(per_provider.items()))
            ),
        }
    )
    yield dg.AssetCheckResult(check_name=CHECK_NAME, passed=True, metadata=check_meta)
    yield dg.AssetCheckResult(check_name=AVAILABLE_CHECK, passed=True)
