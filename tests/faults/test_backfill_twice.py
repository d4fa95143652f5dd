"""Backfills: one bad day fails alone; twice gives byte-identical data; the warehouse has one writer.

``backfill_job.py`` (run by this directory's conftest, in the background without pytest-xdist) runs
``atom backfill`` over a 9-day SYNTHETIC demo archive whose 5th day has a truncated page,
twice into the same data directory. Then, on that warehouse:

* re-materializing one partition while another process holds the warehouse: the raw partition
  re-lands byte-identical; the dbt step waits for the warehouse and, when the other process does
  not let go in time, fails with a message that says what happened, having written nothing;
  when it lets go during the wait, the same command builds and every table is byte-identical;
* readers: DuckDB refuses a read-only connection while a writer holds the file;
  ``connect_warehouse`` waits for the writer (or says plainly why it cannot);
* two `atom` writers take turns on the warehouse (the second waits for the first's lock).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import re
import subprocess
import threading
import time

import duckdb
import pytest

from atom_dagster.runner import (
    WarehouseBusy,
    backfill,
    connect_warehouse,
    explain_lock_error,
    warehouse_writer_lock,
)
from atom_dagster.settings import load_settings
from tests.faults.backfill_job import BAD_DAY, BAD_PAGE, DAYS, raw_hashes, table_hashes
from tests.faults.helpers import PYTHON

REMATERIALIZED = "2026-10-08"  # a landed day of the job's range, after the broken one
HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
if sys.argv[2] == "rw":
    con.execute("begin transaction")
    con.execute("create table not_committed as select 42 as answer")  # a write in flight
print("held", flush=True)
sys.stdin.readline()
"""


@pytest.fixture(scope="module")
def warehouse(backfill_job, dbt_manifest):
    root, results = backfill_job
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    return settings, results


