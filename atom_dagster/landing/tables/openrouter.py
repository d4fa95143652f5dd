"""Raw tables of OpenRouter: an archived ``openrouter/`` folder -> two typed tables (one capture unit).

* ``raw/openrouter_models``: the day's model catalogue, one row per OpenRouter model ``id``.
* ``raw/openrouter_rankings_daily``: the day's rankings, one row per ``model_permaslug``
  (top 50 + ``other``), ``total_tokens`` parsed from decimal strings to integers.

Parsing is pure (no I/O besides reading the archive); the folder is parsed once per day and shared
by both tables. A file that is absent is *no data* (the table is skipped with the reason), never an
empty table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa

from atom_dagster.assets.metadata import markdown_table
from atom_dagster.landing.parse import (
    ParseReport,
    RecordError,
    ascii_int,
    bound_text,
    parse_count,
    parse_timestamp,
    show,
    timestamp_from_epoch,
)
from atom_dagster.landing.spec import RawTable, ResolvedDay
from atom_dagster.landing.spec import TableParse as Landing
from atom_dagster.landing.write_audit_publish import SOURCE_COLUMN, rows_to_table
from atom_dagster.quality.gate import min_rows_for
from atom_dagster.sources.archive import ArchiveError, find_body, open_day, read_body
from atom_dagster.sources.openrouter_live import ATTRIBUTION, MODELS_FILE, OPENROUTER_DIR, RANKINGS_FILE

MODELS_TABLE = "openrouter_models"
RANKINGS_TABLE = "openrouter_rankings_daily"
PREVIEW_ROWS = 10
OTHER_PERMASLUG = "other"  # OpenRouter's reserved row: every model outside the day's top 50
# A day's tokens of one model (or of the `other` bucket): OpenRouter as a whole serves in the order
# of 10^12 tokens a day, so 10^15 is a thousandfold headroom; beyond it a value is corrupt. It also
# keeps sums of up to ~9,000 rows (half a year of a day's 51 rows) inside a 64-bit integer.
MAX_TOKENS = 10**15

RAW_OPENROUTER_MODELS_SCHEMA = pa.schema(
    [
        ("model_slug", pa.string()),
        ("canonical_slug", pa.string()),
        ("hugging_face_id", pa.string()),
        ("name", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("context_length", pa.int64()),
        ("modality", pa.string()),
        ("input_modalities", pa.list_(pa.string())),
        ("output_modalities", pa.list_(pa.string())),
        ("tokenizer", pa.string()),
        ("instruct_type", pa.string()),
        ("pricing_prompt", pa.string()),
        ("pricing_completion", pa.string()),
        ("is_moderated", pa.bool_()),
        (SOURCE_COLUMN, pa.string()),
    ]
)
MODELS_COLUMNS = RAW_OPENROUTER_MODELS_SCHEMA.names

RAW_OPENROUTER_RANKINGS_SCHEMA = pa.schema(
    [
        ("ranking_date", pa.date32()),
        ("model_permaslug", pa.string()),
        ("total_tokens", pa.int64()),
        ("rank", pa.int64()),
        ("is_other", pa.bool_()),
        ("as_of", pa.timestamp("us", tz="UTC")),
        ("dataset_version", pa.string()),
        ("source_attribution", pa.string()),
        (SOURCE_COLUMN, pa.string()),
    ]
)
RANKINGS_COLUMNS = RAW_OPENROUTER_RANKINGS_SCHEMA.names


@dataclass
class TableParse(ParseReport):
    """Rows of one table from one archived file, with rejects (file, position, reason) and repairs."""

    file: str = ""
    rows_outside_day: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class OpenRouterDay:
    """What an archived day holds for OpenRouter; ``None`` for a file the day does not have."""

    models: TableParse | None
    rankings: TableParse | None
    manifest: dict[str, Any]
    synthetic: bool
    notes: list[str] = field(default_factory=list)


# --- parsing rules (pure) -------------------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _decimal_text(value: Any) -> str | None:
    """Prices are decimal strings ("0.000003"); a JSON number is kept as its text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return repr(value)
    return _str_or_none(value)


