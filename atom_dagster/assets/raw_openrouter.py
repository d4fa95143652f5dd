"""Dagster assets `raw/openrouter_models` and `raw/openrouter_rankings_daily` (one capture, two tables).

One step captures (live) or reads (archive) the day's ``openrouter/`` folder, then lands each
table with the write-audit-publish pattern of ``raw/hub_models``: stage, Great Expectations,
promote only if it passes (blocking check ``raw_partition_valid``).

A table the day has no data for (rankings without an API key, or an archive day without the
file) is *skipped*: nothing is written, the previous Parquet (if any) stays, the
materialization carries ``skipped: true`` and the reason, and the non-blocking check
``source_data_available`` warns. It is still a materialization event, not a missing output,
because Dagster skips every downstream step of an output that is not produced, and the day's
dbt build must not depend on whether OpenRouter rankings were available.
"""

from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from atom_dagster.assets.gate import reject_partition, unreadable_partition
from atom_dagster.assets.raw_hub_models import RawDataConfig
from atom_dagster.assets.warehouse_metadata import markdown_table
from atom_dagster.landing import raw_hub_models as generic
from atom_dagster.landing import raw_openrouter as landing
from atom_dagster.partitions import daily_partitions
from atom_dagster.quality.inference_expectations import (
    openrouter_models_suite,
    openrouter_rankings_suite,
    validate_frame,
)
from atom_dagster.sources.archive import ArchiveError
from atom_dagster.sources.hub_source import SourceUnavailable
from atom_dagster.sources.openrouter_live import ATTRIBUTION, CaptureError
from atom_dagster.sources.openrouter_source import OpenRouterSource

RAW_OPENROUTER_MODELS = dg.AssetKey(["raw", landing.MODELS_TABLE])
RAW_OPENROUTER_RANKINGS = dg.AssetKey(["raw", landing.RANKINGS_TABLE])
CHECK_NAME = "raw_partition_valid"
AVAILABLE_CHECK = "source_data_available"
PREVIEW_ROWS = 10

_MODELS_DESCRIPTION = (
    "OpenRouter model catalogue for one day (`GET /api/v1/models?output_modalities=all`, public), "
    "landed as `raw/openrouter_models/snapshot_date=YYYY-MM-DD/data.parquet`, one row per OpenRouter "
    "model id with its `hugging_face_id` (the join to the Hub), modalities and prices. Live capture "
    "(latest partition only) or archive replay (`<archive>/<day>/openrouter/models.json`); the demo "
    "archive is SYNTHETIC. Staged, validated by Great Expectations, promoted atomically."
)
_RANKINGS_DESCRIPTION = (
    "OpenRouter daily token rankings (`GET /api/v1/datasets/rankings-daily`, needs OPENROUTER_API_KEY): "
    "the top 50 models of the UTC day by prompt + completion tokens plus one `other` row for the rest, "
    "landed as `raw/openrouter_rankings_daily/snapshot_date=YYYY-MM-DD/data.parquet`. Without a key "
    "(or when the archive day has no rankings) the partition is skipped with the reason: no data, "
    f"never zeros. {ATTRIBUTION} (CC BY 4.0); every row carries the attribution with `as of`."
)


def _spec(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=key, group_name="raw", kinds={"python", "parquet"}, owners=["team:atom"], description=description
    )


def _checks(key: dg.AssetKey, what: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            blocking=True,
            description=(
                f"Great Expectations suite on the staged partition ({what}); "
                "a failing partition is not promoted."
            ),
        ),
        dg.AssetCheckSpec(
            AVAILABLE_CHECK,
            asset=key,
            blocking=False,
            description="Warns when the source had no data for the day (skipped, not zeros) and why.",
        ),
    ]


def _capture_source(resolved, parsed: landing.OpenRouterDay) -> str:
    if resolved.live:
        return "live"
    return "demo" if parsed.synthetic else "archive"


