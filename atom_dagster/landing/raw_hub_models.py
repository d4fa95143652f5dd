"""Raw landing of Hub models: archive day -> typed table -> staged Parquet -> promoted partition.

Write-audit-publish: a partition is written to a staging file, validated, and only then moved
into ``raw/hub_models/snapshot_date=YYYY-MM-DD/data.parquet`` with one atomic rename, so a
failure at any point leaves the previous good partition in place.

Concurrency: staging a partition takes an exclusive lock on it (``raw/.locks/<table>/<day>.lock``)
until it is promoted or discarded, so two runs landing the same partition at once take turns
(the second waits, up to ``LOCK_TIMEOUT`` seconds) and never promote each other's half-written
file. The lock dies with its process, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

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
# How long a run waits for another run landing the same partition before giving up.
LOCK_TIMEOUT = 600.0
_LOCK_POLL = 0.05
# Hub counters the marts cannot do without: a record lacking one is rejected, not loaded as null.
REQUIRED_COUNTS = {"downloads_all_time": "downloadsAllTime"}
COUNT_SOURCES = {"downloads_30d": "downloads", "downloads_all_time": "downloadsAllTime", "likes": "likes"}

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

# Every raw table says where its partition came from: live | archive | demo | history.
SOURCE_COLUMN = "source"

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
        (SOURCE_COLUMN, pa.string()),
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
    origin: dict[int, tuple[str, int]] = {}  # id(row) -> (file, position), for messages
    for record in iter_records(day_path, HUB_MODELS_DIR):
        report.records_read += 1
        try:
            row = parse_hub_model(record.obj, report.repairs)
        except RecordError as exc:
            model_id = record.obj.get("id") if isinstance(record.obj, dict) else None
            entry = {"file": record.file, "position": record.position, "reason": str(exc)}
            if isinstance(model_id, str) and model_id:
                entry["id"] = model_id
            report.rejected.append(entry)
            continue
        origin[id(row)] = (record.file, record.position)
        parsed.append(row)
    if report.records_read == 0:
        pages = [p.name for p in sorted((day_path / HUB_MODELS_DIR).glob("*")) if p.is_file()]
        what = f"its {len(pages)} page file(s) hold no model" if pages else "it has no page files"
        raise ArchiveError(
            f"{day_path}: an empty day: {what} under {HUB_MODELS_DIR}/ (a capture that fetched nothing"
            " is not a day without models)."
        )
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
    for row in report.rows:
        file, position = origin[id(row)]
        for column, field_name in COUNT_SOURCES.items():
            value = row.get(column)
            reason = None
            if value is None and column in REQUIRED_COUNTS:
                reason = f"missing `{field_name}` (the daily-downloads marts need it; never loaded as null)"
            elif value is not None and value < 0:
                reason = f"`{field_name}` is negative ({value}); Hub counters are never below 0"
            if reason:
                report.rejected.append(
                    {"file": file, "position": position, "id": row["model_id"], "reason": reason}
                )
        # Kept in raw with parent_valid = false; fct_model_lineage drops the edge and
        # agg_lineage_rejections counts it. Counted here so the partition's metadata shows it.
        dropped = sum(1 for edge in row["lineage"] if not edge["parent_valid"])
        if dropped:
            report.repairs["lineage_invalid_parent_dropped"] += dropped
    return report, manifest


def rows_to_table(rows: list[dict[str, Any]], schema: pa.Schema, source: str) -> pa.Table:
    """Parsed rows as a table with a raw table's fixed schema (stable across days), every row
    labelled with where the partition came from (the ``source`` column)."""
    columns = {name: [row.get(name) for row in rows] for name in schema.names if name != SOURCE_COLUMN}
    columns[SOURCE_COLUMN] = [source] * len(rows)
    return pa.Table.from_pydict(columns, schema=schema)


def to_arrow(rows: list[dict], source: str) -> pa.Table:
    """Rows from the parser as a ``raw/hub_models`` table."""
    return rows_to_table(rows, RAW_HUB_MODELS_SCHEMA, source)


def partition_dir(raw_root: Path, day: str, table: str = TABLE) -> Path:
    return Path(raw_root) / table / f"snapshot_date={day}"


def staging_path(raw_root: Path, day: str, table: str = TABLE) -> Path:
    # Outside the table folder so dbt's glob never sees a staged file.
    return Path(raw_root) / ".staging" / table / day / DATA_FILE


class PartitionBusy(RuntimeError):
    """Another run kept the partition's landing lock for longer than the wait allowed."""