def _hold(settings, mode: str) -> subprocess.Popen:
    """Another process holding the warehouse: a writer mid-transaction (rw) or an open reader (ro)."""
    proc = subprocess.Popen(
        [PYTHON, "-c", HOLD, str(settings.warehouse_path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def _release(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError, ValueError):  # already released (timer and finally both call)
        proc.stdin.write("\n")
        proc.stdin.flush()
    proc.wait(30)


def test_one_bad_day_fails_alone_and_atom_backfill_exits_non_zero(warehouse):
    settings, results = warehouse
    first = results["first"]
    assert first["exit_code"] == 1
    out = first["stdout"]
    assert f"Landed partitions: {DAYS - 1}; failed: 1" in out
    [line] = [line for line in out.splitlines() if line.startswith(f"  {BAD_DAY}: ")]
    assert (
        line.startswith(f"  {BAD_DAY}: Partition {BAD_DAY}: {BAD_PAGE}: not valid JSON")
        and "truncated" in line
    )
    assert "dbt build: succeeded" in out  # the other days were built
    raw = [path for path in first["raw"] if path.startswith("hub_models/")]
    assert len(raw) == DAYS - 1 and not any(BAD_DAY in path for path in raw)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        days = con.execute("select count(distinct snapshot_date) from fct_model_downloads_daily").fetchone()[
            0
        ]
    assert days == DAYS - 1


def test_backfilling_twice_gives_byte_identical_raw_and_marts(warehouse):
    _, results = warehouse
    first, second = results["first"], results["second"]
    assert second["exit_code"] == 1 and second["stdout"].count(f"  {BAD_DAY}: ") == 1
    assert second["raw"] == first["raw"]
    assert len(first["tables"]) >= 10 and {"main.dim_models", "main.fct_model_downloads_daily"} <= set(
        first["tables"]
    )
    differing = sorted(t for t in first["tables"] if second["tables"].get(t) != first["tables"][t])
    assert differing == []
    assert set(second["tables"]) == set(first["tables"])


def test_rematerializing_while_another_process_holds_the_warehouse(warehouse):
    settings, results = warehouse
    before_tables = table_hashes(settings.warehouse_path)
    assert before_tables == results["second"]["tables"]
    before_raw = raw_hashes(settings.raw_dir)

    # Someone left a `duckdb -readonly` session open: the dbt step waits, then says why it gave up.
    reader = _hold(settings, "ro")
    said: list[str] = []
    try:
        summary = backfill(settings, [REMATERIALIZED], log=said.append, warehouse_wait=1.0)
    finally:
        _release(reader)
    assert summary.landed == [REMATERIALIZED] and raw_hashes(settings.raw_dir) == before_raw
    assert summary.dbt_succeeded is False and not summary.ok
    message = summary.dbt_message
    assert message.startswith(f"The warehouse {settings.warehouse_path} is in use by another process")
    assert f"PID {reader.pid}" in message and "pool 'duckdb'" in message and "Retry when" in message
    assert message.endswith("(waited 1 s)") and "Traceback" not in message
    assert any("waiting up to 1 s for another process to release the warehouse" in line for line in said)
    assert table_hashes(settings.warehouse_path) == before_tables  # nothing half-written

    # The same command while the other process lets go a moment later: it waits, then builds.
    reader = _hold(settings, "ro")
    threading.Timer(1.5, _release, args=(reader,)).start()
    try:
        summary = backfill(settings, [REMATERIALIZED], log=lambda _m: None, warehouse_wait=60)
    finally:
        _release(reader)
    assert summary.ok, summary.dbt_message
    assert raw_hashes(settings.raw_dir) == before_raw
    assert table_hashes(settings.warehouse_path) == before_tables  # re-materialized: byte-identical


def test_readers_wait_for_a_writer_or_get_a_clear_message(warehouse):
    settings, _ = warehouse
    writer = _hold(settings, "rw")
    try:
        # DuckDB itself: no read-only connection while another process writes the file.
        with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
            duckdb.connect(str(settings.warehouse_path), read_only=True)
        with pytest.raises(WarehouseBusy) as info:
            connect_warehouse(settings.warehouse_path, wait=0.3)
        assert str(info.value).startswith(
            f"The warehouse {settings.warehouse_path} is in use by another process"
        )
        assert f"PID {writer.pid}" in str(info.value) and "(waited 0.3 s)" in str(info.value)
        threading.Timer(1.0, _release, args=(writer,)).start()
        started = time.monotonic()
        with connect_warehouse(settings.warehouse_path, wait=30) as con:  # waits for the writer ...
            waited = time.monotonic() - started
            tables = {
                r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
            }
    finally:
        _release(writer)
    assert waited >= 0.5
    assert "dim_models" in tables and "not_committed" not in tables  # ... and sees only committed data


def _hold_writer_lock(path, seconds):
    with warehouse_writer_lock(path, log=lambda _m: None):
        time.sleep(seconds)


def test_two_atom_writers_take_turns(warehouse, tmp_path):
    target = tmp_path / "atom.duckdb"  # the turn is a lock file next to the warehouse
    lock_file = tmp_path / "atom.duckdb.writer.lock"
    child = multiprocessing.get_context("fork").Process(target=_hold_writer_lock, args=(target, 2.0))
    child.start()
    try:
        deadline = time.monotonic() + 30
        while f"PID {child.pid}" not in (lock_file.read_text() if lock_file.exists() else ""):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        busy = pytest.raises(WarehouseBusy, match=rf"is being written by atom \(PID {child.pid}\)")
        with busy, warehouse_writer_lock(target, log=lambda _m: None, timeout=0.2):
            pass
        said: list[str] = []
        started = time.monotonic()
        with warehouse_writer_lock(target, log=said.append, timeout=30):
            waited = time.monotonic() - started
    finally:
        child.join(30)
    assert child.exitcode == 0
    assert waited >= 0.5  # it waited for the other writer's turn to end
    assert len(said) == 1 and re.match(rf"waiting for atom \(PID {child.pid}\) to finish writing", said[0])


def test_dbt_losing_the_race_for_the_warehouse_is_explained():
    """The lock error of a dbt run that lost the race after the wait (seen in its log) is rewritten."""
    dbt_failure = (
        "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n`dbt build`\n\n"
        "failed with exit code `2`.\n\nErrors parsed from dbt logs:\n\nEncountered an error:\nIO Error: "
        'Could not set lock on file "/data/warehouse/atom.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs/current/connect/concurrency\n"
        "Traceback (most recent call last): ..."
    )
    message = explain_lock_error(dbt_failure)
    assert message.startswith("The warehouse /data/warehouse/atom.duckdb is in use by another process")
    assert "(/usr/bin/python3.11, PID 4242)" in message and "writes nothing" in message
    assert explain_lock_error("some other dbt error") is None
