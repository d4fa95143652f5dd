"""What a raw table is: one declaration (:class:`RawTable`) per table, read by the asset factory.

A raw table is landed from one *capture unit* (the Hub, OpenRouter): the unit's source resolves
the partition day to an archived day folder once (capturing it live if configured), and every
table of the unit parses its part of that folder. Adding a table is one new file in
``atom_dagster/landing/tables/`` declaring a ``RawTable`` (plus its dbt staging model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa


@dataclass(frozen=True)
class ResolvedDay:
    """An archived day ready to parse, and how it got there."""

    path: Path
    capture_source: str  # live | archive | demo | history
    detail: str
    # Facts of the capture a replay cannot see (e.g. why a live capture skipped a request).
    notes: dict[str, str] = field(default_factory=dict, compare=False)
    # Parses shared by the tables of one unit (one file parsed once per day).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def live(self) -> bool:
        return self.capture_source == "live"

    @property
    def day_path(self) -> Path:
        return self.path

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per resolved day and key."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


@dataclass
class TableParse:
    """One table's rows for a day, the records that could not be used, and what to report."""

    # Dicts, or (large tables) write_audit_publish.ArrowRows: the rows held as Arrow.
    rows: Sequence[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None  # the day has no data for this table: why (nothing is written)
    source: str | None = None  # overrides the resolved day's capture_source label
    synthetic: bool = False
    rejected_what: str | None = None  # what the rejected items are, for the gate's message
    log_line: str | None = None  # progress line after parsing
    extra: Any = None  # the table's own parse result, for its metadata function


@dataclass(frozen=True)
class RawTable:
    """A raw table, declared once: schema, parse, Great Expectations suite, how it is reported."""

    name: str  # asset raw/<name>, files raw/<name>/snapshot_date=YYYY-MM-DD/data.parquet
    unit: str  # the capture unit whose resolved day it parses: "hub" | "openrouter"
    description: str
    check_description: str
    schema: pa.Schema
    parse: Callable[[ResolvedDay, str], TableParse]  # (resolved day, partition day)
    # (columns, rows of the previous partition of the same kind or None) -> ExpectationSuite
    suite: Callable[[list[str], int | None], Any]
    example_columns: tuple[str, ...]
    metadata: Callable[[pd.DataFrame, TableParse], dict[str, Any]]
    rejected_what: str = "records"
    rejected_as: str | None = None
    compare_with_previous: bool = False  # the suite's row floor depends on the previous partition
    may_skip: bool = False  # a day may have no data: non-blocking check `source_data_available`
    deps: tuple[str, ...] = ()  # other raw tables it is read after (live: they capture the day)
    # partition day -> expectations added to the suite that depend on the day (e.g. created on it)
    day_expectations: Callable[[str], list[Any]] | None = None
    order: int = 0  # position within its unit
    # The columns ``metadata`` reads (None: every column); only these are converted to pandas for it.
    metadata_columns: tuple[str, ...] | None = None

    @property
    def columns(self) -> list[str]:
        return self.schema.names

    def metadata_frame(self, data: pa.Table) -> pd.DataFrame:
        """The staged partition as ``metadata`` reads it: its :attr:`metadata_columns` as a DataFrame."""
        columns = data.column_names if self.metadata_columns is None else list(self.metadata_columns)
        return data.select(columns).to_pandas()


@dataclass(frozen=True)
class CaptureUnit:
    """A source whose resolved day feeds some raw tables (one Dagster step per unit and day)."""

    name: str
    resource_key: str  # the Dagster resource with ``resolve_day(day, log) -> ResolvedDay``
    description: str
