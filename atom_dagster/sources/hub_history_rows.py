"""Which rows of a hub-stats file a history day keeps, and their form as Hub model objects.

Pure over Arrow batches: the tracked organizations' own models plus, optionally, the models whose
``base_model:`` tags name a tracked parent; each kept row becomes the object ``GET /api/models``
returns (missing fields null), streamed row group by row group so memory stays flat.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from atom_dagster.landing.parse import LINEAGE_RELATIONS
from atom_dagster.sources.hub_history_eras import FIELDS, classify_schema

SURROGATE_PREFIX = "id:"
DEFAULT_BATCH_SIZE = 50_000
# Nested objects some exports store as JSON text.
_JSON_FIELDS = ("safetensors", "gguf", "baseModels", "tags")


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _derivative_pattern(orgs: tuple[str, ...], in_text: bool = False) -> str:
    """A tag naming a tracked parent; ``in_text``: such a tag quoted inside a JSON-text list."""
    relations = "|".join(LINEAGE_RELATIONS)
    names = "|".join(re.escape(o) for o in orgs)
    start = "[\"']" if in_text else "^"
    return rf"{start}base_model:(?:(?:{relations}):)?(?:{names})/"


def keep_mask(
    batch: pa.RecordBatch, id_col: str, tags_col: str | None, orgs: tuple[str, ...], derivatives: bool
) -> tuple[pa.Array, pa.Array]:
    """(mask, own) for a batch: rows of tracked namespaces, plus tracked-parent derivatives."""
    ids = batch.column(id_col)
    namespace = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    own = pc.fill_null(pc.is_in(namespace, value_set=pa.array(orgs, pa.string())), False)
    mask = own
    if derivatives and tags_col is not None and orgs:
        tags = batch.column(tags_col)
        if pa.types.is_string(tags.type) or pa.types.is_large_string(tags.type):
            # Some exports store the tag list as JSON text: match the quoted tag inside it.
            derived = pc.fill_null(pc.match_substring_regex(tags, _derivative_pattern(orgs, True)), False)
        else:
            flat = pc.list_flatten(tags)
            parents = pc.list_parent_indices(tags)
            hits = pc.fill_null(pc.match_substring_regex(flat, _derivative_pattern(orgs)), False)
            rows = pc.unique(pc.filter(parents, hits))
            derived = pc.is_in(pa.array(range(batch.num_rows), pa.int64()), value_set=rows.cast(pa.int64()))
        mask = pc.or_(own, derived)
    return mask, own


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _jsonable(value: Any) -> Any:
    """Arrow's Python values as JSON: maps (lists of pairs) stay lists, datetimes become ISO text."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {str(k): _jsonable(v) for k, v in value}  # an Arrow map, e.g. safetensors.parameters
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return _iso(value) if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None  # a float export's missing value: null, not the invalid JSON `NaN`
    return value


def to_hub_object(row: dict[str, Any], present: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """One hub-stats row -> the object shape of ``GET /api/models`` (missing fields are null).

    Returns the object and whether its ``_id`` is the ``id:<repo id>`` surrogate.
    """
    obj: dict[str, Any] = {}
    for hub_field in FIELDS:
        column = present.get(hub_field)
        value = row.get(column) if column is not None else None
        if hub_field in _JSON_FIELDS and isinstance(value, str):
            # Left as read when it is not JSON: the parser ignores what it cannot use.
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        obj[hub_field] = _jsonable(value)
    surrogate = not (isinstance(obj["_id"], str) and obj["_id"].strip())
    if surrogate:
        obj["_id"] = f"{SURROGATE_PREFIX}{obj['id']}"
    return obj, surrogate


@dataclass
class StreamStats:
    rows_read: int = 0
    rows_kept: int = 0
    own_models: int = 0
    derivatives: int = 0
    surrogate_ids: int = 0
    row_groups: int = 0
    batches: int = 0


def stream_kept_objects(
    source: Path | pq.ParquetFile,
    orgs: list[str],
    *,
    derivatives: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    stats: StreamStats | None = None,
    progress: Callable[[StreamStats], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Hub objects of the kept rows of a hub-stats ``models.parquet`` (a path, or a file already
    opened, e.g. over range requests), streamed batch by batch, only the needed columns read;
    ``progress`` is called with the running counts after each batch's rows are yielded."""
    stats = StreamStats() if stats is None else stats
    parquet = source if isinstance(source, pq.ParquetFile) else pq.ParquetFile(source)
    present = classify_schema(parquet.schema_arrow.names).present
    stats.row_groups = parquet.num_row_groups
    org_key = tuple(sorted(set(orgs)))
    columns = sorted(set(present.values()))
    # One row group per reader: pyarrow coalesces its column chunks into few (range) reads and
    # frees them before the next group, so memory stays flat whatever the file's size.
    batches = (
        batch
        for group in range(parquet.num_row_groups)
        for batch in parquet.iter_batches(batch_size=batch_size, row_groups=[group], columns=columns)
    )
    for batch in batches:
        stats.batches += 1
        stats.rows_read += batch.num_rows
        mask, own = keep_mask(batch, present["id"], present.get("tags"), org_key, derivatives)
        kept = batch.filter(mask)
        n_own = pc.sum(pc.cast(pc.filter(own, mask), pa.int64())).as_py() or 0
        stats.rows_kept += kept.num_rows
        stats.own_models += n_own
        stats.derivatives += kept.num_rows - n_own
        for row in kept.to_pylist():
            obj, surrogate = to_hub_object(row, present)
            stats.surrogate_ids += surrogate
            yield obj
        if progress is not None:
            progress(stats)
