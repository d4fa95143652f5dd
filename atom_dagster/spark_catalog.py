"""The warehouse file of a Spark build: DuckDB views over the Parquet tables Spark wrote.

On the Spark target dbt writes each table model and seed as a Parquet folder in the Spark warehouse
(``<spark dir>/warehouse/<schema>.db/<table>/``). atom's readers (row counts in Dagster, the report,
`atom docs`) read the warehouse file with DuckDB, so a Spark build's copy of that file is made of
one view per table, ``main.<table>``, reading that folder: the same names as a DuckDB build's
tables, with Spark's values and types (sums as DECIMAL(38, 0), ``date_trunc`` as a timestamp).
dbt's views (staging) are Spark views, which DuckDB cannot read: they are not in the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

# Spark's own schema for the models (profiles.yml: ATOM_SPARK_SCHEMA, default atom).
SPARK_SCHEMA = "atom"
# Materializations stored as tables on Spark (the incremental models are tables there).
TABLE_LIKE = frozenset({"table", "incremental", "seed"})


def spark_dbt_env(spark_dir: Path) -> dict[str, str]:
    """What the profile's spark target reads: everything Spark writes goes under ``spark_dir``."""
    return {"ATOM_SPARK_DIR": str(spark_dir), "ATOM_SPARK_SCHEMA": SPARK_SCHEMA}


def spark_tables(manifest: Mapping[str, Any]) -> list[str]:
    """The names of the models and seeds Spark stores as tables, sorted."""
    return sorted(
        node.get("alias") or node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") in ("model", "seed")
        and (node.get("config") or {}).get("materialized") in TABLE_LIKE
    )


def table_folder(spark_dir: Path, table: str) -> Path:
    """Where Spark keeps ``table`` (a managed Parquet table) under ``spark_dir``."""
    return Path(spark_dir) / "warehouse" / f"{SPARK_SCHEMA}.db" / table


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_catalog(path: Path, spark_dir: Path, tables: list[str]) -> list[str]:
    """Make ``path`` a new DuckDB file of one view per table of ``tables`` over its Spark folder.

    Returns the tables; raises RuntimeError naming those Spark did not write (a build that
    passed writes every one, an empty table as one Parquet file with its columns).
    """
    path = Path(path)
    absent = [t for t in tables if not any(table_folder(spark_dir, t).glob("*.parquet"))]
    if absent:
        raise RuntimeError(
            f"The Spark build in {spark_dir} has no Parquet files for {', '.join(absent)}: "
            "nothing was published."
        )
    for stale in (path, path.with_name(path.name + ".wal")):  # the copy of the previous warehouse
        stale.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for table in tables:
            files = _quoted(str(table_folder(spark_dir, table) / "*.parquet"))
            con.execute(f'create view main."{table}" as select * from read_parquet({files})')
        con.execute("checkpoint")
    return tables
