"""The Great Expectations gate on a staged raw partition."""

from __future__ import annotations

import pandas as pd
import pytest

from atom_dagster.landing.parse import MAX_COUNT, parse_hub_model
from atom_dagster.landing.tables import hub_models
from atom_dagster.landing.tables.hub_models import COLUMNS, to_arrow
from atom_dagster.quality.gate import ValidationOutcome, max_rows_for, min_rows_for, validate_frame

DAY = "2026-10-02"
SUITE_SIZE = 9  # columns, row count, 2 not-null ids, unique uid, not-null all-time, 3 count ranges


def _rows(n: int) -> list[dict]:
    return [
        parse_hub_model(
            {
                "_id": f"uid-{i:03d}",
                "id": f"org/model-{i}-7B",
                "downloads": i,
                "downloadsAllTime": 1_000 + i,
                "likes": i % 3,
                "createdAt": "2025-01-01T00:00:00Z",
                "tags": ["text-generation"],
            }
        )
        for i in range(n)
    ]


def _frame(n: int = 10) -> pd.DataFrame:
    return to_arrow(_rows(n), "archive").to_pandas()


def validate_raw_hub_models(df, expected_columns, previous_rows=None, rejected=None) -> ValidationOutcome:
    """The gate of raw/hub_models on a frame (any expected column set)."""
    return validate_frame(
        df,
        hub_models.build_suite(expected_columns, min_rows_for(previous_rows)),
        ["model_uid", "model_id", "downloads_all_time"],
        rejected,
        what="record(s)",
        as_what="Hub models",
    )


def _types(outcome: ValidationOutcome) -> list[str]:
    return [f["expectation"] for f in outcome.failures]


def test_clean_partition_passes():
    outcome = validate_raw_hub_models(_frame(), COLUMNS)
    assert outcome.passed is True
    assert outcome.failures == []
    assert outcome.evaluated == SUITE_SIZE
    assert outcome.describe(DAY) == f"Partition {DAY}: all {SUITE_SIZE} expectations passed."


def test_negative_all_time_downloads_fail_with_the_model_as_example():
    df = _frame()
    df.loc[4, "downloads_all_time"] = -3
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_column_values_to_be_between"]
    failure = outcome.failures[0]
    assert failure["column"] == "downloads_all_time"
    assert failure["detail"].startswith("1 of 10 rows break it")
    assert failure["examples"] == [
        {"model_uid": "uid-004", "model_id": "org/model-4-7B", "downloads_all_time": -3}
    ]


def test_null_model_uid_fails():
    df = _frame()
    df.loc[2, "model_uid"] = None
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_column_values_to_not_be_null"]
    assert outcome.failures[0]["column"] == "model_uid"
    assert outcome.failures[0]["detail"].startswith("1 of 10 rows break it")
    assert [e["model_id"] for e in outcome.failures[0]["examples"]] == ["org/model-2-7B"]


def test_duplicate_model_uid_fails():
    df = _frame()
    df.loc[7, "model_uid"] = "uid-001"
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_column_values_to_be_unique"]
    failure = outcome.failures[0]
    assert failure["column"] == "model_uid"
    assert failure["detail"].startswith("2 of 10 rows break it")
    assert sorted(e["model_id"] for e in failure["examples"]) == ["org/model-1-7B", "org/model-7-7B"]


def test_extra_column_fails_the_schema_check():
    df = _frame()
    df["surprise"] = 1
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_table_columns_to_match_set"]
    assert "surprise" in outcome.failures[0]["detail"]


def test_missing_column_fails_the_schema_check():
    df = _frame().drop(columns=["license"])
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_table_columns_to_match_set"]


def test_row_count_collapse_fails():
    outcome = validate_raw_hub_models(_frame(10), COLUMNS, previous_rows=100)
    assert outcome.passed is False
    assert _types(outcome) == ["expect_table_row_count_to_be_between"]
    assert outcome.failures[0]["detail"] == "observed 10 ({'min_value': 50})"


def test_moderate_row_loss_passes():
    outcome = validate_raw_hub_models(_frame(60), COLUMNS, previous_rows=100)
    assert outcome.passed is True


def test_empty_partition_fails_even_without_history():
    outcome = validate_raw_hub_models(_frame(0), COLUMNS)
    assert outcome.passed is False
    assert "expect_table_row_count_to_be_between" in _types(outcome)


