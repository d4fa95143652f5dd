"""Raw table `raw/hub_new_models`: every model created on day D across the whole Hub, one row per `_id`.

Parsed from ``hub/new_models/*`` (pages of ``GET /api/models?sort=createdAt&direction=-1``,
:mod:`atom_dagster.sources.hub_new_models`) with the same record rules as ``raw/hub_models``
(:func:`~atom_dagster.landing.parse.parse_hub_model`). The listing is newest first and captured
early on D+1, so its pages also hold models created on D+1 (before the capture) and the first
model(s) created before D (where paging stopped): those are dropped and counted, never loaded. A
model repeated at a page boundary is one model, keyed by ``_id``.

The base model (``base_relation``, ``base_model_ids``) is what ``baseModels`` declares; a model
without ``baseModels`` falls back to its ``base_model:<relation>:<parent>`` tags. Archives without
a ``hub/new_models/`` folder (captured before the listing existed, history days) are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atom_dagster.assets.metadata import markdown_table
from atom_dagster.landing.listing import ORIGIN_COLUMNS, Listing, collapse, read_listing
from atom_dagster.landing.parse import LINEAGE_RELATIONS, MAX_COUNT, ParseReport, is_valid_repo_id
from atom_dagster.landing.spec import RawTable, ResolvedDay, TableParse
from atom_dagster.landing.write_audit_publish import (
    BATCH_ROWS,
    SOURCE_COLUMN,
    ArrowRows,
    BatchBuilder,
    row_schema,
    rows_to_table,
)
from atom_dagster.sources.archive import HUB_NEW_MODELS_DIR, open_day
from atom_dagster.sources.hub_new_models import day_bounds

TABLE = "hub_new_models"
PREVIEW_ROWS = 10
MISSING_CREATED = "missing `createdAt` (a new model is placed on its day by its creation time)"

RAW_HUB_NEW_MODELS_SCHEMA = pa.schema(
    [
        ("model_uid", pa.string()),
        ("model_id", pa.string()),
        ("namespace", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("base_relation", pa.string()),
        ("base_model_ids", pa.list_(pa.string())),
        ("downloads", pa.int64()),
        ("likes", pa.int64()),
        (SOURCE_COLUMN, pa.string()),
    ]
)
COLUMNS = RAW_HUB_NEW_MODELS_SCHEMA.names
# Raw columns taken as they are from the parsed listing rows (raw name: listing name); the rest are
# derived (derived_columns).
FROM_LISTING = {
    "model_uid": "model_uid",
    "model_id": "model_id",
    "created_at": "created_at",
    "pipeline_tag": "pipeline_tag",
    "library_name": "library_name",
    "tags": "tags",
    "downloads": "downloads_30d",
    "likes": "likes",
}
DERIVED_COLUMNS = ("namespace", "base_relation", "base_model_ids")


@dataclass
class NewModelsParse(ParseReport):
    """A day's parse of the listing: rows created on the day, plus what was dropped and why."""

    pages: int = 0
    created_before_day: int = 0  # where paging stopped (the listing is newest first)
    created_after_day: int = 0  # created on D+1 before the capture ran
    invalid_parents_dropped: int = 0


# --- pure rules -----------------------------------------------------------------------------


def declared_base(lineage: list[dict[str, Any]]) -> tuple[str | None, list[str], int]:
    """(base relation, base model ids, parents dropped) from a row's parsed ``lineage`` edges.

    The edges ``baseModels`` declared win; without them the ``base_model:<relation>:<parent>``
    tags, of the first relation found (a model derives one way). The relation is one of
    finetune|adapter|quantized|merge, else None; a parent that is not a Hub id (a local path, an
    empty string) is dropped and counted.
    """
    by_origin = {origin: [e for e in lineage if e["origin"] == origin] for origin in ("baseModels", "tag")}
    edges = by_origin["baseModels"] or by_origin["tag"]
    relation = edges[0]["relation"] if edges else None
    parents = [e["parent_id"] for e in edges if e["relation"] == relation]
    ids = list(dict.fromkeys(p for p in parents if is_valid_repo_id(p)))
    return (relation if relation in LINEAGE_RELATIONS else None), ids, len(parents) - len(ids)


