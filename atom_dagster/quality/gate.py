"""The quality gate every raw table passes before promotion: a Great Expectations 1.x suite on the
staged partition, plus the records the parser could not use, as one verdict.

One function for every raw table (:func:`validate_table`), so a failing partition reads the same
in the Dagster UI whichever source it came from.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from atom_dagster.landing.spec import RawTable

# A day may legitimately lose models (deletions, renames out of scope), but not half of them.
DEFAULT_MIN_ROW_RATIO = 0.5
# Nor grow tenfold: a day with more than 10x the previous partition's rows (+ 1,000, so a small
# table may still fill up) is an injected or mislabelled capture, not a day of new models (the
# whole Hub grows by well under 1 % a day). The previous partition is one of the same kind
# (write_audit_publish.previous_partition_rows); without one there is no ceiling.
DEFAULT_MAX_ROW_GROWTH = 10
ROW_GROWTH_SLACK = 1000
EXAMPLES = 5
_SKIPPED_KWARGS = ("batch_id", "column_set")


@dataclass
class ValidationOutcome:
    """The verdict on one staged partition, with what a user needs to fix it."""

    passed: bool
    failures: list[dict[str, Any]] = field(default_factory=list)
    evaluated: int = 0

    def describe(self, day: str) -> str:
        """One readable paragraph: partition, each failed rule and example bad rows."""
        if self.passed:
            return f"Partition {day}: all {self.evaluated} expectations passed."
        lines = [f"Partition {day} failed validation and was NOT promoted (previous data kept):"]
        for failure in self.failures:
            examples = failure.get("examples")
            suffix = f"; examples: {_format_examples(examples)}" if examples else ""
            lines.append(f"- {failure['expectation']}: {failure['detail']}{suffix}")
        return "\n".join(lines)


def _format_examples(examples: list[Any]) -> str:
    """Rejected records as ``file record N (id): rule``; other examples (rows) as they are."""
    if not all(isinstance(e, dict) and {"file", "position", "reason"} <= e.keys() for e in examples):
        return str(examples)
    parts = []
    for e in examples:
        unit = "line" if str(e["file"]).endswith((".jsonl", ".jsonl.gz")) else "record"
        model = f" ({e['id']})" if e.get("id") else ""
        parts.append(f"{e['file']} {unit} {e['position']}{model}: {e['reason']}")
    return " | ".join(parts)


def min_rows_for(previous_rows: int | None, ratio: float = DEFAULT_MIN_ROW_RATIO) -> int:
    """Row-count floor for a partition given the previous partition's size."""
    return 1 if not previous_rows else max(1, math.ceil(previous_rows * ratio))


def max_rows_for(
    previous_rows: int | None, factor: int = DEFAULT_MAX_ROW_GROWTH, slack: int = ROW_GROWTH_SLACK
) -> int | None:
    """Row-count ceiling for a partition given the previous partition's size (None: no previous)."""
    return None if not previous_rows else previous_rows * factor + slack


def _examples(df: pd.DataFrame, result: dict[str, Any], example_columns: list[str]) -> list[Any]:
    index = result.get("partial_unexpected_index_list") or []
    cols = [c for c in example_columns if c in df.columns]
    if index and cols and all(isinstance(i, int) for i in index):
        picked = df.iloc[[i for i in index[:EXAMPLES] if i < len(df)]]
        return picked[cols].astype(object).where(picked[cols].notna(), None).to_dict("records")
    return list(result.get("partial_unexpected_list") or [])[:EXAMPLES]