def test_rejected_records_fail_a_clean_frame():
    rejected = [
        {"file": "hub/models/page-0001.json", "position": i, "reason": "missing `_id`"} for i in range(1, 8)
    ]
    outcome = validate_raw_hub_models(_frame(), COLUMNS, rejected=rejected)
    assert outcome.passed is False
    assert _types(outcome) == ["records_parse"]
    failure = outcome.failures[0]
    assert failure["detail"] == "7 record(s) could not be read as Hub models"
    assert failure["examples"] == rejected[:5]


def test_describe_names_partition_failures_and_examples():
    df = _frame()
    df.loc[4, "downloads_all_time"] = -3
    rejected = [{"file": "hub/models/page-0009.json", "position": 2, "reason": "missing `_id`"}]
    text = validate_raw_hub_models(df, COLUMNS, previous_rows=100, rejected=rejected).describe(DAY)
    lines = text.splitlines()
    assert lines[0] == f"Partition {DAY} failed validation and was NOT promoted (previous data kept):"
    assert len(lines) == 4
    assert lines[1].startswith("- expect_table_row_count_to_be_between: observed 10")
    assert lines[2].startswith("- expect_column_values_to_be_between: 1 of 10 rows break it")
    assert "'model_id': 'org/model-4-7B'" in lines[2]
    assert lines[3].startswith("- records_parse: 1 record(s) could not be read")
    assert "page-0009.json" in lines[3]


def test_describe_without_examples_has_no_examples_suffix():
    outcome = ValidationOutcome(
        passed=False, failures=[{"expectation": "x", "detail": "observed 0", "examples": []}]
    )
    assert outcome.describe(DAY).splitlines()[1] == "- x: observed 0"


@pytest.mark.parametrize(
    ("previous", "ratio", "expected"),
    [(None, 0.5, 1), (0, 0.5, 1), (1, 0.5, 1), (100, 0.5, 50), (101, 0.5, 51), (3, 0.5, 2), (100, 0.9, 90)],
)
def test_min_rows_for(previous, ratio, expected):
    assert min_rows_for(previous, ratio) == expected


def test_describe_names_a_missing_column():
    text = validate_raw_hub_models(_frame().drop(columns=["license"]), COLUMNS).describe(DAY)
    assert "license" in text


@pytest.mark.parametrize(
    ("previous", "expected"), [(None, None), (0, None), (1, 1010), (6, 1060), (100_000, 1_001_000)]
)
def test_max_rows_for(previous, expected):
    assert max_rows_for(previous) == expected


def test_row_count_growth_beyond_the_factor_fails():
    previous = 2  # ceiling 10 * 2 + 1000 = 1020
    outcome = validate_frame(
        _frame(1021),
        hub_models.suite(COLUMNS, previous),
        ["model_uid", "model_id", "downloads_all_time"],
    )
    assert outcome.passed is False
    assert _types(outcome) == ["expect_table_row_count_to_be_between"]
    assert outcome.failures[0]["detail"] == "observed 1021 ({'min_value': 1, 'max_value': 1020})"
    assert validate_frame(_frame(1020), hub_models.suite(COLUMNS, previous), ["model_uid"]).passed


def test_counts_beyond_the_bound_fail_the_gate_too():
    df = _frame()
    df.loc[2, "likes"] = MAX_COUNT + 1
    outcome = validate_raw_hub_models(df, COLUMNS)
    assert _types(outcome) == ["expect_column_values_to_be_between"]
    assert outcome.failures[0]["column"] == "likes"


def test_the_suite_sees_every_column_but_only_the_values_it_reads():
    from atom_dagster.landing.tables.hub_models import RAW_TABLE
    from atom_dagster.quality.gate import columns_read, frame_for_suite

    suite = RAW_TABLE.suite(RAW_TABLE.columns, None)
    df = pd.DataFrame(
        {"model_uid": ["a"], "downloads_30d": [3], "tags": [["gguf", "x"]], "lineage": [[{"parent_id": "p"}]]}
    )
    seen = frame_for_suite(df, suite)
    assert list(seen.columns) == list(df.columns)
    assert {"model_uid", "model_id", "downloads_30d", "downloads_all_time", "likes"} <= columns_read(suite)
    assert seen["model_uid"].tolist() == ["a"] and seen["downloads_30d"].tolist() == [3]
    # Values no expectation reads are not handed over (nor fingerprinted by GX).
    assert seen["tags"].tolist() == [None] and seen["lineage"].tolist() == [None]
    assert df["tags"].tolist() == [["gguf", "x"]]  # the staged frame itself is untouched
