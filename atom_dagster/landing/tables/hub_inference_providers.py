"""Raw table `raw/hub_inference_providers`: which inference providers serve each tracked model.

Read from the day's ``hub/model_info/*.jsonl`` objects (``GET /api/models/{id}`` with
``expand=inferenceProviderMapping``, tracked organizations' models). One row per
(model ``_id``, provider); a model whose mapping was captured and is empty gets one row with
``provider`` null, so "checked, no provider" differs from "not captured". Objects without the
field (days captured before it was requested) contribute nothing; a day where no object has
it is *no data*.

The Hub answers a dict keyed by provider on ``/api/models/{id}`` and a list of objects with a
``provider`` key on ``/api/models``; both are accepted (as huggingface_hub's ``ModelInfo`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa

from atom_dagster.assets.metadata import markdown_table
from atom_dagster.landing.parse import RecordError, check_uid, json_type, repo_id_problem, show
from atom_dagster.landing.spec import RawTable, ResolvedDay, TableParse
from atom_dagster.landing.write_audit_publish import SOURCE_COLUMN, rows_to_table
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    ArchiveError,
    iter_records,
    open_day,
)

TABLE = "hub_inference_providers"
FIELD = "inferenceProviderMapping"
PREVIEW_ROWS = 10

RAW_HUB_INFERENCE_PROVIDERS_SCHEMA = pa.schema(
    [
        ("model_uid", pa.string()),
        ("model_id", pa.string()),
        ("provider", pa.string()),
        ("provider_model_id", pa.string()),
        ("status", pa.string()),
        ("task", pa.string()),
        ("adapter", pa.string()),
        ("mapping_type", pa.string()),
        (SOURCE_COLUMN, pa.string()),
    ]
)
COLUMNS = RAW_HUB_INFERENCE_PROVIDERS_SCHEMA.names


@dataclass
class ProvidersParse:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    objects_read: int = 0
    models_checked: int = 0
    models_with_providers: int = 0
    objects_without_field: int = 0


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def provider_rows(obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The provider rows of one model object; ``None`` when the object has no mapping field."""
    if FIELD not in obj:
        return None
    mapping = obj[FIELD]
    if mapping is None:
        entries: list[tuple[Any, Any]] = []
    elif isinstance(mapping, dict):
        entries = list(mapping.items())
    elif isinstance(mapping, list):
        entries = [(item.get("provider") if isinstance(item, dict) else None, item) for item in mapping]
    else:
        raise RecordError(f"`{FIELD}` must be an object or an array, got {json_type(mapping)}")
    rows = []
    for provider, value in entries:
        if not isinstance(value, dict) or not _text(provider):
            raise RecordError(f"`{FIELD}` entry {show(provider)} has no provider name or is not an object")
        rows.append(
            {
                "provider": _text(provider),
                "provider_model_id": _text(value.get("providerId")),
                "status": _text(value.get("status")),
                "task": _text(value.get("task")),
                "adapter": _text(value.get("adapter")),
                "mapping_type": _text(value.get("type")),
            }
        )
    return sorted(rows, key=lambda r: r["provider"])