def derived_columns(
    model_id: str, lineage: list[dict[str, Any]], report: NewModelsParse | None = None
) -> dict[str, Any]:
    """The raw columns a parsed listing row does not hold as they are: the namespace and the declared
    base (:func:`declared_base`; the parents it drops are counted in ``report``)."""
    relation, base_ids, dropped = declared_base(lineage)
    if report is not None:
        report.invalid_parents_dropped += dropped
    namespace = model_id.split("/", 1)[0] if "/" in model_id else None
    return {"namespace": namespace, "base_relation": relation, "base_model_ids": base_ids}


def new_models_table(rows: pa.Table, report: NewModelsParse | None = None) -> pa.Table:
    """Parsed listing rows (:func:`~atom_dagster.landing.parse.parse_hub_model`'s, as Arrow) as
    ``raw/hub_new_models`` rows without ``source``: :data:`FROM_LISTING` as they are, the rest
    from :func:`derived_columns`."""
    schema = row_schema(RAW_HUB_NEW_MODELS_SCHEMA)
    builder = BatchBuilder(pa.schema([schema.field(c) for c in DERIVED_COLUMNS]))
    for batch in rows.select(["model_id", "lineage"]).to_batches(max_chunksize=BATCH_ROWS):
        ids, lineages = batch["model_id"].to_pylist(), batch["lineage"].to_pylist()
        for model_id, lineage in zip(ids, lineages, strict=True):
            builder.add(derived_columns(model_id, lineage, report))
    derived = builder.table()
    columns = {new: rows[old] for new, old in FROM_LISTING.items()} | {c: derived[c] for c in DERIVED_COLUMNS}
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def select_day(listing: Listing, day: str, report: NewModelsParse) -> ArrowRows:
    """Raw rows of the models created on ``day``, one per ``_id``; the rest rejected or counted.

    ``listing`` holds the parsed listing rows with their (file, position). A row without
    ``createdAt`` is rejected (it cannot be placed on a day); copies of one ``_id`` collapse; a
    model created before or after the day is counted in ``report`` and dropped.
    """
    created = listing.table["created_at"]
    undated = listing.table.filter(pc.is_null(created)).select(["model_id", *ORIGIN_COLUMNS])
    for row in undated.to_pylist():
        report.rejected.append({**listing.where(row), "id": row["model_id"], "reason": MISSING_CREATED})
    dated = listing.table.filter(pc.is_valid(created)) if created.null_count else listing.table
    dated = collapse(dated, report)
    start, end = (pa.scalar(bound, created.type) for bound in day_bounds(day))
    before, after = pc.less(dated["created_at"], start), pc.greater_equal(dated["created_at"], end)
    report.created_before_day += pc.sum(before).as_py() or 0
    report.created_after_day += pc.sum(after).as_py() or 0
    return ArrowRows(new_models_table(dated.filter(pc.invert(pc.or_(before, after))), report))


# --- reading an archived day ------------------------------------------------------------------


def parse_archive_day(day_path: Path, day: str) -> tuple[NewModelsParse | None, dict[str, Any]]:
    """The day's new models from ``hub/new_models/``; None when the day has no such pages.

    Unreadable pages raise :class:`~atom_dagster.sources.archive.ArchiveError` naming the file;
    unusable records (the rules of :mod:`atom_dagster.landing.parse`, plus a missing
    ``createdAt``) are collected with file, position and reason in ``report.rejected``. An empty
    listing gives a report without records (:func:`parse` skips it).
    """
    day_path = Path(day_path)
    manifest = open_day(day_path)  # a day lands only when signed (archive.open_day)
    folder = day_path / HUB_NEW_MODELS_DIR
    pages = sorted(p.name for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    if not pages:
        return None, manifest
    report = NewModelsParse(pages=len(pages))
    report.rows = select_day(read_listing(day_path, HUB_NEW_MODELS_DIR, report), day, report)
    return report, manifest


def to_arrow(rows: Sequence[dict[str, Any]], source: str) -> pa.Table:
    """Rows from the parser as a ``raw/hub_new_models`` table."""
    return rows_to_table(rows, RAW_HUB_NEW_MODELS_SCHEMA, source)


def suite(columns: list[str], _previous_rows: int | None = None):
    """Expectations every partition meets (the day's own: :func:`day_expectations`).

    No row floor: a day's count of new models is what the Hub shows, and the listing cannot lose
    models to a shorter page the way an organization's listing can.
    """
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_hub_new_models",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_uid"),
            gx.expectations.ExpectColumnValuesToBeUnique(column="model_uid"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_id"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="created_at"),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="base_relation", value_set=list(LINEAGE_RELATIONS)
            ),
            *(
                gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=MAX_COUNT)
                for c in ("downloads", "likes")
            ),
        ],
    )


