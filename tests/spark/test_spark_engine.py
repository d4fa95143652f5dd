"""atom on two engines: the same Dagster assets and dbt models, with ``ATOM_DBT_TARGET`` duckdb (the
default) or spark (dbt-spark's `session` method with a local PySpark; docs/spark.md), build the
same tables and pass the same checks.

The hand-written 4-day archive (``tests/small_archive.py``), with its inference files (OpenRouter
catalogues and rankings, the Hub's provider mappings: ``inference=True``), goes through `atom
backfill` (``runner.backfill``: landing runs, then one run of every dbt asset and the report) once
per engine, each into its own data directory. On DuckDB the warehouse file holds the tables; on
Spark it holds views over the Parquet tables Spark wrote (atom_dagster/spark_catalog.py). Every
table model and seed (marts, metrics, the incremental intermediates, which Spark builds as tables)
must hold the same rows in both, every dbt data test must pass on both (313 checks), and the
report built from each must say the same.

Normalisation before comparing (``normalise``), for type differences only:
  * integers: DuckDB's HUGEINT sums and Spark's DECIMAL(38, 0) sums are compared as Python ints
    (an integral Decimal becomes an int);
  * dates and timestamps: a date is compared as the midnight timestamp of that day and timestamps
    as naive UTC (Spark's date_trunc returns a timestamp where DuckDB's returns a date);
  * lists compare element-wise, structs as their (field, value) pairs;
  * floats (shares, medians, scores) are equal within a relative 1e-9 (math.isclose): the engines
    may add in a different order.
Rows are compared as sorted lists (sorted on all columns), with the same column names in the same
order. The dbt build times of both engines are printed (`pytest -s`) and in docs/spark.md.

Without PySpark, dbt-spark or a Java runtime the module skips and says why, unless
``ATOM_REQUIRE_SPARK=1`` (``scripts/test.sh`` as root, which installs Java): then it fails.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from atom_dagster.runner import BackfillSummary
from atom_dagster.settings import DBT_PROJECT_DIR, Settings, load_settings, spark_missing
from atom_dagster.spark_catalog import spark_tables, table_folder
from atom_dagster.warehouse import SPARK_PUBLISHED
from tests.small_archive import DAYS, write_small_archive

REQUIRE_VAR = "ATOM_REQUIRE_SPARK"
ENGINES = ("duckdb", "spark")
INFERENCE_TABLES = (
    "fct_inference_tokens_daily",
    "agg_inference_share_by_region_daily",
    "fct_model_inference_providers_daily",
    "agg_inference_providers_by_region_daily",
)
REL_TOL = 1e-9


@dataclass
class EngineRun:
    """One engine's `atom backfill` of the small archive."""

    settings: Settings
    summary: BackfillSummary
    lines: list[str]
    dbt_seconds: float  # from the "dbt build over" line to the end (the dbt steps and the report)


def engine_settings(root: Path, archive: Path, engine: str) -> Settings:
    passed = {k: os.environ[k] for k in ("PATH", "JAVA_HOME") if k in os.environ}
    return load_settings(
        {
            **passed,
            "ATOM_DATA_DIR": str(root / engine),
            "ATOM_ARCHIVE_DIR": str(archive),
            "ATOM_SOURCE": "archive",
            "ATOM_DBT_TARGET": engine,
        }
    )


def backfill_on(settings: Settings) -> EngineRun:
    from atom_dagster.runner import backfill

    lines: list[str] = []
    dbt_started: list[float] = []

    def log(line: str) -> None:
        if line.startswith("dbt build over"):
            dbt_started.append(time.monotonic())
        lines.append(line)

    summary = backfill(settings, DAYS, log=log)
    seconds = time.monotonic() - dbt_started[0] if dbt_started else float("nan")
    return EngineRun(settings, summary, lines, seconds)


@pytest.fixture(scope="module")
def tables(dbt_manifest) -> list[str]:
    """The models and seeds Spark stores as tables."""
    return spark_tables(json.loads(Path(dbt_manifest).read_text()))


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_manifest) -> dict[str, EngineRun]:
    """Each engine's backfill of the small archive (landing, dbt, report), by engine."""
    reason = spark_missing(os.environ)
    if reason is not None and os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{REQUIRE_VAR}=1 (scripts/test.sh as root), but {reason}")
    if reason is not None:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("spark")
    archive = write_small_archive(root / "archive", inference=True)
    runs = {engine: backfill_on(engine_settings(root, archive, engine)) for engine in ENGINES}
    seconds = {engine: round(run.dbt_seconds, 1) for engine, run in runs.items()}
    print(f"\ndbt steps and report on the small archive (s): {seconds}")
    for engine, run in runs.items():
        assert run.summary.ok, f"{engine}: {run.summary.failed} {run.summary.dbt_message}"
    return runs


