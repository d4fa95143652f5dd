"""Raw landing of Hub inference provider availability (``inferenceProviderMapping``).

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

import pyarrow as pa

from atom_dagster.landing.parse import RecordError
from atom_dagster.landing.raw_hub_models import SOURCE_COLUMN, rows_to_table
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    ArchiveError,
    iter_records,
    read_manifest,
    verify_manifest,
)

TABLE = "hub_inference_providers"
FIELD = "inferenceProviderMapping"

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
        raise RecordError(f"`{FIELD}` must be an object or an array, got {type(mapping).__name__}")
    rows = []
    for provider, value in entries:
        if not isinstance(value, dict) or not _text(provider):
            raise RecordError(f"`{FIELD}` entry {provider!r} has no provider name or is not an object")
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
    manifest = read_manifest(day_path) or {}
    if manifest:
        verify_manifest(day_path, manifest)
    out = ProvidersParse()
    by_uid: dict[str, dict[str, Any]] = {}
    for record in iter_records(day_path, HUB_MODEL_INFO_DIR):
        out.objects_read += 1
        obj = record.obj
        where = {"file": record.file, "position": record.position}
        if not isinstance(obj, dict) or not isinstance(obj.get("_id"), str) or not obj["_id"].strip():
            out.rejected.append({**where, "reason": "model_info object without `_id`"})
            continue
        try:
            providers = provider_rows(obj)
        except RecordError as exc:
            out.rejected.append({**where, "reason": str(exc)})
            continue
        if providers is None:
            out.objects_without_field += 1
            continue
        model_id = obj.get("id") if isinstance(obj.get("id"), str) else None
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