def _skip(key: dg.AssetKey, day: str, reason: str, log) -> list[Any]:
    message = (
        f"Partition {day}: {key.to_user_string()} skipped: {reason}. "
        "Nothing was written (no data, not zeros)."
    )
    log.warning(message)
    meta = {"skipped": True, "reason": dg.MetadataValue.text(reason), "snapshot_date": day}
    return [
        dg.MaterializeResult(asset_key=key, metadata={**meta, "message": dg.MetadataValue.text(message)}),
        dg.AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=True,
            metadata=meta,
            description="Nothing to validate: the partition was skipped.",
        ),
        dg.AssetCheckResult(
            asset_key=key,
            check_name=AVAILABLE_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=meta,
            description=reason,
        ),
    ]


def _land(
    key: dg.AssetKey,
    table: str,
    day: str,
    raw_root: Path,
    frame_table,
    suite,
    example_columns: list[str],
    parsed: landing.TableParse,
    log,
) -> tuple[list[Any], str | None, Path | None]:
    """Stage, validate and promote one table; returns events, the failure message and the final path."""
    staged = generic.stage(raw_root, day, frame_table, table)
    df = frame_table.to_pandas()
    outcome = validate_frame(df, suite, example_columns, parsed.rejected, what=f"records of {parsed.file}")
    check_meta = {
        "expectations_evaluated": outcome.evaluated,
        "failures": dg.MetadataValue.json(outcome.failures),
    }
    if not outcome.passed:
        check, message = reject_partition(outcome, day, staged, CHECK_NAME, check_meta, log, asset_key=key)
        return [check], message, None
    final = generic.promote(staged, raw_root, day, table)
    return (
        [
            dg.AssetCheckResult(asset_key=key, check_name=CHECK_NAME, passed=True, metadata=check_meta),
            dg.AssetCheckResult(asset_key=key, check_name=AVAILABLE_CHECK, passed=True),
        ],
        None,
        final,
    )


def _models_metadata(df: pd.DataFrame, parsed: landing.TableParse) -> dict[str, Any]:
    open_weights = int(df["hugging_face_id"].notna().sum())
    preview = df[df["hugging_face_id"].notna()].sort_values("model_slug").head(PREVIEW_ROWS)
    cols = ["model_slug", "hugging_face_id", "context_length", "pricing_prompt"]
    return {
        "models": len(df),
        "with_hugging_face_id": open_weights,
        "without_hugging_face_id": len(df) - open_weights,
        "duplicates_collapsed": parsed.duplicates_collapsed,
        "repairs": dg.MetadataValue.json(dict(parsed.repairs)),
        "preview": dg.MetadataValue.md(markdown_table(cols, list(preview[cols].itertuples(index=False)))),
    }


def _rankings_metadata(df: pd.DataFrame, parsed: landing.TableParse) -> dict[str, Any]:
    total = int(df["total_tokens"].sum())
    other = int(df.loc[df["is_other"], "total_tokens"].sum())
    top = df.sort_values("total_tokens", ascending=False).head(PREVIEW_ROWS)
    cols = ["rank", "model_permaslug", "total_tokens"]
    return {
        "total_tokens": total,
        "other_bucket_share": round(other / total, 6) if total else 0.0,
        "as_of": str(parsed.meta.get("as_of")),
        "rows_outside_day_ignored": parsed.rows_outside_day,
        "attribution": str(df["source_attribution"].iloc[0]) if len(df) else ATTRIBUTION,
        "repairs": dg.MetadataValue.json(dict(parsed.repairs)),
        "preview": dg.MetadataValue.md(markdown_table(cols, list(top[cols].itertuples(index=False)))),
    }


def _publish(key, table_name, day, raw_root, table, suite, example_columns, parsed_part, log, metadata):
    """Land one table (validate, then promote) and say so: (events, failure message or None)."""
    events, failure, final = _land(
        key, table_name, day, raw_root, table, suite, example_columns, parsed_part, log
    )
    if failure:
        return events, failure
    done = dg.MaterializeResult(
        asset_key=key,
        metadata={"dagster/row_count": table.num_rows, **metadata, "path": dg.MetadataValue.path(str(final))},
    )
    return [done, *events], None


