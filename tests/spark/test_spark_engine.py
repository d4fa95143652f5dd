"""The dbt project on two engines: DuckDB (target `duckdb`, the default) and Spark (target `spark`,
dbt-spark's `session` method with a local PySpark; docs/spark.md) build the same tables.

The hand-written 4-day archive (``tests/small_archive.py``), with its inference files (OpenRouter
catalogues and rankings, the Hub's provider mappings: ``inference=True``), is landed to raw Parquet
by `atom`'s landing runs (``runner.backfill`` without its dbt step); then the seeds and every model
are built by `dbt build --resource-type seed --resource-type model` once per engine from that raw
Parquet (the data tests and unit tests run on DuckDB in the rest of the suite; on Spark they would
only add minutes). Every table model (marts, metrics, the incremental intermediates, which Spark builds as
tables) must hold the same rows on both engines. Spark's tables are read from their Parquet files in
the Spark warehouse folder (a temporary folder: nothing is written to the working tree).

Normalisation before comparing (``normalise``), for type differences only:
  * integers: DuckDB's HUGEINT sums and Spark's DECIMAL(38, 0) sums are compared as Python ints
    (an integral Decimal becomes an int);
  * dates and timestamps: a date is compared as the midnight timestamp of that day and timestamps
    as naive UTC (Spark's date_trunc returns a timestamp where DuckDB's returns a date);
  * lists compare element-wise, structs as their (field, value) pairs;
  * floats (shares, medians, scores) are equal within a relative 1e-9 (math.isclose): the engines
    may add in a different order.
Rows are compared as sorted lists (sorted on all columns), with the same column names in the same
order. The build times of both engines are printed (`pytest -s`) and in docs/spark.md.

Without PySpark, dbt-spark or a Java runtime the module skips and says why, unless
``ATOM_REQUIRE_SPARK=1`` (``scripts/test.sh`` as root, which installs Java): then it fails.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
import os
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from atom_dagster.settings import DBT_PROJECT_DIR, Settings, dbt_executable, load_settings
from tests.small_archive import DAYS, write_small_archive

REQUIRE_VAR = "ATOM_REQUIRE_SPARK"
INFERENCE_TABLES = (
    "fct_inference_tokens_daily",
    "agg_inference_share_by_region_daily",
    "fct_model_inference_providers_daily",
    "agg_inference_providers_by_region_daily",
)
REL_TOL = 1e-9
SPARK_SCHEMA = "atom"


def missing_reason() -> str | None:
    """Why dbt cannot run on Spark here, or None when it can."""
    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed: pip install -e '.[spark]' (scripts/bootstrap.sh does)"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").is_file()):
        return (
            "no Java runtime for PySpark (`java` is not on PATH): install Debian's"
            " `openjdk-17-jre-headless`; scripts/test.sh does so when run as root."
        )
    return None


def run_dbt(settings: Settings, target: str, target_path: Path, spark_dir: Path) -> float:
    """`dbt build` of the seeds and models on ``target``; its wall time in seconds."""
    started = time.monotonic()
    done = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--target",
            target,
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
            "--target-path",
            str(target_path),
            "--log-path",
            str(target_path / "logs"),
            "--vars",
            json.dumps({**settings.dbt_vars(), "spark_dir": str(spark_dir)}),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**settings.child_env(), "ATOM_SPARK_SCHEMA": SPARK_SCHEMA},
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"dbt build on {target} failed:\n{done.stdout[-6000:]}"
    return elapsed


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_manifest) -> tuple[Settings, Path, list[str], dict[str, float]]:
    """(settings, Spark warehouse folder, the table models, build seconds per engine)."""
    from atom_dagster.runner import backfill

    reason = missing_reason()
    if reason is not None and os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{REQUIRE_VAR}=1 (scripts/test.sh as root), but {reason}")
    if reason is not None:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("spark")
    archive = write_small_archive(root / "archive", inference=True)
    settings = load_settings(
        {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    summary = backfill(settings, DAYS, log=lambda _m: None, build_dbt=False)
    assert summary.failed == {}, summary.failed
    settings.warehouse_path.parent.mkdir(parents=True)  # landing alone does not create it
    spark_dir = root / "spark"
    seconds = {
        engine: run_dbt(settings, engine, root / f"dbt_{engine}", spark_dir) for engine in ("duckdb", "spark")
    }
    print(f"\ndbt build (seeds and models) on the small archive: {seconds}")
    manifest = json.loads((root / "dbt_duckdb" / "manifest.json").read_text())
    tables = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] in ("table", "incremental")
    )
    return settings, spark_dir / "warehouse" / f"{SPARK_SCHEMA}.db", tables, seconds


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


def test_every_table_holds_the_same_rows_on_duckdb_and_spark(built):
    settings, spark_tables, tables, _seconds = built
    assert {"dim_models", "fct_model_downloads_daily", "metrics_overtake"} <= set(tables)
    differences = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        # The comparison covers rows, not empty tables: the inference marts are filled too.
        for table in (*INFERENCE_TABLES, "fct_model_lineage", "metrics_derivative_shares_monthly"):
            assert con.execute(f"select count(*) from main.{table}").fetchone()[0] > 0, table
        for table in tables:
            columns, rows = read(con, f"select * from main.{table}")
            folder = spark_tables / table
            spark_columns, spark_rows = read(con, f"select * from read_parquet('{folder}/*.parquet')")
            if spark_columns != columns:
                differences[table] = f"columns: duckdb {columns}, spark {spark_columns}"
            elif len(rows) != len(spark_rows):
                differences[table] = f"{len(rows)} rows on duckdb, {len(spark_rows)} on spark"
            else:
                unequal = [(a, b) for a, b in zip(rows, spark_rows, strict=True) if not same(a, b)]
                if unequal:
                    duck, spark = unequal[0]
                    differences[table] = f"{len(unequal)} rows differ, e.g. duckdb {duck} spark {spark}"
    assert differences == {}


def test_spark_writes_nothing_into_the_working_tree(built):
    """The warehouse, the metastore (Derby) and its log went to the configured Spark folder."""
    _settings, spark_tables, _tables, _seconds = built
    assert spark_tables.is_dir()
    assert (spark_tables.parents[1] / "derby" / "metastore_db").is_dir()
    for stray in ("spark-warehouse", "metastore_db", "derby.log"):
        assert not (Path(DBT_PROJECT_DIR) / stray).exists()
        assert not (Path(DBT_PROJECT_DIR).parent / stray).exists()