def parse_archive_day(day_path: Path) -> tuple[ProvidersParse, dict[str, Any]]:
    """Provider rows of one archived day (model_info objects), and the day's manifest."""
    day_path = Path(day_path)
    if not day_path.is_dir():
        raise ArchiveError(f"{day_path}: no archived day here (expected a directory named YYYY-MM-DD).")
    manifest = open_day(day_path)  # a day lands only when signed (archive.open_day)
    out = ProvidersParse()
    by_uid: dict[str, dict[str, Any]] = {}
    for record in iter_records(day_path, HUB_MODEL_INFO_DIR):
        out.objects_read += 1
        obj = record.obj
        where = {"file": record.file, "position": record.position}
        if not isinstance(obj, dict) or not isinstance(obj.get("_id"), str) or not obj["_id"].strip():
            out.rejected.append({**where, "reason": "model_info object without `_id`"})
            continue
        model_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        try:
            check_uid(obj["_id"], "model_info `_id`")
            if model_id is not None and (problem := repo_id_problem(model_id)) is not None:
                raise RecordError(f"`id` {show(model_id)} {problem}")
            providers = provider_rows(obj)
        except RecordError as exc:
            out.rejected.append({**where, "reason": str(exc)})
            continue
        except RecursionError:
            out.rejected.append({**where, "reason": "the object nests JSON too deeply to be read"})
            continue
        if providers is None:
            out.objects_without_field += 1
            continue
        # The same model twice in a day (two files): the later object wins, as for children counts.
        by_uid[obj["_id"]] = {"model_id": model_id, "providers": providers}
    for uid in sorted(by_uid):
        entry = by_uid[uid]
        out.models_checked += 1
        base = {"model_uid": uid, "model_id": entry["model_id"]}
        if entry["providers"]:
            out.models_with_providers += 1
            out.rows.extend({**base, **p} for p in entry["providers"])
        else:
            out.rows.append(
                {
                    **base,
                    **dict.fromkeys(
                        ("provider", "provider_model_id", "status", "task", "adapter", "mapping_type")
                    ),
                }
            )
    return out, manifest


def to_arrow(rows: list[dict[str, Any]], source: str) -> pa.Table:
    return rows_to_table(rows, RAW_HUB_INFERENCE_PROVIDERS_SCHEMA, source)


def suite(columns: list[str], _previous_rows: int | None = None):
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_hub_inference_providers",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_uid"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_id"),
            gx.expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["model_uid", "provider"], ignore_row_if="never"
            ),
        ],
    )


def parse(resolved: ResolvedDay, day: str) -> TableParse:
    parsed, manifest = parse_archive_day(resolved.path)
    skipped = None
    if parsed.models_checked == 0 and not parsed.rejected:
        skipped = (
            f"none of the {parsed.objects_read} model_info objects of {resolved.path} carries `{FIELD}` "
            "(captured before it was requested)"
            if parsed.objects_read
            else f"{resolved.path} has no hub/model_info objects"
        )
    return TableParse(
        rows=parsed.rows,
        rejected=parsed.rejected,
        skipped=skipped,
        synthetic=bool(manifest.get("synthetic", False)),
        extra=parsed,
    )


def metadata(df: pd.DataFrame, parsed: TableParse) -> dict[str, Any]:
    providers: ProvidersParse = parsed.extra
    served = df[df["provider"].notna()]
    live = served[served["status"] == "live"]
    per_provider = live.groupby("provider").size().sort_values(ascending=False).head(PREVIEW_ROWS)
    return {
        "models_checked": providers.models_checked,
        "models_with_providers": providers.models_with_providers,
        "models_with_live_provider": int(live["model_uid"].nunique()),
        "objects_without_field": providers.objects_without_field,
        "live_models_per_provider": dg.MetadataValue.md(
            markdown_table(["provider", "models"], list(per_provider.items()))
        ),
    }


RAW_TABLE = RawTable(
    name=TABLE,
    unit="hub",
    order=1,
    deps=("hub_models",),
    description=(
        "Hugging Face inference provider availability (`inferenceProviderMapping` of "
        "`GET /api/models/{id}`) for the tracked organizations' models, one row per (model `_id`, "
        "provider) per day, plus one row with a null provider for a model checked and served by none. "
        "Read from the day's archived `hub/model_info/*.jsonl` (the capture of `raw/hub_models`), "
        "landed as `raw/hub_inference_providers/snapshot_date=YYYY-MM-DD/data.parquet`; the demo "
        "archive is SYNTHETIC. Staged, validated by Great Expectations, promoted atomically."
    ),
    check_description=(
        "Great Expectations suite on the staged partition: exact schema, non-null model ids, "
        "unique (model, provider), every model_info object readable."
    ),
    schema=RAW_HUB_INFERENCE_PROVIDERS_SCHEMA,
    parse=parse,
    suite=suite,
    example_columns=("model_id", "provider", "status"),
    metadata=metadata,
    rejected_what="model_info objects",
    may_skip=True,
)