def normalise(value):
    """A value as compared across engines (module docstring)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, list | tuple):
        return tuple(normalise(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, normalise(v)) for k, v in value.items())
    return value


def sort_key(row: tuple) -> tuple:
    """Rows sorted on every column; nulls first, floats on 9 significant digits (so that a last-digit
    difference between the engines does not reorder rows)."""
    return tuple((v is not None, f"{v:.9g}" if isinstance(v, float) else repr(v)) for v in row)


def same(left, right) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        return (
            left is not None
            and right is not None
            and math.isclose(float(left), float(right), rel_tol=REL_TOL, abs_tol=1e-12)
        )
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def read(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    return columns, sorted((tuple(normalise(v) for v in row) for row in result.fetchall()), key=sort_key)


def test_every_table_holds_the_same_rows_on_duckdb_and_spark(built, tables):
    assert {"dim_models", "fct_model_downloads_daily", "metrics_overtake", "organizations"} <= set(tables)
    differences = {}
    duck_path, spark_path = (built[e].settings.warehouse_path for e in ENGINES)
    with (
        duckdb.connect(str(duck_path), read_only=True) as duck,
        duckdb.connect(str(spark_path), read_only=True) as spark,
    ):
        # The comparison covers rows, not empty tables: the inference marts are filled too.
        for table in (*INFERENCE_TABLES, "fct_model_lineage", "metrics_derivative_shares_monthly"):
            assert spark.execute(f"select count(*) from main.{table}").fetchone()[0] > 0, table
        kinds = dict(spark.execute("select table_name, table_type from information_schema.tables").fetchall())
        assert {kinds[t] for t in tables} == {"VIEW"}  # Spark's Parquet, not a copy in the file
        for table in tables:
            columns, rows = read(duck, f"select * from main.{table}")
            spark_columns, spark_rows = read(spark, f"select * from main.{table}")
            if spark_columns != columns:
                differences[table] = f"columns: duckdb {columns}, spark {spark_columns}"
            elif len(rows) != len(spark_rows):
                differences[table] = f"{len(rows)} rows on duckdb, {len(spark_rows)} on spark"
            else:
                unequal = [(a, b) for a, b in zip(rows, spark_rows, strict=True) if not same(a, b)]
                if unequal:
                    left, right = unequal[0]
                    differences[table] = f"{len(unequal)} rows differ, e.g. duckdb {left} spark {right}"
    assert differences == {}


def build_line(run: EngineRun) -> str:
    return next(line for line in run.lines if line.startswith("dbt build: "))


def test_both_engines_pass_every_check_and_materialize_every_asset(built):
    lines = {engine: build_line(run) for engine, run in built.items()}
    assert lines["duckdb"].startswith("dbt build: succeeded (")
    assert " 0 failed)" in lines["duckdb"]
    # The same materializations (dbt models, seeds, the report) and the same checks, all passed.
    assert lines["spark"] == lines["duckdb"]


def test_the_report_says_the_same_from_either_warehouse(built, tmp_path):
    from atom_dagster.report.build import build_report

    reports = {}
    for engine, run in built.items():
        with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
            reports[engine] = build_report(con, tmp_path / engine, DAYS[-1])
    duck, spark = reports["duckdb"], reports["spark"]
    assert duck.key_numbers and spark.key_numbers == duck.key_numbers
    assert [(c.title, c.reading) for c in spark.charts] == [(c.title, c.reading) for c in duck.charts]
    assert spark.missing == duck.missing


def test_spark_keeps_its_tables_in_the_runs_folder_beside_the_warehouse(built, tables):
    """The published catalog reads one Spark folder, marked published; the metastore (Derby) and its
    log are there too, and nothing is written into the working tree."""
    settings = built["spark"].settings
    folders = list(settings.warehouse_path.with_name("atom.duckdb.spark").iterdir())
    assert len(folders) == 1 and (folders[0] / SPARK_PUBLISHED).exists()
    assert (folders[0] / "derby" / "metastore_db").is_dir()
    assert (folders[0] / "spark-jvm.log").is_file()  # the JVM's log, kept out of dbt's event stream
    for table in tables:
        assert any(table_folder(folders[0], table).glob("*.parquet")), table
    for stray in ("spark-warehouse", "metastore_db", "derby.log"):
        assert not (Path(DBT_PROJECT_DIR) / stray).exists()
        assert not (Path(DBT_PROJECT_DIR).parent / stray).exists()


def test_a_spark_run_of_some_dbt_assets_fails_before_building_and_says_what_to_run(built):
    from atom_dagster.definitions import build_definitions

    settings = built["spark"].settings
    before = settings.warehouse_path.stat().st_mtime_ns
    defs = build_definitions(settings)
    daily = dg.AssetKey(["fct_model_downloads_daily"])
    job = dg.define_asset_job("one_model", selection=[daily]).resolve(asset_graph=defs.resolve_asset_graph())
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        resources=defs.resources,
        partition_key=DAYS[-1],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
    assert "a run builds every dbt asset in one dbt process" in message
    assert "Nothing was built" in message
    assert settings.warehouse_path.stat().st_mtime_ns == before
    assert defs.resolve_asset_graph().get(daily).kinds == {"dbt", "spark"}  # the UI shows the engine
