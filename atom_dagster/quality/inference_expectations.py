"""Great Expectations 1.x suites for the inference raw tables, run before a partition is promoted.

Same verdict type and message shape as the Hub gate (:mod:`raw_expectations`), so a failing
partition reads the same in the Dagster UI whichever source it came from.
"""

from __future__ import annotations

from atom_dagster.quality.raw_expectations import min_rows_for, validate_frame

__all__ = [
    "hub_inference_providers_suite",
    "openrouter_models_suite",
    "openrouter_rankings_suite",
    "validate_frame",
]


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
