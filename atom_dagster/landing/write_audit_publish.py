"""Write-audit-publish for every raw table: stage a partition, validate it, then promote or discard.

A partition is written to a staging file, validated, and only then moved into
``raw/<table>/snapshot_date=YYYY-MM-DD/data.parquet`` with one atomic rename, so a failure at any
point leaves the previous good partition in place.

Concurrency: staging a partition takes an exclusive lock on it (``raw/.locks/<table>/<day>.lock``)
until it is promoted or discarded, so two runs landing the same partition at once take turns
(the second waits, up to ``LOCK_TIMEOUT`` seconds) and never promote each other's half-written
file. The lock dies with its process, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import operator
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atom_dagster.locks import FileLock, LockTimeout, acquire

DATA_FILE = "data.parquet"
# How long a run waits for another run landing the same partition before giving up.
LOCK_TIMEOUT = 600.0
# Every raw table says where its partition came from: live | archive | demo | history.
SOURCE_COLUMN = "source"
# Parsed rows become Arrow this many at a time (a chunk of dicts is ~25 MB at ~3 KB a model).
BATCH_ROWS = 8192


class PartitionBusy(RuntimeError):
    """Another run kept the partition's landing lock for longer than the wait allowed."""


# Locks this process holds, by staged path: staging the same partition again re-uses the lock.
_HELD: dict[Path, FileLock] = {}
_HELD_GUARD = threading.Lock()


def row_schema(schema: pa.Schema) -> pa.Schema:
    """A raw table's schema without the ``source`` column: what a parser's rows hold."""
    return schema.remove(schema.get_field_index(SOURCE_COLUMN)) if SOURCE_COLUMN in schema.names else schema


def rows_to_batch(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Parsed rows (dicts; a missing key is null) as a record batch of ``schema``."""
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    return pa.RecordBatch.from_pydict(columns, schema=schema)


class BatchBuilder:
    """Rows added one at a time, held as Arrow: every :data:`BATCH_ROWS` dicts become a record batch."""

    def __init__(self, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> None:
        self.schema = schema
        self.batch_rows = batch_rows
        self._rows: list[dict[str, Any]] = []
        self._batches: list[pa.RecordBatch] = []

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._batches.append(rows_to_batch(self._rows, self.schema))
            self._rows = []

    def table(self) -> pa.Table:
        """Every row added so far, in order."""
        self._flush()
        return pa.Table.from_batches(self._batches, self.schema)


class ArrowRows(Sequence[dict[str, Any]]):
    """A parse's rows held as an Arrow table (a fraction of their size as dicts), read as dicts on demand.

    :func:`rows_to_table` takes the table as it is; indexing and iterating convert rows back (for
    tests and small days, not the landing's path).
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = operator.index(index) + (len(self) if index < 0 else 0)
        if not 0 <= position < len(self):
            raise IndexError(f"row {index} of {len(self)}")
        return self.table.slice(position, 1).to_pylist()[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.table.to_batches(max_chunksize=BATCH_ROWS):
            yield from batch.to_pylist()


def rows_to_table(rows: Sequence[dict[str, Any]], schema: pa.Schema, source: str) -> pa.Table:
    """Parsed rows as a table with a raw table's fixed schema (stable across days), every row
    labelled with where the partition came from (the ``source`` column).

    ``rows`` are dicts (a missing key is null) or :class:`ArrowRows`, whose columns are taken as
    they are (no copy).
    """
    if isinstance(rows, ArrowRows):
        data = rows.table
    else:
        data = pa.Table.from_batches([rows_to_batch(rows, row_schema(schema))])
    label = pa.repeat(pa.scalar(source, pa.string()), data.num_rows)
    return pa.Table.from_arrays(
        [label if name == SOURCE_COLUMN else data[name] for name in schema.names], schema=schema
    )


def partition_dir(raw_root: Path, day: str, table: str) -> Path:
    return Path(raw_root) / table / f"snapshot_date={day}"


def staging_path(raw_root: Path, day: str, table: str) -> Path:
    # Outside the table folder so dbt's glob never sees a staged file.
    return Path(raw_root) / ".staging" / table / day / DATA_FILE


def lock_path(raw_root: Path, day: str, table: str) -> Path:
    return Path(raw_root) / ".locks" / table / f"{day}.lock"


def _acquire(raw_root: Path, day: str, table: str, staged: Path, timeout: float) -> None:
    with _HELD_GUARD:
        if staged in _HELD:
            return
    path = lock_path(raw_root, day, table)
    try:
        lock = acquire(path, f"pid {os.getpid()}", timeout)
    except LockTimeout as busy:
        raise PartitionBusy(
            f"Partition {day} of raw/{table} is being landed by another run ({busy.holder}) and its"
            f" lock {path} was not released within {timeout:g} s; nothing was written."
            " Retry when it finishes."
        ) from None
    with _HELD_GUARD:
        _HELD[staged] = lock


def _release(staged: Path) -> None:
    with _HELD_GUARD:
        lock = _HELD.pop(Path(staged), None)
    if lock is not None:
        lock.release()


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a rename that follows survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(
    raw_root: Path, day: str, table_data: pa.Table, table: str, lock_timeout: float | None = None
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


def promote(staged: Path, raw_root: Path, day: str, table: str) -> Path:
    """Move a validated staged file into place with one atomic rename."""
    try:
        final_dir = partition_dir(raw_root, day, table)
        final_dir.mkdir(parents=True, exist_ok=True)
        final = final_dir / DATA_FILE
        os.replace(staged, final)
        fsync_path(final_dir)
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
    raw_root: Path, day: str, table: str, source: str | None = None
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


def read_partition(raw_root: Path, day: str, table: str) -> pd.DataFrame | None:
    """A promoted partition as a DataFrame, or None."""
    path = partition_dir(raw_root, day, table) / DATA_FILE
    return pq.read_table(path).to_pandas() if path.exists() else None
