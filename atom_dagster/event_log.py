"""Dagster's SQLite event log, with its connections kept open instead of made per event.

Dagster's stock ``SqliteEventLogStorage`` creates a SQLAlchemy engine, opens the file and disposes
of both for every statement: ~5 connections per stored event, ~16 ms an event on this machine, and
a dbt build stores over a thousand events (materializations, planned materializations, checks).
This subclass keeps one engine (with one idle pooled connection) per shard: the index shard and the
few most recent run shards, so a long-lived process that reads many runs (the UI) holds a bounded
number of open files. Storage layout and transactions are Dagster's own (each event is still one
committed transaction); the connection handling changes, and how a commit reaches the disk:

Dagster's files are in WAL mode with SQLite's default ``synchronous=FULL``, an fsync per commit:
~10 ms on this machine's disk, two commits an event (run shard and index), so ~20 s of a small
day's ~2,300 events were fsyncs. These connections use ``synchronous=NORMAL``, SQLite's
recommended setting for WAL: a commit is written to the log without an fsync (the log is synced at
checkpoints). A killed process loses nothing and the files never corrupt; a power cut or OS crash
may lose the last events before it (the raw Parquet and the warehouse keep their own fsyncs).
Whoever needs every event on disk runs Dagster on PostgreSQL (``ATOM_DAGSTER_PG_URL``).
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_SECONDS = 15  # as Dagster's storage waits on a locked file
OPEN_RUN_SHARDS = 4


def _commit_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous=NORMAL`` on a new connection (a per-connection setting; see the module doc)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that reuses one open connection per shard (bounded, LRU)."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():  # a forked child must not share the parent's files
            self._engines = OrderedDict()
            self._engines_pid = os.getpid()
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=8,  # a nested use (Dagster opens one inside another) gets its own
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            event.listen(engine, "connect", _commit_without_fsync)
        self._engines[shard] = engine  # most recently used last
        runs = [name for name in self._engines if name != "index"]
        for name in runs[:-OPEN_RUN_SHARDS]:
            self._engines.pop(name).dispose()
        return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
