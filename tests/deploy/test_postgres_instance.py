"""Dagster's instance on PostgreSQL: `atom backfill`'s runs stored by dagster-postgres, read back.

A real PostgreSQL server (Debian's binaries, ``local_postgres.py``) starts on 127.0.0.1 for this
module, with a new database that ``ATOM_DAGSTER_PG_URL`` points atom at (given to the settings
only, as from ``.env``: the process environment does not have it). Two archive days go through
`atom backfill`'s landing runs (``runner.backfill`` without the dbt build): the first lands; the
second, the bad-input corpus's ``row_count_collapses`` (2 models after 6), fails its blocking
Great Expectations check. A fresh ``DagsterInstance`` in another DAGSTER_HOME, whose dagster.yaml
is atom's and names the variable (as under `atom ui`), then reads both runs back from PostgreSQL:
their partitions and outcomes, the materialization, both check evaluations. The server is stopped
at the end whatever happened. Without PostgreSQL's binaries the module skips and says why,
unless ``ATOM_REQUIRE_POSTGRES=1`` (``scripts/test.sh`` as root): then it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from atom_dagster.assets.raw_tables import raw_key
from atom_dagster.jobs import LAND_RAW_JOB
from atom_dagster.landing.tables import hub_models
from atom_dagster.runner import BackfillSummary, RunLog, backfill, ensure_instance_config
from atom_dagster.settings import DAGSTER_PG_URL_VAR, Settings, load_settings
from tests.deploy.local_postgres import REQUIRE_VAR, LocalPostgres, missing_reason, postgres_bin_dir
from tests.faults.corpus import CASES, GOOD_ROWS, resign, write_good_day
from tests.faults.helpers import fast_dir

GOOD_DAY, BAD_DAY = "2026-10-01", "2026-10-02"
DATABASE = "atom_dagster"
RAW_HUB_MODELS = raw_key(hub_models.TABLE)
CHECK = dg.AssetCheckKey(RAW_HUB_MODELS, "raw_partition_valid")
CHECKED = "ASSET_CHECK_EVALUATION"


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    bin_dir = postgres_bin_dir()
    reason = missing_reason(bin_dir)
    if reason is not None and os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{REQUIRE_VAR}=1 (scripts/test.sh as root), but {reason}")
    if reason is not None:
        pytest.skip(reason)
    root = fast_dir("postgres")
    server = LocalPostgres(bin_dir, root)
    try:
        server.start()
        server.create_database(DATABASE)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def backfilled(postgres, dbt_manifest) -> Iterator[tuple[Settings, BackfillSummary, list[str], Path]]:
    """(settings, summary, printed lines, the command's log file) of the two days' landing runs."""
    root = fast_dir("postgres-data")
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
            DAGSTER_PG_URL_VAR: postgres.url(DATABASE),
        }
    )
    for day in (GOOD_DAY, BAD_DAY):
        write_good_day(settings.archive_dir, day)
    collapse = next(case for case in CASES if case.name == "row_count_collapses")
    collapse.mutate(settings.archive_dir / BAD_DAY)
    resign(settings.archive_dir / BAD_DAY)
    assert not os.environ.get(DAGSTER_PG_URL_VAR)  # the settings have it, the environment not
    lines: list[str] = []
    run_log = RunLog(settings.log_dir, "backfill")
    summary = backfill(settings, [GOOD_DAY, BAD_DAY], log=lines.append, build_dbt=False, run_log=run_log)
    yield settings, summary, lines, run_log.path
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def fresh_instance(postgres, backfilled) -> Iterator[dg.DagsterInstance]:
    """A new instance on the same database, from atom's dagster.yaml in an empty DAGSTER_HOME, the
    URL in the environment variable that file names (what `atom ui` gives `dagster dev`)."""
    settings = backfilled[0]
    home = settings.data_dir.parent / "other_dagster_home"
    ensure_instance_config(home, postgres=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DAGSTER_PG_URL_VAR, settings.dagster_pg_url)
        instance = dg.DagsterInstance.from_config(str(home))
        yield instance
        instance.dispose()


def test_the_good_day_lands_and_the_bad_day_fails_its_check(backfilled):
    _, summary, lines, _ = backfilled
    assert summary.landed == [GOOD_DAY]
    assert "expect_table_row_count_to_be_between: observed 2" in summary.failed[BAD_DAY]
    assert any(line.startswith(f"[1/2] raw/hub_models {GOOD_DAY}: {GOOD_ROWS} models") for line in lines)


def test_a_fresh_instance_reads_the_runs_and_partitions_back_from_postgres(fresh_instance):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    assert isinstance(fresh_instance.run_storage, PostgresRunStorage)
    assert isinstance(fresh_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(fresh_instance.schedule_storage, PostgresScheduleStorage)
    runs = fresh_instance.get_runs(filters=dg.RunsFilter(job_name=LAND_RAW_JOB))
    assert {run.tags["dagster/partition"]: run.status for run in runs} == {
        GOOD_DAY: dg.DagsterRunStatus.SUCCESS,
        BAD_DAY: dg.DagsterRunStatus.FAILURE,
    }


def test_the_materialization_and_the_failed_check_are_read_back(fresh_instance):
    assert fresh_instance.get_materialized_partitions(RAW_HUB_MODELS) == {GOOD_DAY}
    event = fresh_instance.get_latest_materialization_event(RAW_HUB_MODELS)
    assert event.dagster_event.partition == GOOD_DAY
    assert event.asset_materialization.metadata["dagster/row_count"].value == GOOD_ROWS
    history = fresh_instance.event_log_storage.get_asset_check_execution_history(CHECK, limit=10)
    evaluations = {record.partition: record.event.dagster_event.event_specific_data for record in history}
    assert {day: evaluation.passed for day, evaluation in evaluations.items()} == {
        GOOD_DAY: True,
        BAD_DAY: False,
    }
    failed = " ".join(str(value.value) for value in evaluations[BAD_DAY].metadata.values())
    assert "expect_table_row_count_to_be_between" in failed


def test_the_runs_are_in_postgres_tables_not_sqlite_files(postgres, backfilled):
    import psycopg2

    settings = backfilled[0]
    conn = psycopg2.connect(postgres.url(DATABASE))
    try:
        with conn.cursor() as cursor:
            cursor.execute("select count(*) from runs")
            assert cursor.fetchone()[0] == 2
            cursor.execute("select count(*) from event_logs where dagster_event_type = %s", [CHECKED])
            assert cursor.fetchone()[0] >= 2
    finally:
        conn.close()
    assert not [p for p in settings.dagster_home.rglob("*") if p.suffix in (".db", ".sqlite")]


def test_the_password_is_in_no_file_and_no_line(postgres, backfilled):
    settings, summary, lines, log_path = backfilled
    password = postgres.password
    assert log_path.stat().st_size > 0
    config = (settings.dagster_home / "dagster.yaml").read_text()
    assert f"env: {DAGSTER_PG_URL_VAR}" in config and "default_limit: 1" in config
    written = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert [p for p in written if password.encode() in p.read_bytes()] == []
    assert password not in "\n".join([*lines, *summary.failed.values(), repr(settings)])
    assert settings.dagster_storage == f"PostgreSQL postgresql+psycopg2://atom:***@127.0.0.1:{postgres.port}/{DATABASE}"
