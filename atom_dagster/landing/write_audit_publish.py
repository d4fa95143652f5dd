"""Write-audit-publish for every raw table: stage a partition, validate it, then promote or discard.

A partition is written to a staging file, validated, and only then moved into
``raw/<table>/snapshot_date=YYYY-MM-DD/data.parquet`` with one atomic rename, so a failure at any
point leaves the previous good partition in place.

On an object store (``raw_root`` an ``s3://`` URL, :mod:`atom_dagster.storage`) the staged file is
uploaded under ``raw/.staging/<table>/<day>/<attempt>/`` (which the readers' glob
``raw/<table>/*/*.parquet`` never matches) and published by one server-side copy to the
partition's key. A partition is one object and an object is replaced whole, so that copy is the
publish: readers (dbt's DuckDB, and :func:`previous_partition_rows`) see the previous object or
the new one, and a run killed before it leaves the previous partition in place for the next run
to replace.

Concurrency: staging a partition takes an exclusive lock on it (``raw/.locks/<table>/<day>.lock``)
until it is promoted or discarded, so two runs landing the same partition at once take turns
(the second waits, up to ``LOCK_TIMEOUT`` seconds) and never promote each other's half-written
file. The lock dies with its process, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import hashlib
import operator
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atom_dagster import storage
from atom_dagster.locks import FileLock, LockTimeout, acquire
from atom_dagster.storage import Location

DATA_FILE = "data.parquet"
# How long a run waits for another run landing the same partition before giving up.
LOCK_TIMEOUT = 600.0
# Every raw table says where its partition came from: live | archive | demo | history.
SOURCE_COLUMN = "source"
# Parsed rows become Arrow this many at a time (a chunk of dicts is ~25 MB at ~3 KB a model).
BATCH_ROWS = 8192


class PartitionBusy(RuntimeError):
    """Another run kept the partition's landing lock for longer than the wait allowed."""


# Locks this process holds, by staged location: staging the same partition again re-uses the lock.
_HELD: dict[str, FileLock] = {}
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


def _root(raw_root: Location) -> Location:
    return raw_root if storage.is_remote(raw_root) else Path(raw_root)


def _key(staged: Location) -> str:
    """What a held lock is filed under: the staged file, or on an object store the partition's
    staging folder (each attempt stages into a folder of its own inside it)."""
    return str(staged).rsplit("/", 2)[0] if storage.is_remote(staged) else str(Path(staged))


def partition_dir(raw_root: Location, day: str, table: str) -> Location:
    return storage.join(_root(raw_root), table, f"snapshot_date={day}")


def staging_path(raw_root: Location, day: str, table: str) -> Location:
    # Outside the table folder so dbt's glob never sees a staged file.
    return storage.join(_root(raw_root), ".staging", table, day, DATA_FILE)


def _attempt_path(raw_root: Location, day: str, table: str) -> str:
    # On an object store each attempt stages under a name of its own: a run publishes the object it
    # validated, never one another run (on another machine, which no lock reaches) put there since.
    attempt = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    return f"{str(staging_path(raw_root, day, table)).rsplit('/', 1)[0]}/{attempt}/{DATA_FILE}"


