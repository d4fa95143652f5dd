"""kill -9 during the dbt build of `atom backfill`: readers keep the previous set, and a rerun completes.

Before: the dead run stayed STARTED holding pool `duckdb`'s slot, so every later backfill waited for
it forever, and the warehouse held some marts of the new build, some of the old, and a stray
`*__dbt_backup` table.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from atom_dagster.warehouse import build_path
from tests.faults.backfill_job import built_table_hashes as _tables
from tests.faults.backfill_job import table_hashes
from tests.faults.helpers import subprocess_env
from tests.small_archive import DAYS, write_small_archive

ATOM = [sys.executable, "-m", "atom_dagster.cli"]


def _backfill(archive: Path, data: Path, days: list[str]) -> list[str]:
    return [*ATOM, "backfill", "--archive", str(archive), "--start", days[0], "--end", days[-1],
            "--data-dir", str(data)]  # fmt: skip


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=subprocess_env())


def test_a_build_killed_half_way_publishes_nothing_and_the_rerun_completes(tmp_path):
    archive = write_small_archive(tmp_path / "archive")
    data = tmp_path / "data"
    warehouse = data / "warehouse" / "atom.duckdb"
    first = _run(_backfill(archive, data, DAYS[:-1]), 600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = _tables(warehouse)

    # The same data directory, one day more; killed (with dbt) while dbt writes its tables.
    log = tmp_path / "killed.log"
    with open(log, "w") as fh:
        victim = subprocess.Popen(
            _backfill(archive, data, DAYS),
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=subprocess_env(PYTHONUNBUFFERED="1"),
            start_new_session=True,
        )
    try:
        built = build_path(warehouse)
        deadline = time.monotonic() + 600
        # The copy exists from the dbt step's start; wait until dbt has written into it.
        while not (
            built.exists() and built.stat().st_mtime > time.time() - 1 and "dbt build over" in log.read_text()
        ):
            assert victim.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the dbt step never started"
            time.sleep(0.05)
        time.sleep(2)
        assert victim.poll() is None, "the build finished before it could be killed"
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()

    # Readers see the previous set, whole: no table of the half-done build, no dbt backup table.
    assert _tables(warehouse) == before
    assert not [name for name in before if name.endswith("__dbt_backup")]
    instance = dg.DagsterInstance.from_config(str(data / "dagster_home"))
    stuck = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert [r.dagster_run.job_name for r in stuck] == ["atom_build_marts"]

    # The rerun frees what the dead run held, completes, and publishes the whole new set.
    rerun = _run(_backfill(archive, data, DAYS), 600)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert "was left unfinished by PID" in rerun.stdout and "marked failed" in rerun.stdout
    assert not built.exists()
    fresh = tmp_path / "fresh"
    clean = _run(_backfill(archive, fresh, DAYS), 600)
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert table_hashes(warehouse) == table_hashes(fresh / "warehouse" / "atom.duckdb")
    failed = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert [r.dagster_run.run_id for r in failed] == [stuck[0].dagster_run.run_id]