def day_expectations(day: str) -> list[Any]:
    """Every row was created on the partition day (UTC)."""
    import great_expectations as gx

    start, end = day_bounds(day)
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="created_at", min_value=start, max_value=end, strict_max=True
        )
    ]


def parse(resolved: ResolvedDay, day: str) -> TableParse:
    report, manifest = parse_archive_day(resolved.path, day)
    if report is None:
        return TableParse(
            skipped=(
                f"no {HUB_NEW_MODELS_DIR}/ pages (archives captured before the whole Hub's new models"
                " were listed, and history days, have none)"
            ),
        )
    if report.records_read == 0:
        # The Hub's newest models always fill a page: an empty listing is a capture that fetched
        # nothing, not a day without new models. Skipped (with a warning), not loaded as zero rows;
        # the day's other raw tables still land.
        empty = f"its {report.pages} {HUB_NEW_MODELS_DIR}/ page(s) hold no model (an empty listing)"
        return TableParse(skipped=empty)
    return TableParse(
        rows=report.rows,
        rejected=report.rejected,
        synthetic=bool(manifest.get("synthetic", False)),
        log_line=(
            f"Partition {day}: read {resolved.detail} ({report.pages} page files of new models): "
            f"{report.records_read} records -> {len(report.rows)} models created on {day} "
            f"({report.duplicates_collapsed} duplicates collapsed; {report.created_after_day} created after "
            f"and {report.created_before_day} before the day dropped; {len(report.rejected)} rejected)"
        ),
        extra=report,
    )


def metadata(df: pd.DataFrame, parsed: TableParse) -> dict[str, Any]:
    report: NewModelsParse = parsed.extra
    relations = Counter(r if isinstance(r, str) else "none" for r in df["base_relation"])
    bases = Counter(base for ids in df["base_model_ids"] for base in ids)
    return {
        "records_read": report.records_read,
        "page_files": report.pages,
        "duplicates_collapsed": report.duplicates_collapsed,
        "created_after_day_dropped": report.created_after_day,
        "created_before_day_dropped": report.created_before_day,
        "invalid_parents_dropped": report.invalid_parents_dropped,
        "by_relation": dg.MetadataValue.json(dict(sorted(relations.items()))),
        "top_base_models": dg.MetadataValue.md(
            markdown_table(["base model", "new models"], bases.most_common(PREVIEW_ROWS))
        ),
    }


RAW_TABLE = RawTable(
    name=TABLE,
    unit="hub",
    order=2,
    description=(
        "Every model created on the day across the whole Hugging Face Hub (third-party fine-tunes, "
        "adapters, quantizations and merges included), one row per model `_id`, with the base model "
        "its card declares. Read from the day's archived `hub/new_models/` pages (`GET /api/models` "
        "sorted by `createdAt`, newest first, captured early the next day), landed as "
        "`raw/hub_new_models/snapshot_date=YYYY-MM-DD/data.parquet`; the demo archive is SYNTHETIC. "
        "Archives without those pages (older captures, history days) are skipped. Staged, validated "
        "by Great Expectations, promoted atomically."
    ),
    check_description=(
        "Great Expectations suite on the staged partition: exact schema, non-null and unique `_id`, "
        "non-null ids and `createdAt`, every `createdAt` within the partition day (UTC), relations "
        "among finetune/adapter/quantized/merge, counts within 0 .. 10^13, and every listed record "
        "readable and within the parser's rules."
    ),
    schema=RAW_HUB_NEW_MODELS_SCHEMA,
    parse=parse,
    suite=suite,
    day_expectations=day_expectations,
    example_columns=("model_id", "created_at", "base_relation"),
    metadata=metadata,
    metadata_columns=("base_relation", "base_model_ids"),
    rejected_what="record(s)",
    rejected_as="new Hub models",
    may_skip=True,
)