def _string_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def parse_openrouter_model(obj: Any, repairs: Counter | None = None) -> dict[str, Any]:
    """One object of ``GET /api/v1/models`` ``data`` -> one raw row; :class:`RecordError` if unusable."""
    repairs = Counter() if repairs is None else repairs
    if not isinstance(obj, dict):
        raise RecordError(f"a model must be a JSON object, got {type(obj).__name__}")
    slug = _str_or_none(obj.get("id"))
    if slug is None:
        raise RecordError("missing `id` (the OpenRouter model slug)")
    canonical = _str_or_none(obj.get("canonical_slug"))
    if canonical is None:
        canonical = slug
        repairs["canonical_slug_from_id"] += 1
    created = obj.get("created")
    # Dates in 2000-01-01 .. tomorrow, as for the Hub (landing.parse); NaN or 1e300 are refused.
    if isinstance(created, int | float) and not isinstance(created, bool):
        created_at = timestamp_from_epoch(created, "created")
    elif isinstance(created, str) and created.strip():
        created_at = parse_timestamp(created, "created")
    else:
        created_at = None
    arch = obj.get("architecture") if isinstance(obj.get("architecture"), dict) else {}
    pricing = obj.get("pricing") if isinstance(obj.get("pricing"), dict) else {}
    top = obj.get("top_provider") if isinstance(obj.get("top_provider"), dict) else {}
    moderated = top.get("is_moderated")
    return {
        "model_slug": slug,
        "canonical_slug": canonical,
        # "" and null both mean: OpenRouter names no Hugging Face repo (no open weights listed).
        "hugging_face_id": _str_or_none(obj.get("hugging_face_id")),
        "name": _str_or_none(obj.get("name")),
        "created_at": created_at,
        "context_length": parse_count("context_length", obj.get("context_length"), repairs),
        "modality": _str_or_none(arch.get("modality")),
        "input_modalities": _string_list(arch.get("input_modalities")),
        "output_modalities": _string_list(arch.get("output_modalities")),
        "tokenizer": _str_or_none(arch.get("tokenizer")),
        "instruct_type": _str_or_none(arch.get("instruct_type")),
        "pricing_prompt": _decimal_text(pricing.get("prompt")),
        "pricing_completion": _decimal_text(pricing.get("completion")),
        "is_moderated": moderated if isinstance(moderated, bool) else None,
    }


def parse_total_tokens(value: Any, repairs: Counter) -> int:
    """``total_tokens`` is a decimal string of an integer ("12345678"); a JSON integer is accepted.

    Digits are ASCII ``0-9`` only (full-width digits are refused, not read). A negative value is
    kept as read, so the quality gate rejects it visibly; beyond :data:`MAX_TOKENS` (10^15) in
    either direction the record is rejected.
    """
    if isinstance(value, bool) or value is None:
        raise RecordError(f"total_tokens must be a decimal integer string, got {show(value)}")
    number = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        number = ascii_int("total_tokens", value)
    if number is None:
        raise RecordError(f"total_tokens must be a decimal integer string, got {show(value)}")
    if abs(number) > MAX_TOKENS:
        raise RecordError(
            f"total_tokens {show(value)} is beyond the bound of {bound_text(MAX_TOKENS)} tokens a day "
            "(a corrupt value; it would also overflow 64-bit sums)"
        )
    if isinstance(value, int):
        repairs["total_tokens_json_integer"] += 1
    return number


def attribution(as_of: str | None) -> str:
    """OpenRouter's required citation for the rankings, with the snapshot time when known."""
    return f"{ATTRIBUTION}, as of {as_of}." if as_of else f"{ATTRIBUTION}."


