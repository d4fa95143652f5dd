"""Raw table `raw/hub_models`: one row per model `_id` per day, from the archived Hub listing pages.

Parsed from ``hub/models/*`` (``GET /api/models`` objects; the same model on several pages is one
model, keyed by ``_id``) with children counts from ``hub/model_info/*`` (``GET /api/models/{id}``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atom_dagster.assets.metadata import markdown_table
from atom_dagster.landing.listing import (
    HUB_MODEL_ROW_SCHEMA,
    ORIGIN_COLUMNS,
    TOO_DEEP,
    Listing,
    collapse,
    invalid_parents,
    merge_model_info,
    read_listing,
    without_origin,
)
from atom_dagster.landing.parse import (
    MAX_COUNT,
    ParseReport,
    RecordError,
    check_uid,
    children_counts,
)
from atom_dagster.landing.spec import RawTable, ResolvedDay, TableParse
from atom_dagster.landing.write_audit_publish import SOURCE_COLUMN, ArrowRows, rows_to_table
from atom_dagster.quality.gate import max_rows_for, min_rows_for
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    HUB_MODELS_DIR,
    ArchiveError,
    iter_records,
    open_day,
)

TABLE = "hub_models"
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = ["model_id", "downloads_all_time", "downloads_30d", "pipeline_tag", "name_params_b"]
# Hub counters the marts cannot do without: a record lacking one is rejected, not loaded as null.
REQUIRED_COUNTS = {"downloads_all_time": "downloadsAllTime"}
# A history day from before `downloadsAllTime` existed (manifest `history.downloads_basis`): its
# only download figure is the 30-day rolling count, which the marts estimate monthly downloads from.
ROLLING_30D_BASIS = "estimated_rolling_30d"
REQUIRED_COUNTS_ROLLING_30D = {"downloads_30d": "downloads"}
COUNT_SOURCES = {"downloads_30d": "downloads", "downloads_all_time": "downloadsAllTime", "likes": "likes"}
COUNT_COLUMNS = tuple(COUNT_SOURCES)

RAW_HUB_MODELS_SCHEMA = HUB_MODEL_ROW_SCHEMA.append(pa.field(SOURCE_COLUMN, pa.string()))
COLUMNS = RAW_HUB_MODELS_SCHEMA.names


def parse_archive_day(day_path: Path) -> tuple[ParseReport, dict]:
    """Read one archived day into a :class:`ParseReport`; returns it with the day's manifest.

    Unreadable files raise :class:`ArchiveError`; unusable records (every rule of
    :mod:`atom_dagster.landing.parse`: types, id grammar, count and date bounds) are collected in
    ``report.rejected`` with file, position and reason (the quality gate fails on them). The rows
    (``report.rows``) are held as Arrow (:class:`ArrowRows`), sorted by ``_id``.
    """
    day_path = Path(day_path)
    if not day_path.is_dir():
        raise ArchiveError(f"{day_path}: no archived day here (expected a directory named YYYY-MM-DD).")
    manifest = open_day(day_path)  # a day lands only when signed (archive.open_day)
    report = ParseReport()
    listing = read_listing(day_path, HUB_MODELS_DIR, report)
    if report.records_read == 0:
        pages = [p.name for p in sorted((day_path / HUB_MODELS_DIR).glob("*")) if p.is_file()]
        what = f"its {len(pages)} page file(s) hold no model" if pages else "it has no page files"
        raise ArchiveError(
            f"{day_path}: an empty day: {what} under {HUB_MODELS_DIR}/ (a capture that fetched nothing"
            " is not a day without models)."
        )
    infos = read_model_info(day_path, report)
    # Rebound: the listing as read is freed once its collapsed copy exists.
    listing = Listing(merge_model_info(collapse(listing.table, report), infos), listing.files)
    report.rejected += count_rejections(listing, required_counts(manifest))
    # Kept in raw with parent_valid = false; fct_model_lineage drops the edge and
    # agg_lineage_rejections counts it. Counted here so the partition's metadata shows it.
    dropped = invalid_parents(listing.table)
    if dropped:
        report.repairs["lineage_invalid_parent_dropped"] += dropped
    report.rows = ArrowRows(without_origin(listing.table))
    return report, manifest


def read_model_info(day_path: Path, report: ParseReport) -> dict[str, dict]:
    """The day's ``GET /api/models/{id}`` objects by ``_id`` (a later one wins); unusable ones are
    rejected in ``report`` (their children counts are checked here, merged later)."""
    infos: dict[str, dict] = {}
    for record in iter_records(day_path, HUB_MODEL_INFO_DIR):
        obj = record.obj
        where = {"file": record.file, "position": record.position}
        if not isinstance(obj, dict) or not isinstance(obj.get("_id"), str):
            report.rejected.append({**where, "reason": "model_info object without `_id`"})
            continue
        try:
            check_uid(obj["_id"], "model_info `_id`")
            children_counts(obj.get("childrenModelCount"))  # merged later: its numbers are checked here
        except (RecordError, RecursionError) as exc:
            reason = TOO_DEEP if isinstance(exc, RecursionError) else str(exc)
            report.rejected.append({**where, "reason": reason})
            continue
        infos[obj["_id"]] = obj
    return infos


def count_problem(column: str, value: int | None, required: dict[str, str]) -> str | None:
    """Why a row's counter ``column`` cannot be loaded on a day whose required counters are
    ``required`` (:func:`required_counts`), or None."""
    field_name = COUNT_SOURCES[column]
    if value is None and column in required:
        return f"missing `{field_name}` (the daily-downloads marts need it; never loaded as null)"
    if value is not None and column not in required and column in REQUIRED_COUNTS:
        return (
            f"`{field_name}` on a day the manifest says has none (downloads_basis"
            f" {ROLLING_30D_BASIS}): the day's counters are not of one kind"
        )
    if value is not None and value < 0:
        return f"`{field_name}` is negative ({value}); Hub counters are never below 0"
    return None


def _count_suspects(table: pa.Table, required: dict[str, str]) -> pa.ChunkedArray:
    """Rows for which :func:`count_problem` may give a reason (the same cases, as Arrow masks)."""
    masks = []
    for column in COUNT_SOURCES:
        values = table[column]
        if column in required:
            masks.append(pc.is_null(values))
        elif column in REQUIRED_COUNTS:
            masks.append(pc.is_valid(values))
        masks.append(pc.fill_null(pc.less(values, 0), False))
    return functools.reduce(pc.or_, masks)


def count_rejections(listing: Listing, required: dict[str, str]) -> list[dict[str, Any]]:
    """Every counter of the listing's rows that cannot be loaded, row by row in table order."""
    table = listing.table
    columns = ["model_id", *COUNT_SOURCES, *ORIGIN_COLUMNS]
    suspects = table.filter(_count_suspects(table, required)).select(columns).to_pylist()
    return [
        {**listing.where(row), "id": row["model_id"], "reason": reason}
        for row in suspects
        for column in COUNT_SOURCES
        if (reason := count_problem(column, row[column], required))
    ]


