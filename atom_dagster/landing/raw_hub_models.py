"""Raw landing of Hub models: archive day -> typed table -> staged Parquet -> promoted partition.

Write-audit-publish: a partition is written to a staging file, validated, and only then moved
into ``raw/hub_models/snapshot_date=YYYY-MM-DD/data.parquet`` with one atomic rename, so a
failure at any point leaves the previous good partition in place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atom_dagster.landing.parse import (
    ParseReport,
    RecordError,
    collapse_duplicates,
    merge_model_info,
    parse_hub_model,
)
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    HUB_MODELS_DIR,
    ArchiveError,
    iter_records,
    read_manifest,
    verify_manifest,
)

TABLE = "hub_models"
DATA_FILE = "data.parquet"

LINEAGE_TYPE = pa.list_(
    pa.struct(
        [
            ("relation", pa.string()),
            ("parent_id", pa.string()),
            ("origin", pa.string()),
            ("parent_valid", pa.bool_()),
            ("reject_reason", pa.string()),
        ]
    )
)

RAW_HUB_MODELS_SCHEMA = pa.schema(
    [
        ("model_uid", pa.string()),
        ("model_id", pa.string()),
        ("author", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("last_modified", pa.timestamp("us", tz="UTC")),
        ("downloads_30d", pa.int64()),
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("gated", pa.string()),
        ("license", pa.string()),
        ("safetensors_total", pa.int64()),
        ("gguf_total", pa.int64()),
        ("name_params_b", pa.float64()),
        ("lineage", LINEAGE_TYPE),
        ("children_finetune", pa.int64()),
        ("children_adapter", pa.int64()),
        ("children_quantized", pa.int64()),
        ("children_merge", pa.int64()),
        ("children_total", pa.int64()),
        ("capture_source", pa.string()),
    ]
)
COLUMNS = RAW_HUB_MODELS_SCHEMA.names


def parse_archive_day(day_path: Path) -> tuple[ParseReport, dict]:
    """Read one archived day into a :class:`ParseReport`; returns it with the day's manifest.

    Unreadable files raise :class:`ArchiveError`; unusable records are collected in
    ``report.rejected`` with file, position and reason (the quality gate fails on them).
    """
    day_path = Path(day_path)
    if not day_path.is_dir():
        raise ArchiveError(f"{day_path}: no archived day here (expected a directory named YYYY-MM-DD).")
    manifest = read_manifest(day_path) or {}
    if manifest:
        verify_manifest(day_path, manifest)
    report = ParseReport()
    parsed: list[dict] = []
    for record in iter_records(day_path, HUB_MODELS_DIR):
        report.records_read += 1
        try:
            parsed.append(parse_hub_model(record.obj, report.repairs))
        except RecordError as exc:
            report.rejected.append({"file": record.file, "position": record.position, "reason": str(exc)})
    infos: dict[str, dict] = {}
    for record in iter_records(day_path, HUB_MODEL_INFO_DIR):
        obj = record.obj
        if isinstance(obj, dict) and isinstance(obj.get("_id"), str):
            infos[obj["_id"]] = obj
        else:
            report.rejected.append(
                {
                    "file": record.file,
                    "position": record.position,
                    "reason": "model_info object without `_id`",
                }
            )
    report.rows = collapse_duplicates(parsed, report)
    merge_model_info(report.rows, infos)
    return report, manifest


def to_arrow(rows: list[dict], capture_source: str) -> pa.Table:
    """Rows from the parser as a table with the fixed raw schema (stable across days)."""
    columns = {name: [row.get(name) for row in rows] for name in COLUMNS if name != "capture_source"}
    columns["capture_source"] = [capture_source] * len(rows)
    return pa.Table.from_pydict(columns, schema=RAW_HUB_MODELS_SCHEMA)


def partition_dir(raw_root: Path, day: str, table: str = TABLE) -> Path:
    return Path(raw_root) / table / f"snapshot_date={day}"


def staging_path(raw_root: Path, day: str, table: str = TABLE) -> Path:
    # Outside the table folder so dbt's glob never sees a staged file.
    return Path(raw_root) / ".staging" / table / day / DATA_FILE


def stage(raw_root: Path, day: str, table_data: pa.Table, table: str = TABLE) -> Path:
    """Write the partition to its staging file (replacing an earlier staged attempt)."""
    path = staging_path(raw_root, day, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Deterministic bytes: same input, same file (no timestamps in Parquet metadata).
    pq.write_table(table_data, path, compression="zstd", write_statistics=True)
    return path


def promote(staged: Path, raw_root: Path, day: str, table: str = TABLE) -> Path:
    """Move a validated staged file into place with one atomic rename."""
    final_dir = partition_dir(raw_root, day, table)
    final_dir.mkdir(parents=True, exist_ok=True)
    final = final_dir / DATA_FILE
    os.replace(staged, final)
    shutil.rmtree(staged.parent, ignore_errors=True)
    return final


def discard(staged: Path) -> None:
    """Drop a staged file that failed validation."""
    shutil.rmtree(Path(staged).parent, ignore_errors=True)


def previous_partition_rows(raw_root: Path, day: str, table: str = TABLE) -> tuple[str, int] | None:
    """The latest promoted partition before ``day`` and its row count (for the collapse check)."""
    base = Path(raw_root) / table
    if not base.is_dir():
        return None
    days = sorted(
        p.name.removeprefix("snapshot_date=")
        for p in base.iterdir()
        if p.name.startswith("snapshot_date=") and (p / DATA_FILE).exists()
    )
    earlier = [d for d in days if d < day]
    if not earlier:
        return None
    prev = earlier[-1]
    return prev, pq.ParquetFile(partition_dir(raw_root, prev, table) / DATA_FILE).metadata.num_rows


def read_partition(raw_root: Path, day: str, table: str = TABLE) -> pd.DataFrame | None:
    """A promoted partition as a DataFrame, or None."""
    path = partition_dir(raw_root, day, table) / DATA_FILE
    return pq.read_table(path).to_pandas() if path.exists() else None
