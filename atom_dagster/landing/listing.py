"""A day's Hub listing pages (``GET /api/models`` objects) parsed into Arrow, never held as dicts.

Shared by the raw tables read from listing pages (``hub/models``, ``hub/new_models``). The rules
are :mod:`atom_dagster.landing.parse`'s; this module only changes where the rows live. Each chunk
of parsed rows becomes an Arrow record batch at once (a model is ~3 KB as a Python dict, ~0.5 KB
as an Arrow row), so a day's memory is its Arrow table, not a million dicts. The copies of one
``_id`` are found with Arrow and only those go back through
:func:`~atom_dagster.landing.parse.collapse_duplicates`; every row keeps the file and position it
came from (two small integer columns) for the messages that name a record.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from atom_dagster.landing.parse import (
    LINEAGE_RELATIONS,
    ParseReport,
    RecordError,
    children_counts,
    collapse_duplicates,
    display_id,
    parse_hub_model,
)
from atom_dagster.landing.write_audit_publish import BatchBuilder
from atom_dagster.sources.archive import iter_records

# A record whose JSON nests deeper than Python's recursion limit allows cannot be parsed: rejected.
TOO_DEEP = "the record nests JSON too deeply to be read (a Hub model object is a few levels deep)"

LINEAGE_TYPE = pa.list_(
    pa.struct(
        [
            ("relation", pa.string()),
            ("parent_id", pa.string()),
            ("origin", pa.string()),
            ("parent_valid", pa.bool_()),
            ("reject_reason", pa.string()),
        ]
    )
)
CHILDREN_COLUMNS = (*(f"children_{r}" for r in LINEAGE_RELATIONS), "children_total")

# One parsed model (parse_hub_model's row), in raw/hub_models' column order.
HUB_MODEL_ROW_SCHEMA = pa.schema(
    [
        ("model_uid", pa.string()),
        ("model_id", pa.string()),
        ("author", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("last_modified", pa.timestamp("us", tz="UTC")),
        ("downloads_30d", pa.int64()),
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("gated", pa.string()),
        ("license", pa.string()),
        ("safetensors_total", pa.int64()),
        ("gguf_total", pa.int64()),
        ("name_params_b", pa.float64()),
        ("lineage", LINEAGE_TYPE),
        *((column, pa.int64()) for column in CHILDREN_COLUMNS),
    ]
)
# Where each row was read: the page (an index into Listing.files) and the record's position in it.
FILE_COLUMN = "_file"
POSITION_COLUMN = "_position"
ORIGIN_COLUMNS = (FILE_COLUMN, POSITION_COLUMN)
LISTING_SCHEMA = HUB_MODEL_ROW_SCHEMA.append(pa.field(FILE_COLUMN, pa.int32())).append(
    pa.field(POSITION_COLUMN, pa.int64())
)
# What collapse_duplicates reads of a copy (its key, the values compared and the preference).
_COPY_COLUMNS = (
    "model_uid",
    "model_id",
    "downloads_30d",
    "downloads_all_time",
    "likes",
    "pipeline_tag",
    "created_at",
    "last_modified",
)
_ROW_INDEX = "_row"


@dataclass
class Listing:
    """A listing's parsed rows (:data:`LISTING_SCHEMA`, archive order) and the page files they name."""

    table: pa.Table
    files: list[str]

    def where(self, row: dict[str, Any]) -> dict[str, Any]:
        """``{"file", "position"}`` of a row read back from :attr:`table` (with its origin columns)."""
        return {"file": self.files[row[FILE_COLUMN]], "position": row[POSITION_COLUMN]}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block: parsing a day allocates millions of
    containers, none of them in a reference cycle (reference counting frees each chunk's rows), so
    its collections find nothing to free (15-20% of the parse when a day's dicts all stayed alive,
    ~5% now; measured at 100K models)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rejection(file: str, position: int, reason: str, model_id: Any = None) -> dict[str, Any]:
    """A rejected record as the gate reports it: file, position, reason and (when readable) its id."""
    entry: dict[str, Any] = {"file": file, "position": position, "reason": reason}
    if isinstance(model_id, str) and model_id:
        entry["id"] = display_id(model_id)
    return entry


def read_listing(day_path: Path, subdir: str, report: ParseReport) -> Listing:
    """Parse every ``GET /api/models`` object under ``subdir`` with :func:`parse_hub_model`, page by page.

    Records breaking a rule go to ``report.rejected`` with file, position, reason and (when
    readable) the model id; the rest are converted to Arrow a chunk at a time.
    """
    files: list[str] = []
    builder = BatchBuilder(LISTING_SCHEMA)
    with gc_paused():
        for record in iter_records(day_path, subdir):
            report.records_read += 1
            try:
                row = parse_hub_model(record.obj, report.repairs)
            except (RecordError, RecursionError) as exc:
                reason = TOO_DEEP if isinstance(exc, RecursionError) else str(exc)
                model_id = record.obj.get("id") if isinstance(record.obj, dict) else None
                report.rejected.append(rejection(record.file, record.position, reason, model_id))
                continue
            if not files or files[-1] != record.file:
                files.append(record.file)
            row[FILE_COLUMN], row[POSITION_COLUMN] = len(files) - 1, record.position
            builder.add(row)
    return Listing(builder.table(), files)


def collapse(table: pa.Table, report: ParseReport) -> pa.Table:
    """One row per ``_id``, sorted by it: :func:`collapse_duplicates` on a listing table.

    Rows whose ``_id`` is unique are kept as they are; the copies of a repeated ``_id`` (few: page
    overlaps) are read back in archive order and collapsed by the same rule, which counts them.
    """
    uids = table["model_uid"]
    counts = pc.value_counts(uids)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    copied = pc.is_in(uids, value_set=repeated)
    kept = [pc.indices_nonzero(pc.invert(copied))]
    if len(repeated):
        at = pc.indices_nonzero(copied)
        copies = table.take(at).select(list(_COPY_COLUMNS)).append_column(_ROW_INDEX, at).to_pylist()
        winners = [row[_ROW_INDEX] for row in collapse_duplicates(copies, report)]
        kept.append(pa.array(winners, pa.uint64()))
    rows = pa.concat_arrays(kept)  # indices_nonzero gives uint64
    # Byte order of UTF-8 is code point order: the order of Python's sorted() over the same ids.
    return table.take(rows.take(pc.sort_indices(uids.take(rows))))


def merge_model_info(table: pa.Table, infos: dict[str, dict[str, Any]]) -> pa.Table:
    """Children counts from per-model ``GET /api/models/{id}`` objects (keyed by ``_id``) replace a
    row's own (:func:`~atom_dagster.landing.parse.children_counts` of the object's)."""
    if not infos:
        return table
    counts = [children_counts(info.get("childrenModelCount")) for info in infos.values()]
    at = pc.index_in(table["model_uid"], value_set=pa.array(list(infos), pa.string()))
    has_info = pc.is_valid(at)
    for column in CHILDREN_COLUMNS:
        from_info = pc.take(pa.array([c[column] for c in counts], pa.int64()), at)
        merged = pc.if_else(has_info, from_info, table[column])
        table = table.set_column(table.schema.get_field_index(column), table.schema.field(column), merged)
    return table


def invalid_parents(table: pa.Table) -> int:
    """Lineage edges whose parent is not a Hub id (``parent_valid`` false) over all rows."""
    edges = pc.list_flatten(table["lineage"])
    return int(pc.sum(pc.invert(pc.struct_field(edges, "parent_valid"))).as_py() or 0)


def without_origin(table: pa.Table) -> pa.Table:
    """The rows without their file and position columns."""
    return table.drop_columns([c for c in ORIGIN_COLUMNS if c in table.column_names])