@dg.multi_asset(
    name="raw_openrouter",
    specs=[
        _spec(RAW_OPENROUTER_MODELS, _MODELS_DESCRIPTION),
        _spec(RAW_OPENROUTER_RANKINGS, _RANKINGS_DESCRIPTION),
    ],
    partitions_def=daily_partitions,
    check_specs=[
        *_checks(
            RAW_OPENROUTER_MODELS,
            "schema, non-null unique model id, non-negative context length, "
            "no collapse below half of the previous partition, every record readable",
        ),
        *_checks(
            RAW_OPENROUTER_RANKINGS,
            "schema, non-null unique (date, permaslug), total_tokens non-negative "
            "integers, attribution present, every record readable",
        ),
    ],
)
def raw_openrouter(
    context: dg.AssetExecutionContext, openrouter_source: OpenRouterSource, raw_data: RawDataConfig
):
    day = context.partition_key
    raw_root = Path(raw_data.raw_dir)
    try:
        resolved = openrouter_source.resolve_day(day, context.log)
        context.log.info(f"Partition {day}: reading OpenRouter from {resolved.detail}")
        parsed = landing.read_openrouter_day(resolved.day_path, day)
    except (SourceUnavailable, ArchiveError, CaptureError) as exc:
        checks, failure = unreadable_partition(
            day, exc, CHECK_NAME, (RAW_OPENROUTER_MODELS, RAW_OPENROUTER_RANKINGS)
        )
        yield from checks
        raise failure from exc

    source = _capture_source(resolved, parsed)
    common = {
        "snapshot_date": day,
        "source": source,
        "source_detail": resolved.detail,
        "synthetic": parsed.synthetic,
    }
    failures: list[str] = []

    if parsed.models is None:
        yield from _skip(
            RAW_OPENROUTER_MODELS, day, parsed.notes[0] if parsed.notes else "no catalogue", context.log
        )
    else:
        table = landing.to_arrow(parsed.models.rows, landing.RAW_OPENROUTER_MODELS_SCHEMA, source)
        previous = generic.previous_partition_rows(raw_root, day, landing.MODELS_TABLE)
        suite = openrouter_models_suite(landing.MODELS_COLUMNS, previous[1] if previous else None)
        events, failure = _publish(
            RAW_OPENROUTER_MODELS,
            landing.MODELS_TABLE,
            day,
            raw_root,
            table,
            suite,
            ["model_slug", "canonical_slug", "context_length"],
            parsed.models,
            context.log,
            {**common, **_models_metadata(table.to_pandas(), parsed.models)},
        )
        failures += [failure] if failure else []
        yield from events

    if parsed.rankings is None:
        reason = resolved.rankings_skipped or next(
            (n for n in parsed.notes if "rankings" in n), parsed.notes[0] if parsed.notes else "no rankings"
        )
        yield from _skip(RAW_OPENROUTER_RANKINGS, day, reason, context.log)
    else:
        table = landing.to_arrow(parsed.rankings.rows, landing.RAW_OPENROUTER_RANKINGS_SCHEMA, source)
        events, failure = _publish(
            RAW_OPENROUTER_RANKINGS,
            landing.RANKINGS_TABLE,
            day,
            raw_root,
            table,
            openrouter_rankings_suite(landing.RANKINGS_COLUMNS),
            ["ranking_date", "model_permaslug", "total_tokens"],
            parsed.rankings,
            context.log,
            {**common, **_rankings_metadata(table.to_pandas(), parsed.rankings)},
        )
        failures += [failure] if failure else []
        yield from events

    if failures:
        raise dg.Failure(description="\n\n".join(failures), metadata={"partition": day})
