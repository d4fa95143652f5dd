"""Metadata tables for the Dagster UI: Markdown previews, and row counts of dbt materializations.

dagster-dbt's own `fetch_row_counts()` opens the warehouse in the Dagster process while dbt
still runs and keeps that connection, which DuckDB (one writer per file) turns into lock
errors for every later reader. We read once, through the read-only warehouse resource, after
the dbt process has exited.
"""

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

PREVIEW_ROWS = 5


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    """A small Markdown table (Dagster renders it in the materialization metadata)."""
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return header + "".join("| " + " | ".join(str(v) for v in row) + " |\n" for row in rows)


def _stats(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Any]:
    count = con.execute(f"select count(*) from {relation}").fetchone()[0]
    cursor = con.execute(f"select * from {relation} limit {PREVIEW_ROWS}")
    columns = [d[0] for d in cursor.description]
    return {
        "dagster/row_count": int(count),
        "preview": dg.MetadataValue.md(markdown_table(columns, cursor.fetchall())),
    }


def with_table_stats(
    events: Iterable[Any], warehouse: DuckDBResource, manifest: Mapping[str, Any]
) -> Iterator[Any]:
    """Yield dbt events, adding row count and a preview to each table/seed output.

    Views are not counted: counting one computes it over all its input (a staging view reads every
    raw partition), a cost that would grow with history on every build.
    """
    events = list(events)  # dbt has finished (and released its lock) once this returns
    nodes = manifest.get("nodes", {})
    if not Path(warehouse.database).exists():
        yield from events
        return
    with warehouse.get_connection() as con:
        for event in events:
            unique_id = event.metadata.get("unique_id") if isinstance(event, dg.Output) else None
            node = nodes.get(getattr(unique_id, "value", unique_id), {})
            relation = node.get("relation_name")
            if relation and (node.get("config") or {}).get("materialized") != "view":
                # An ephemeral or failed model has no table to describe.
                with contextlib.suppress(duckdb.Error):
                    event = event.with_metadata({**event.metadata, **_stats(con, relation)})
            yield event