def lock_path(raw_root: Location, day: str, table: str) -> Path:
    if storage.is_remote(raw_root):
        # An object store has no lock: runs on this machine take turns through a local lock file
        # named after the URL (runs on other machines are not kept apart; docs/deploy.md).
        digest = hashlib.sha256(str(raw_root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "atom-locks" / digest / table / f"{day}.lock"
    return Path(raw_root) / ".locks" / table / f"{day}.lock"


def _acquire(raw_root: Location, day: str, table: str, staged: Location, timeout: float) -> None:
    with _HELD_GUARD:
        if _key(staged) in _HELD:
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
        _HELD[_key(staged)] = lock


def _release(staged: Location) -> None:
    with _HELD_GUARD:
        lock = _HELD.pop(_key(staged), None)
    if lock is not None:
        lock.release()


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a rename that follows survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet(table_data: pa.Table, path: Path) -> None:
    """Write ``path`` through ``<path>.tmp``, flushed to disk, and one rename: complete or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # Deterministic bytes: same input, same file (no timestamps in Parquet metadata).
    pq.write_table(table_data, tmp, compression="zstd", write_statistics=True)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())  # the bytes are on disk before any rename publishes them
    os.replace(tmp, path)


def stage(
    raw_root: Location, day: str, table_data: pa.Table, table: str, lock_timeout: float | None = None
) -> Location:
    """Write the partition to its staging file (replacing an earlier staged attempt).

    Takes the partition's landing lock (waiting for another run landing it); released by
    :func:`promote` or :func:`discard`. The staged file is complete or absent, never half written
    (on an object store: written locally, then uploaded as one object).
    """
    remote = storage.is_remote(raw_root)
    path = _attempt_path(raw_root, day, table) if remote else staging_path(raw_root, day, table)
    _acquire(raw_root, day, table, path, LOCK_TIMEOUT if lock_timeout is None else lock_timeout)
    try:
        if remote:
            # Attempts of runs killed before publishing: nothing reads them, this run replaces them.
            storage.remove_tree(_key(path))
            with tempfile.TemporaryDirectory(prefix="atom-stage-") as scratch:
                local = Path(scratch) / DATA_FILE
                _write_parquet(table_data, local)
                storage.put_file(local, str(path))
        else:
            _write_parquet(table_data, path)
    except BaseException:
        _release(path)
        raise
    return path


def promote(staged: Location, raw_root: Location, day: str, table: str) -> Location:
    """Publish a validated staged file: one atomic rename (local), one object copy (object store)."""
    try:
        final = storage.join(partition_dir(raw_root, day, table), DATA_FILE)
        if storage.is_remote(staged):
            storage.copy(str(staged), str(final))
            storage.remove_tree(str(staged).rsplit("/", 1)[0])
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
            fsync_path(final.parent)
            shutil.rmtree(Path(staged).parent, ignore_errors=True)
    finally:
        _release(staged)
    return final


def discard(staged: Location) -> None:
    """Drop a staged file that failed validation."""
    try:
        if storage.is_remote(staged):
            storage.remove_tree(str(staged).rsplit("/", 1)[0])
        else:
            shutil.rmtree(Path(staged).parent, ignore_errors=True)
    finally:
        _release(staged)


def previous_partition_rows(
    raw_root: Location, day: str, table: str, source: str | None = None
) -> tuple[str, int] | None:
    """The latest promoted partition before ``day`` and its row count (for the collapse check).

    Given the new partition's ``source``, only an earlier partition of the same kind counts:
    history days (a hub-stats snapshot, with the derivatives of tracked models) are compared with
    history days, captures (live, archive, demo: the tracked organizations' own listing) with
    captures. Otherwise the first live day after a history backfill would look like a collapse.
    """
    promoted = storage.glob(storage.join(_root(raw_root), table), f"snapshot_date=*/{DATA_FILE}")
    days = sorted(str(path).rsplit("/", 2)[-2].removeprefix("snapshot_date=") for path in promoted)
    for prev in reversed([d for d in days if d < day]):
        with storage.open_binary(storage.join(partition_dir(raw_root, prev, table), DATA_FILE)) as fh:
            parquet = pq.ParquetFile(fh)
            rows = parquet.metadata.num_rows
            if source is None or rows == 0 or _is_history(_partition_source(parquet)) == _is_history(source):
                return prev, rows
    return None


def _is_history(source: str | None) -> bool:
    return source == "history"


def _partition_source(parquet: pq.ParquetFile) -> str | None:
    """The ``source`` of a promoted partition (one label per partition; None for older files)."""
    if SOURCE_COLUMN not in parquet.schema_arrow.names or parquet.metadata.num_rows == 0:
        return None
    column = parquet.read_row_group(0, columns=[SOURCE_COLUMN]).column(0)
    return column[0].as_py() if len(column) else None


def read_partition(raw_root: Location, day: str, table: str) -> pd.DataFrame | None:
    """A promoted partition as a DataFrame, or None."""
    path = storage.join(partition_dir(raw_root, day, table), DATA_FILE)
    if not storage.exists(path):
        return None
    with storage.open_binary(path) as fh:
        return pq.read_table(fh).to_pandas()