def required_counts(manifest: dict) -> dict[str, str]:
    """The counters every record of the day must have (raw column -> Hub field): ``downloadsAllTime``,
    or on a history day of the era before it (``history.downloads_basis``) the rolling ``downloads``."""
    history = manifest.get("history") or {}
    return (
        REQUIRED_COUNTS_ROLLING_30D
        if history.get("downloads_basis") == ROLLING_30D_BASIS
        else REQUIRED_COUNTS
    )


def to_arrow(rows: Sequence[dict[str, Any]], source: str) -> pa.Table:
    """Rows from the parser as a ``raw/hub_models`` table."""
    return rows_to_table(rows, RAW_HUB_MODELS_SCHEMA, source)


def build_suite(columns: list[str], min_rows: int, max_rows: int | None = None):
    """The expectations every raw Hub partition must meet.

    Rows: at least ``min_rows`` (:func:`~atom_dagster.quality.gate.min_rows_for`: half the previous
    partition) and, when the previous partition of the same kind is known, at most ``max_rows``
    (:func:`~atom_dagster.quality.gate.max_rows_for`: 10x it + 1,000). Counts: 0 .. 10^13 (the
    parser refuses beyond the bound already; checked again on the staged table).
    """
    import great_expectations as gx

    rows = {"min_value": max(min_rows, 1)} | ({"max_value": max_rows} if max_rows is not None else {})
    expectations = [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
        gx.expectations.ExpectTableRowCountToBeBetween(**rows),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="model_uid"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="model_id"),
        gx.expectations.ExpectColumnValuesToBeUnique(column="model_uid"),
        # Every row has a download figure: the cumulative counter or, on a history day from before
        # it existed, the 30-day rolling count (the parser enforces which one the day must have).
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="downloads_30d", row_condition="downloads_all_time.isnull()", condition_parser="pandas"
        ),
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=MAX_COUNT)
        for c in COUNT_COLUMNS
    ]
    return gx.ExpectationSuite(name="raw_hub_models", expectations=expectations)


