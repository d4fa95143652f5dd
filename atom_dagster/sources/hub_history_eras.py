"""The eras of ``cfahlgren1/hub-stats``'s file, told apart by their column names alone.

Public facts (docs/history.md): the first commits (2024-07-24 on) held ``models.csv`` with
``modelId`` for ``id``; Parquet from then on, gaining ``trendingScore`` and ``cardData`` about
2024-10 and ``downloadsAllTime`` on 2025-02-26. No era has a top-level ``gated``, ``private`` or
``sha``. :func:`classify_schema` is the rule the history source applies to a file's footer (or
CSV header) before reading any row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Hub JSON field -> the column names it has had in hub-stats (first present wins). Only these are
# read: `cardData`, `siblings`, `config` and friends are large and unused by the parser.
FIELDS: dict[str, tuple[str, ...]] = {
    "_id": ("_id",),
    "id": ("id", "modelId"),
    "author": ("author",),
    "downloads": ("downloads",),
    "downloadsAllTime": ("downloadsAllTime",),
    "likes": ("likes",),
    "trendingScore": ("trendingScore",),
    "createdAt": ("createdAt", "created_at"),
    "lastModified": ("lastModified", "last_modified"),
    "tags": ("tags",),
    "pipeline_tag": ("pipeline_tag",),
    "library_name": ("library_name",),
    "gated": ("gated",),
    "safetensors": ("safetensors",),
    "gguf": ("gguf",),
    "baseModels": ("baseModels",),
}
REQUIRED = {
    "id": "the model's repo id",
    "downloadsAllTime": "the cumulative download counter the daily-downloads marts are built on",
    "downloads": "the 30-day rolling count the months before `downloadsAllTime` are estimated from",
}

ERA_CSV = "csv_modelId"
ERA_WITHOUT_ALL_TIME = "parquet_without_downloads_all_time"
ERA_WITH_ALL_TIME = "parquet_with_downloads_all_time"
# What each era is (public facts about hub-stats; see docs/history.md).
# What a Parquet era needs (the CSV era is never read): before `downloadsAllTime`, the 30-day
# rolling `downloads` is the day's only download figure (estimated into months by the marts).
ERA_REQUIRED = {
    ERA_WITHOUT_ALL_TIME: ("id", "downloads"),
    ERA_WITH_ALL_TIME: ("id", "downloadsAllTime"),
    ERA_CSV: ("id", "downloadsAllTime"),
}
# The `downloads_basis` a day of the era gives (see fct_model_downloads_daily).
ROLLING_30D_ERAS = {ERA_WITHOUT_ALL_TIME}
ERA_NOTES = {
    ERA_CSV: "the first commits' models.csv, from 2024-07-24, with `modelId` for `id`",
    ERA_WITHOUT_ALL_TIME: "models.parquet before 2025-02-26, whose `downloads` is a 30-day rolling count",
    ERA_WITH_ALL_TIME: "models.parquet from 2025-02-26",
}
_SURROGATE_REASON = (
    "no `_id` column in this snapshot: rows are keyed `id:<repo id>` (a surrogate; a rename"
    " across such days starts a new series)"
)
# Fields no era of hub-stats has: the Hub's `gated` is an expand field the export never held.
_NEVER_EXPORTED = {
    "gated": "hub-stats has no top-level `gated` column: null (unknown), never false",
}
_ERA_MISSING = {
    (ERA_WITHOUT_ALL_TIME, "downloadsAllTime"): (
        "no `downloadsAllTime` before 2025-02-26: null; the marts estimate cumulative counts from the"
        " 30-day rolling `downloads` of days 30 apart (downloads_basis estimated_rolling_30d)"
    ),
}


@dataclass(frozen=True)
class SchemaEra:
    """What a file's columns say: its era, the fields read (Hub field -> column), the fields left
    null with the reason, and the one-line reason the day is refused (``None``: it can be read)."""

    era: str
    present: dict[str, str]
    missing: dict[str, str]
    refusal: str | None = None


def resolve_columns(
    names: Iterable[str], era: str = ERA_WITH_ALL_TIME
) -> tuple[dict[str, str], dict[str, str]]:
    """(Hub field -> column read, Hub field -> reason it is null) for a file's column names."""
    present: dict[str, str] = {}
    missing: dict[str, str] = {}
    names = set(names)
    for hub_field, candidates in FIELDS.items():
        found = next((c for c in candidates if c in names), None)
        if found is not None:
            present[hub_field] = found
        elif hub_field == "_id":
            missing[hub_field] = _SURROGATE_REASON
        else:
            missing[hub_field] = (
                _NEVER_EXPORTED.get(hub_field)
                or _ERA_MISSING.get((era, hub_field))
                or (f"column absent from this snapshot (era {era}): written as null, never inferred")
            )
    return present, missing


def classify_schema(names: Iterable[str], file_format: str = "parquet") -> SchemaEra:
    """The era of a hub-stats file and what it can give, from its column names alone (pure).

    Decided from the Parquet footer or the CSV header, before any row is read: a CSV export or a
    ``modelId`` file is ``csv_modelId``; otherwise ``downloadsAllTime`` splits the Parquet eras.
    Only a Parquet file with its era's required fields (:data:`ERA_REQUIRED`) can give the day:
    before ``downloadsAllTime``, the rolling ``downloads`` stands in (estimated by the marts).
    """
    names = set(names)
    if file_format == "csv" or ("modelId" in names and "id" not in names):
        era = ERA_CSV
    elif "downloadsAllTime" in names:
        era = ERA_WITH_ALL_TIME
    else:
        era = ERA_WITHOUT_ALL_TIME
    present, missing = resolve_columns(names, era)
    problems = [f"no `{f}` ({REQUIRED[f]})" for f in ERA_REQUIRED[era] if f not in present]
    if file_format != "parquet":
        problems.append(f"a {file_format.upper()} export is not read (its column types are not documented)")
    refusal = f"era {era} ({ERA_NOTES[era]}): {'; '.join(problems)}" if problems else None
    return SchemaEra(era, present, missing, refusal)