def parse_models_body(body: Any, file: str) -> TableParse:
    """The body of ``GET /api/v1/models``; one row per model ``id`` (a repeated id is collapsed)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ArchiveError(
            f"{file}: must be a JSON object with a `data` array (the body of GET /api/v1/models)."
        )
    out = TableParse(file=file)
    seen: dict[str, dict[str, Any]] = {}
    for position, obj in enumerate(body["data"], start=1):
        out.records_read += 1
        try:
            row = parse_openrouter_model(obj, out.repairs)
        except (RecordError, RecursionError) as exc:
            reason = "nests JSON too deeply to be read" if isinstance(exc, RecursionError) else str(exc)
            out.rejected.append({"file": file, "position": position, "reason": reason})
            continue
        if row["model_slug"] in seen:
            out.duplicates_collapsed += 1
            continue
        seen[row["model_slug"]] = row
    out.rows = [seen[slug] for slug in sorted(seen)]
    return out


def parse_rankings_body(body: Any, file: str, day: str) -> TableParse:
    """The body of the rankings dataset; keeps the rows of ``day`` (others are counted, not loaded)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ArchiveError(
            f"{file}: must be a JSON object with a `data` array "
            "(the body of GET /api/v1/datasets/rankings-daily)."
        )
    out = TableParse(file=file)
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    out.meta = meta
    as_of_text = _str_or_none(meta.get("as_of"))
    try:
        as_of = parse_timestamp(as_of_text)
    except RecordError:
        as_of = None
        out.repairs["as_of_unreadable"] += 1
    version = _str_or_none(meta.get("version"))
    target = date.fromisoformat(day)
    kept: list[dict[str, Any]] = []
    for position, obj in enumerate(body["data"], start=1):
        out.records_read += 1
        try:
            if not isinstance(obj, dict):
                raise RecordError(f"a row must be a JSON object, got {type(obj).__name__}")
            try:
                row_date = date.fromisoformat(str(obj.get("date")))
            except ValueError as exc:
                raise RecordError(f"`date` {show(obj.get('date'))} is not YYYY-MM-DD") from exc
            permaslug = _str_or_none(obj.get("model_permaslug"))
            if permaslug is None:
                raise RecordError("missing `model_permaslug`")
            tokens = parse_total_tokens(obj.get("total_tokens"), out.repairs)
        except (RecordError, RecursionError) as exc:
            reason = "nests JSON too deeply to be read" if isinstance(exc, RecursionError) else str(exc)
            out.rejected.append({"file": file, "position": position, "reason": reason})
            continue
        if row_date != target:
            out.rows_outside_day += 1
            continue
        kept.append(
            {
                "ranking_date": row_date,
                "model_permaslug": permaslug,
                "total_tokens": tokens,
                "is_other": permaslug == OTHER_PERMASLUG,
                "as_of": as_of,
                "dataset_version": version,
                "source_attribution": attribution(as_of_text),
            }
        )
    # Rank by tokens (ties by slug), independent of the order the rows were served in.
    ranked = sorted(
        (r for r in kept if not r["is_other"]), key=lambda r: (-r["total_tokens"], r["model_permaslug"])
    )
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
    others = [r for r in kept if r["is_other"]]
    for row in others:
        row["rank"] = None
    out.rows = ranked + others
    return out


# --- reading an archived day ----------------------------------------------------------------


def _verify(day_path: Path) -> tuple[dict[str, Any], bool]:
    """The signed day (archive.open_day): the folder's own manifest, else the day's, which then
    lists the ``openrouter/`` files (a single-writer day such as the demo archive)."""
    manifest = open_day(day_path, OPENROUTER_DIR)
    return manifest, bool(manifest.get("synthetic"))