def suite(columns: list[str], previous_rows: int | None):
    return build_suite(columns, min_rows_for(previous_rows), max_rows_for(previous_rows))


def parse(resolved: ResolvedDay, day: str) -> TableParse:
    pages = sum(1 for page in (resolved.path / HUB_MODELS_DIR).glob("*") if page.is_file())
    report, manifest = parse_archive_day(resolved.path)
    return TableParse(
        rows=report.rows,
        rejected=report.rejected,
        synthetic=bool(manifest.get("synthetic", False)),
        log_line=(
            f"Partition {day}: read {resolved.detail} ({pages} page files of models): "
            f"{report.records_read} records -> {len(report.rows)} models "
            f"({report.duplicates_collapsed} duplicates collapsed, {len(report.rejected)} rejected)"
        ),
        extra=report,
    )


def metadata(df: pd.DataFrame, parsed: TableParse) -> dict[str, Any]:
    report: ParseReport = parsed.extra
    created = df["created_at"].dropna()
    top = df.sort_values("downloads_all_time", ascending=False).head(PREVIEW_ROWS)
    return {
        "records_read": report.records_read,
        "duplicates_collapsed": report.duplicates_collapsed,
        "duplicate_conflicts": report.duplicate_conflicts,
        "repairs": dg.MetadataValue.json(dict(report.repairs)),
        "created_at_range": f"{created.min():%Y-%m-%d} .. {created.max():%Y-%m-%d}"
        if len(created)
        else "n/a",
        "downloads_all_time_total": int(df["downloads_all_time"].sum()),
        "preview": dg.MetadataValue.md(
            markdown_table(PREVIEW_COLUMNS, list(top[PREVIEW_COLUMNS].itertuples(index=False)))
        ),
    }


RAW_TABLE = RawTable(
    name=TABLE,
    unit="hub",
    order=0,
    description=(
        "Hugging Face Hub model metadata for one day (end-of-day state), landed as "
        "`raw/hub_models/snapshot_date=YYYY-MM-DD/data.parquet`, one row per model `_id`. "
        "Source is configuration: the live Hub (latest partition only) or a recorded snapshot "
        "archive; the demo archive is SYNTHETIC data. A partition is written to a staging file, "
        "validated by Great Expectations, and promoted atomically only if it passes."
    ),
    check_description=(
        "Great Expectations suite on the staged partition: exact schema, non-null and "
        "unique `_id`, non-null ids, counts within 0 .. 10^13, row count not collapsing below "
        "half of the previous partition nor growing beyond 10x it + 1,000, and every archived "
        "record readable and within the parser's rules (types, id grammar, count and date bounds)."
    ),
    schema=RAW_HUB_MODELS_SCHEMA,
    parse=parse,
    suite=suite,
    example_columns=("model_uid", "model_id", "downloads_all_time"),
    metadata=metadata,
    metadata_columns=("created_at", *PREVIEW_COLUMNS),
    rejected_what="record(s)",
    rejected_as="Hub models",
    compare_with_previous=True,
)
