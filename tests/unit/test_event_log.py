"""The pooled SQLite event log stores what Dagster's own reads back, keeps a bounded number of
files open, and is what atom's dagster.yaml configures (a user's own file is left alone)."""

import time

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from atom_dagster.event_log import OPEN_RUN_SHARDS, PooledSqliteEventLogStorage
from atom_dagster.runner import _EARLIER_CONFIG, INSTANCE_MARKER, ensure_instance_config


def _materialization(run_id: str, asset: str, value: int) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="job",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key=asset, metadata={"value": value})
        ),
    )
    return EventLogEntry(
        error_info=None,
        level="DEBUG",
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=event,
    )


def test_events_stored_through_open_connections_read_back_with_dagsters_own_storage(tmp_path):
    pooled = PooledSqliteEventLogStorage(str(tmp_path))
    for i in range(30):
        pooled.store_event(_materialization("run-a", f"asset_{i % 3}", i))
    pooled.dispose()

    stock = SqliteEventLogStorage(str(tmp_path))
    logs = stock.get_logs_for_run("run-a")
    assert [e.asset_materialization.metadata["value"].value for e in logs] == list(range(30))
    latest = stock.get_latest_materialization_events([dg.AssetKey("asset_2")])[dg.AssetKey("asset_2")]
    assert latest.asset_materialization.metadata["value"].value == 29  # the cross-run index too
    stock.dispose()


def test_open_run_shards_are_bounded_and_a_forked_child_opens_its_own(tmp_path):
    pooled = PooledSqliteEventLogStorage(str(tmp_path))
    for n in range(OPEN_RUN_SHARDS + 5):
        pooled.store_event(_materialization(f"run-{n}", "asset", n))
    runs_open = [shard for shard in pooled._engines if shard != "index"]
    assert runs_open == [f"run-{n}" for n in range(5, OPEN_RUN_SHARDS + 5)]  # the most recent ones
    assert "index" in pooled._engines

    kept = dict(pooled._engines)
    pooled._engines_pid = -1  # as seen from a child process after fork
    pooled.store_event(_materialization("run-0", "asset", 100))
    assert set(pooled._engines) == {"index", "run-0"} and pooled._engines["index"] is not kept["index"]
    for engine in kept.values():
        engine.dispose()
    assert [e.asset_materialization.metadata["value"].value for e in pooled.get_logs_for_run("run-0")] == [
        0,
        100,
    ]
    pooled.dispose()


def test_atoms_dagster_yaml_configures_the_pooled_event_log(tmp_path):
    home = tmp_path / "home"
    config = ensure_instance_config(home)
    assert config.read_text().startswith(INSTANCE_MARKER)
    instance = dg.DagsterInstance.from_config(str(home))
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    assert instance.event_log_storage._base_dir == str((home / "history" / "runs").resolve())
    instance.dispose()

    # A moved data directory: atom's own file follows it.
    moved = tmp_path / "moved"
    home.rename(moved)
    assert str(moved / "history" / "runs") in ensure_instance_config(moved).read_text()


def test_an_earlier_atom_config_is_upgraded_and_a_users_own_is_kept(tmp_path):
    earlier, own = tmp_path / "earlier", tmp_path / "own"
    earlier.mkdir()
    own.mkdir()
    (earlier / "dagster.yaml").write_text(_EARLIER_CONFIG)
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert "PooledSqliteEventLogStorage" in ensure_instance_config(earlier).read_text()
    assert ensure_instance_config(own).read_text() == "telemetry:\n  enabled: false\n"


def test_its_connections_commit_without_an_fsync_and_a_killed_writer_loses_nothing(tmp_path):
    """synchronous=NORMAL (WAL) on every pooled connection; what a process stored before it was
    killed (no dispose, no checkpoint) is read back by a fresh storage."""
    import multiprocessing
    import os
    import signal

    pooled = PooledSqliteEventLogStorage(str(tmp_path))
    pooled.store_event(_materialization("run-a", "asset", 0))
    for shard in ("index", "run-a"):
        with pooled._connect(shard) as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    pooled.dispose()

    def write_then_die() -> None:
        child = PooledSqliteEventLogStorage(str(tmp_path))
        for i in range(1, 21):
            child.store_event(_materialization("run-a", "asset", i))
        os.kill(os.getpid(), signal.SIGKILL)

    process = multiprocessing.get_context("fork").Process(target=write_then_die)
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    stock = SqliteEventLogStorage(str(tmp_path))
    logs = stock.get_logs_for_run("run-a")
    assert [e.asset_materialization.metadata["value"].value for e in logs] == list(range(21))
    stock.dispose()
