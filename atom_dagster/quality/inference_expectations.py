"""Great Expectations 1.x suites for the inference raw tables, run before a partition is promoted.

Same verdict type and message shape as the Hub gate (:mod:`raw_expectations`), so a failing
partition reads the same in the Dagster UI whichever source it came from.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from atom_dagster.quality.raw_expectations import EXAMPLES, ValidationOutcome, min_rows_for

_SKIPPED_KWARGS = ("batch_id", "column_set")


def _gx():
    import great_expectations as gx

    return gx


def openrouter_models_suite(columns: list[str], previous_rows: int | None):
    gx = _gx()
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


def openrouter_rankings_suite(columns: list[str]):
    gx = _gx()
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


def hub_inference_providers_suite(columns: list[str]):
    gx = _gx()
    return gx.ExpectationSuite(
        name="raw_hub_inference_providers",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True),
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_uid"),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="model_id"),
            gx.expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["model_uid", "provider"], ignore_row_if="never"
            ),
        ],
    )


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
) -> ValidationOutcome:
    """Run ``suite`` on a staged partition; parse rejections count as failures too."""
    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("partition")
        .get_batch(batch_parameters={"dataframe": df})
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
                "detail": f"{len(rejected)} {what} could not be read",
                "examples": rejected[:EXAMPLES],
            }
        )
    return outcome
