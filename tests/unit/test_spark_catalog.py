"""A Spark build's warehouse file (views over Spark's Parquet tables) and its folders' lifetime."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from atom_dagster.spark_catalog import spark_tables, table_folder, write_catalog
from atom_dagster.warehouse import (
    SPARK_PUBLISHED,
    build_path,
    discard_build,
    publish_build,
    spark_build_dir,
    start_build,
)


def node(name: str, resource_type: str, materialized: str, alias: str | None = None) -> dict:
    return {
        "name": name,
        "alias": alias,
        "resource_type": resource_type,
        "config": {"materialized": materialized},
    }


def test_the_tables_are_the_models_and_seeds_spark_stores_as_tables():
    manifest = {
        "nodes": {
            "model.atom.dim": node("dim", "model", "table"),
            "model.atom.fct": node("fct", "model", "incremental", alias="fct_daily"),
            "seed.atom.orgs": node("orgs", "seed", "seed"),
            "model.atom.stg": node("stg", "model", "view"),
            "model.atom.eph": node("eph", "model", "ephemeral"),
            "test.atom.unique_dim": node("unique_dim", "test", "test"),
        }
    }
    assert spark_tables(manifest) == ["dim", "fct_daily", "orgs"]


def spark_table(spark_dir: Path, table: str, rows: str) -> None:
    """A table as Spark writes one: a folder of Parquet part files."""
    folder = table_folder(spark_dir, table)
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").write_text("")
    with duckdb.connect() as con:
        con.execute(f"copy ({rows}) to '{folder / 'part-00000.snappy.parquet'}' (format parquet)")


def test_the_catalog_replaces_the_copy_with_one_view_per_table(tmp_path):
    spark_dir = tmp_path / "spark" / "run-1"
    spark_table(spark_dir, "dim_models", "select 'a' as model_id, 3::decimal(38, 0) as downloads")
    spark_table(spark_dir, "empty", "select 1 as x where false")
    copy = tmp_path / "atom.duckdb.build"
    with duckdb.connect(str(copy)) as con:  # the previous warehouse's copy, a DuckDB build's table
        con.execute("create table dim_models as select 'old' as model_id")
    assert write_catalog(copy, spark_dir, ["dim_models", "empty"]) == ["dim_models", "empty"]
    with duckdb.connect(str(copy), read_only=True) as con:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
        assert kinds == {"dim_models": "VIEW", "empty": "VIEW"}
        assert con.execute("select model_id, downloads from main.dim_models").fetchall() == [("a", 3)]
        assert con.execute("select count(*) from main.empty").fetchone() == (0,)


def test_a_table_spark_did_not_write_is_named_and_the_copy_is_left(tmp_path):
    spark_dir = tmp_path / "spark" / "run-1"
    spark_table(spark_dir, "dim_models", "select 1 as x")
    table_folder(spark_dir, "metrics").mkdir(parents=True)  # a folder without Parquet
    copy = tmp_path / "atom.duckdb.build"
    copy.write_bytes(b"previous")
    with pytest.raises(
        RuntimeError, match="has no Parquet files for metrics, missing: nothing was published"
    ):
        write_catalog(copy, spark_dir, ["dim_models", "metrics", "missing"])
    assert copy.read_bytes() == b"previous"


def spark_build(warehouse: Path, run: str) -> Path:
    """A run's build: the copy, and the Spark folder its dbt wrote."""
    start_build(warehouse, owner=run)
    build_path(warehouse).write_bytes(run.encode())  # its catalog
    folder = spark_build_dir(warehouse, run)
    folder.mkdir(parents=True)
    return folder


def test_publishing_keeps_the_published_folder_and_the_one_before_it(tmp_path):
    warehouse = tmp_path / "atom.duckdb"
    first = spark_build(warehouse, "run-1")
    publish_build(warehouse)
    assert warehouse.read_bytes() == b"run-1" and (first / SPARK_PUBLISHED).exists()
    second = spark_build(warehouse, "run-2")
    publish_build(warehouse)
    assert first.is_dir() and second.is_dir()  # a reader may still hold run-1's catalog
    third = spark_build(warehouse, "run-3")
    publish_build(warehouse)
    assert not first.exists() and second.is_dir() and third.is_dir()
    assert warehouse.read_bytes() == b"run-3"


def test_a_failed_or_killed_builds_folder_goes_with_its_copy(tmp_path):
    warehouse = tmp_path / "atom.duckdb"
    published = spark_build(warehouse, "run-1")
    publish_build(warehouse)
    failed = spark_build(warehouse, "run-2")
    discard_build(warehouse)  # the run's dbt step failed
    assert not failed.exists() and published.is_dir()
    killed = spark_build(warehouse, "run-3")  # killed: nothing discarded it
    spark_build(warehouse, "run-4")  # the next build's start drops it
    assert not killed.exists() and published.is_dir()
    assert warehouse.read_bytes() == b"run-1"