def validate_frame(
    df: pd.DataFrame,
    suite,
    example_columns: list[str],
    rejected: list[dict[str, Any]] | None = None,
    what: str = "records",
    as_what: str | None = None,
) -> ValidationOutcome:
    """Run ``suite`` on a staged partition; parse rejections count as failures too.

    One function for every raw table's gate, so a failing partition reads the same in the Dagster
    UI whichever source it came from. ``example_columns`` pick what a bad row is shown with.
    """
    import great_expectations as gx

    # Analytics off in the context's own config (GX phones home otherwise); no environment writes.
    context = gx.get_context(mode="ephemeral", project_config=_project_config())
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("partition")
        .get_batch(batch_parameters={"dataframe": frame_for_suite(df, suite)})
    )
    result = batch.validate(suite)
    outcome = ValidationOutcome(passed=bool(result.success), evaluated=len(result.results))
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k not in _SKIPPED_KWARGS}
        res = item.result or {}
        mismatched = (res.get("details") or {}).get("mismatched")
        if mismatched:
            detail = (
                f"columns differ from the raw schema: missing {mismatched.get('missing') or []}, "
                f"unexpected {mismatched.get('unexpected') or []}"
            )
        elif res.get("unexpected_count") is not None:
            detail = f"{res['unexpected_count']} of {len(df)} rows break it ({kwargs})"
        else:
            detail = f"observed {res.get('observed_value')!r} ({kwargs})"
        outcome.failures.append(
            {
                "expectation": config.type,
                "column": kwargs.get("column") or kwargs.get("column_list"),
                "detail": detail,
                "examples": _examples(df, res, example_columns),
            }
        )
    if rejected:
        outcome.passed = False
        outcome.failures.append(
            {
                "expectation": "records_parse",
                "column": None,
                "detail": f"{len(rejected)} {what} could not be read" + (f" as {as_what}" if as_what else ""),
                "examples": rejected[:EXAMPLES],
            }
        )
    return outcome


# Expectation arguments that name a column whose values the expectation reads (`column_set` of
# ExpectTableColumnsToMatchSet names columns, it reads no values).
_VALUE_ARGS = ("column", "column_A", "column_B", "column_list")


def columns_read(suite) -> set[str]:
    """The columns whose values some expectation of ``suite`` reads."""
    read: set[str] = set()
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        for arg in _VALUE_ARGS:
            value = kwargs.get(arg)
            if isinstance(value, str):
                read.add(value)
            elif isinstance(value, list | tuple):
                read.update(str(v) for v in value)
    return read


def frame_for_suite(df: pd.DataFrame, suite) -> pd.DataFrame:
    """``df`` with every column, but the values only of the columns the suite reads (others null).

    Great Expectations fingerprints every pandas batch: a pandas hash, or, when a column holds
    lists (tags, lineage), a pickle of the whole frame. At a million rows that was most of the
    gate's time and memory, for columns no expectation looks at. The column set is unchanged, so
    the schema expectation still sees every column.
    """
    return values_only(df, columns_read(suite))


def values_only(data: pd.DataFrame | pa.Table, keep: Collection[str]) -> pd.DataFrame:
    """``data`` as a DataFrame with every column, in order, but the values only of ``keep`` (the
    others null). From Arrow only ``keep`` is converted: list columns (tags, lineage) as Python
    objects would cost more than all the rest of a day's landing."""
    columns = list(data.column_names if isinstance(data, pa.Table) else data.columns)
    unread = [c for c in columns if c not in keep]
    if isinstance(data, pa.Table):
        data = data.select([c for c in columns if c in keep]).to_pandas()
    return data.assign(**dict.fromkeys(unread))[columns] if unread else data


def _project_config():
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    return DataContextConfig(
        analytics_enabled=False,
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )


def validate_table(
    table: RawTable,
    data: pd.DataFrame | pa.Table,
    previous_rows: int | None = None,
    rejected: list[dict[str, Any]] | None = None,
    what: str | None = None,
    day: str | None = None,
) -> ValidationOutcome:
    """Run a raw table's suite on its staged partition; parse rejections count as failures too.

    With ``day`` (the partition) the table's ``day_expectations`` are added to the suite. An Arrow
    ``data`` is converted to pandas only in the columns the suite reads and the examples show.
    """
    suite = table.suite(table.columns, previous_rows)
    if day is not None and table.day_expectations is not None:
        import great_expectations as gx

        # A new suite: add_expectation on one would need a saved, context-bound suite.
        suite = gx.ExpectationSuite(
            name=suite.name, expectations=[*suite.expectations, *table.day_expectations(day)]
        )
    if isinstance(data, pa.Table):
        data = values_only(data, columns_read(suite) | set(table.example_columns))
    return validate_frame(
        data,
        suite,
        list(table.example_columns),
        rejected,
        what=what or table.rejected_what,
        as_what=table.rejected_as,
    )