def read_openrouter_day(day_path: Path, day: str) -> OpenRouterDay:
    """Parse ``<day>/openrouter/``; a missing folder or file is ``None`` (no data), never zeros."""
    day_path = Path(day_path)
    unit = day_path / OPENROUTER_DIR
    if not unit.is_dir():
        return OpenRouterDay(None, None, {}, False, [f"{day_path} has no {OPENROUTER_DIR}/ folder"])
    manifest, synthetic = _verify(day_path)
    result = OpenRouterDay(None, None, manifest, synthetic)
    models_path = find_body(unit, MODELS_FILE)
    if models_path is not None:
        rel = str(models_path.relative_to(day_path))
        result.models = parse_models_body(read_body(models_path, rel), rel)
    else:
        result.notes.append(f"no {OPENROUTER_DIR}/{MODELS_FILE}")
    rankings_path = find_body(unit, RANKINGS_FILE)
    if rankings_path is not None:
        rel = str(rankings_path.relative_to(day_path))
        result.rankings = parse_rankings_body(read_body(rankings_path, rel), rel, day)
    else:
        # The folder's own manifest (live capture) or the day's (single-writer days such as the demo).
        why = (manifest.get("capture") or {}).get("rankings") or (manifest.get(OPENROUTER_DIR) or {}).get(
            "rankings"
        )
        result.notes.append(f"no {OPENROUTER_DIR}/{RANKINGS_FILE}" + (f" (capture: {why})" if why else ""))
    return result


def to_arrow(rows: list[dict[str, Any]], schema: pa.Schema, source: str) -> pa.Table:
    """Rows as a table with the fixed raw schema (stable across days)."""
    return rows_to_table(rows, schema, source)


# --- the two tables ---------------------------------------------------------------------------


def models_suite(columns: list[str], previous_rows: int | None):
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_openrouter_models",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=min_rows_for(previous_rows)),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_slug"),
            gx.expectations.ExpectColumnValuesToBeUnique(column="model_slug"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="canonical_slug"),
            gx.expectations.ExpectColumnValuesToBeBetween(column="context_length", min_value=0),
        ],
    )


def rankings_suite(columns: list[str], _previous_rows: int | None = None):
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_openrouter_rankings_daily",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="ranking_date"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_permaslug"),
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["ranking_date", "model_permaslug"]),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="total_tokens"),
            # Tokens are counts: integers (the column type) and never negative.
            gx.expectations.ExpectColumnValuesToBeInTypeList(
                column="total_tokens", type_list=["int64", "Int64"]
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(column="total_tokens", min_value=0),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="source_attribution"),
        ],
    )


def _day(resolved: ResolvedDay, day: str) -> OpenRouterDay:
    return resolved.shared(OPENROUTER_DIR, lambda: read_openrouter_day(resolved.path, day))


def _landing(resolved: ResolvedDay, parsed: OpenRouterDay, table: TableParse | None, skipped: str) -> Landing:
    source = "live" if resolved.live else ("demo" if parsed.synthetic else "archive")
    if table is None:
        return Landing(skipped=skipped, source=source, synthetic=parsed.synthetic)
    return Landing(
        rows=table.rows,
        rejected=table.rejected,
        source=source,
        synthetic=parsed.synthetic,
        rejected_what=f"records of {table.file}",
        extra=table,
    )


def parse_models(resolved: ResolvedDay, day: str) -> Landing:
    parsed = _day(resolved, day)
    return _landing(resolved, parsed, parsed.models, parsed.notes[0] if parsed.notes else "no catalogue")


def parse_rankings(resolved: ResolvedDay, day: str) -> Landing:
    parsed = _day(resolved, day)
    reason = resolved.notes.get("rankings_skipped") or next(
        (n for n in parsed.notes if "rankings" in n), parsed.notes[0] if parsed.notes else "no rankings"
    )
    return _landing(resolved, parsed, parsed.rankings, reason)