# Locks this process holds, by staged path: staging the same partition again re-uses the lock.
_HELD: dict[Path, object] = {}
_HELD_GUARD = threading.Lock()


def lock_path(raw_root: Path, day: str, table: str = TABLE) -> Path:
    return Path(raw_root) / ".locks" / table / f"{day}.lock"


def _acquire(raw_root: Path, day: str, table: str, staged: Path, timeout: float) -> None:
    with _HELD_GUARD:
        if staged in _HELD:
            return
    path = lock_path(raw_root, day, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 -- held until promote/discard (or process exit)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                handle.close()
                raise PartitionBusy(
                    f"Partition {day} of raw/{table} is being landed by another run ({holder}) and its"
                    f" lock {path} was not released within {timeout:g} s; nothing was written."
                    " Retry when it finishes."
                ) from None
            time.sleep(_LOCK_POLL)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    with _HELD_GUARD:
        _HELD[staged] = handle


def _release(staged: Path) -> None:
    with _HELD_GUARD:
        handle = _HELD.pop(Path(staged), None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(
    raw_root: Path, day: str, table_data: pa.Table, table: str = TABLE, lock_timeout: float | None = None
) -> Path:
    """Write the partition to its staging file (replacing an earlier staged attempt).

    Takes the partition's landing lock (waiting for another run landing it); released by
    :func:`promote` or :func:`discard`. The staged file is complete or absent, never half written.
    """
    path = staging_path(raw_root, day, table)
    _acquire(raw_root, day, table, path, LOCK_TIMEOUT if lock_timeout is None else lock_timeout)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        # Deterministic bytes: same input, same file (no timestamps in Parquet metadata).
        pq.write_table(table_data, tmp, compression="zstd", write_statistics=True)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())  # the bytes are on disk before any rename publishes them
        os.replace(tmp, path)
    except BaseException:
        _release(path)
        raise
    return path


def promote(staged: Path, raw_root: Path, day: str, table: str = TABLE) -> Path:
    """Move a validated staged file into place with one atomic rename."""
    try:
        final_dir = partition_dir(raw_root, day, table)
        final_dir.mkdir(parents=True, exist_ok=True)
        final = final_dir / DATA_FILE
        os.replace(staged, final)
        _fsync_dir(final_dir)
        shutil.rmtree(staged.parent, ignore_errors=True)
    finally:
        _release(staged)
    return final


def discard(staged: Path) -> None:
    """Drop a staged file that failed validation."""
    try:
        shutil.rmtree(Path(staged).parent, ignore_errors=True)
    finally:
        _release(Path(staged))


def previous_partition_rows(
    raw_root: Path, day: str, table: str = TABLE, source: str | None = None
) -> tuple[str, int] | None:
    """The latest promoted partition before ``day`` and its row count (for the collapse check).

    Given the new partition's ``source``, only an earlier partition of the same kind counts:
    history days (a hub-stats snapshot, with the derivatives of tracked models) are compared with
    history days, captures (live, archive, demo: the tracked organizations' own listing) with
    captures. Otherwise the first live day after a history backfill would look like a collapse.
    """
    base = Path(raw_root) / table
    if not base.is_dir():
        return None
    days = sorted(
        p.name.removeprefix("snapshot_date=")
        for p in base.iterdir()
        if p.name.startswith("snapshot_date=") and (p / DATA_FILE).exists()
    )
    for prev in reversed([d for d in days if d < day]):
        path = partition_dir(raw_root, prev, table) / DATA_FILE
        rows = pq.ParquetFile(path).metadata.num_rows
        if source is None or rows == 0 or _is_history(_partition_source(path)) == _is_history(source):
            return prev, rows
    return None


def _is_history(source: str | None) -> bool:
    return source == "history"


def _partition_source(path: Path) -> str | None:
    """The ``source`` of a promoted partition (one label per partition; None for older files)."""
    if SOURCE_COLUMN not in pq.ParquetFile(path).schema_arrow.names:
        return None
    column = pq.read_table(path, columns=[SOURCE_COLUMN]).column(0)
    return column[0].as_py() if len(column) else None


def read_partition(raw_root: Path, day: str, table: str = TABLE) -> pd.DataFrame | None:
    """A promoted partition as a DataFrame, or None."""
    path = partition_dir(raw_root, day, table) / DATA_FILE
    return pq.read_table(path).to_pandas() if path.exists() else None