def models_metadata(df: pd.DataFrame, landing: Landing) -> dict[str, Any]:
    parsed: TableParse = landing.extra
    open_weights = int(df["hugging_face_id"].notna().sum())
    preview = df[df["hugging_face_id"].notna()].sort_values("model_slug").head(PREVIEW_ROWS)
    cols = ["model_slug", "hugging_face_id", "context_length", "pricing_prompt"]
    return {
        "models": len(df),
        "with_hugging_face_id": open_weights,
        "without_hugging_face_id": len(df) - open_weights,
        "duplicates_collapsed": parsed.duplicates_collapsed,
        "repairs": dg.MetadataValue.json(dict(parsed.repairs)),
        "preview": dg.MetadataValue.md(markdown_table(cols, list(preview[cols].itertuples(index=False)))),
    }


def rankings_metadata(df: pd.DataFrame, landing: Landing) -> dict[str, Any]:
    parsed: TableParse = landing.extra
    total = int(df["total_tokens"].sum())
    other = int(df.loc[df["is_other"], "total_tokens"].sum())
    top = df.sort_values("total_tokens", ascending=False).head(PREVIEW_ROWS)
    cols = ["rank", "model_permaslug", "total_tokens"]
    return {
        "total_tokens": total,
        "other_bucket_share": round(other / total, 6) if total else 0.0,
        "as_of": str(parsed.meta.get("as_of")),
        "rows_outside_day_ignored": parsed.rows_outside_day,
        "attribution": str(df["source_attribution"].iloc[0]) if len(df) else ATTRIBUTION,
        "repairs": dg.MetadataValue.json(dict(parsed.repairs)),
        "preview": dg.MetadataValue.md(markdown_table(cols, list(top[cols].itertuples(index=False)))),
    }


RAW_TABLES = [
    RawTable(
        name=MODELS_TABLE,
        unit="openrouter",
        order=0,
        description=(
            "OpenRouter model catalogue for one day (`GET /api/v1/models?output_modalities=all`, public), "
            "landed as `raw/openrouter_models/snapshot_date=YYYY-MM-DD/data.parquet`, one row per "
            "OpenRouter model id with its `hugging_face_id` (the join to the Hub), modalities and prices. "
            "Live capture (latest partition only) or archive replay "
            "(`<archive>/<day>/openrouter/models.json`); the demo archive is SYNTHETIC. Staged, validated "
            "by Great Expectations, promoted atomically."
        ),
        check_description=(
            "Great Expectations suite on the staged partition (schema, non-null unique model id, "
            "non-negative context length, no collapse below half of the previous partition, every record "
            "readable); a failing partition is not promoted."
        ),
        schema=RAW_OPENROUTER_MODELS_SCHEMA,
        parse=parse_models,
        suite=models_suite,
        example_columns=("model_slug", "canonical_slug", "context_length"),
        metadata=models_metadata,
        compare_with_previous=True,
        may_skip=True,
    ),
    RawTable(
        name=RANKINGS_TABLE,
        unit="openrouter",
        order=1,
        description=(
            "OpenRouter daily token rankings (`GET /api/v1/datasets/rankings-daily`, needs "
            "OPENROUTER_API_KEY): the top 50 models of the UTC day by prompt + completion tokens plus one "
            "`other` row for the rest, landed as "
            "`raw/openrouter_rankings_daily/snapshot_date=YYYY-MM-DD/data.parquet`. Without a key (or when "
            "the archive day has no rankings) the partition is skipped with the reason: no data, never "
            f"zeros. {ATTRIBUTION} (CC BY 4.0); every row carries the attribution with `as of`."
        ),
        check_description=(
            "Great Expectations suite on the staged partition (schema, non-null unique (date, permaslug), "
            "total_tokens non-negative integers, attribution present, every record readable); a failing "
            "partition is not promoted."
        ),
        schema=RAW_OPENROUTER_RANKINGS_SCHEMA,
        parse=parse_rankings,
        suite=rankings_suite,
        example_columns=("ranking_date", "model_permaslug", "total_tokens"),
        metadata=rankings_metadata,
        may_skip=True,
    ),
]
