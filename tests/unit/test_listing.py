"""Listing rows held as Arrow: the same rows, order, counts and messages as the dict rules give."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from atom_dagster.landing.listing import HUB_MODEL_ROW_SCHEMA, collapse, invalid_parents
from atom_dagster.landing.parse import ParseReport, collapse_duplicates, parse_hub_model
from atom_dagster.landing.tables.hub_models import RAW_HUB_MODELS_SCHEMA
from atom_dagster.landing.write_audit_publish import ArrowRows, BatchBuilder, rows_to_table
from atom_dagster.quality.gate import values_only
from tests.unit.test_parse import hub_object


def _row(uid: str, all_time: int, model_id: str = "org/m", last_modified: str = "2025-01-01T00:00:00Z", **kw):
    obj = hub_object(_id=uid, id=model_id, downloadsAllTime=all_time, lastModified=last_modified, **kw)
    return parse_hub_model(obj)


# Copies of "u" in every order the preference and the conflict count depend on, a repeated
# identical copy, and unique ids around them (archive order is not uid order).
ROWS = [
    _row("d", 1),
    _row("u", 50, model_id="THUDM/glm-4-9b-chat", last_modified="2025-01-02T00:00:00Z"),
    _row("b", 7),
    _row("u", 50, model_id="zai-org/glm-4-9b-chat", last_modified="2025-03-01T00:00:00Z"),
    _row("a", 3),
    _row("u", 40, model_id="zai-org/glm-4-9b-chat"),
    _row("b", 7),
    _row("c", 2, tags=["base_model:finetune:/home/u/ckpt", "base_model:adapter:org/base"]),
]


def _table(rows: list[dict], batch_rows: int) -> pa.Table:
    builder = BatchBuilder(HUB_MODEL_ROW_SCHEMA, batch_rows=batch_rows)
    for row in rows:
        builder.add(row)
    return builder.table()


@pytest.mark.parametrize("batch_rows", [1, 3, 100])
def test_collapse_gives_the_rows_and_counts_of_collapse_duplicates(batch_rows):
    expected_report, report = ParseReport(), ParseReport()
    expected = collapse_duplicates([dict(r) for r in ROWS], expected_report)
    got = collapse(_table(ROWS, batch_rows), report)
    assert got.to_pylist() == _table(expected, 100).to_pylist()
    assert [r["model_uid"] for r in got.to_pylist()] == ["a", "b", "c", "d", "u"]
    assert (report.duplicates_collapsed, report.duplicate_conflicts) == (3, 2)
    assert (report.duplicates_collapsed, report.duplicate_conflicts) == (
        expected_report.duplicates_collapsed,
        expected_report.duplicate_conflicts,
    )
    assert invalid_parents(got) == 1


def test_collapse_of_no_rows_keeps_the_schema():
    got = collapse(_table([], 10), ParseReport())
    assert got.num_rows == 0 and got.schema.equals(HUB_MODEL_ROW_SCHEMA)
    assert invalid_parents(got) == 0


def test_arrow_rows_read_back_as_the_dicts_they_were_built_from():
    rows = ArrowRows(_table(ROWS, 3))
    expected = _table(ROWS, 100).to_pylist()
    assert len(rows) == len(ROWS)
    assert list(rows) == expected
    assert rows[0] == expected[0] and rows[-1] == expected[-1]
    assert rows[1:7:2] == expected[1:7:2]
    with pytest.raises(IndexError):
        rows[len(ROWS)]
    assert rows[2]["tags"] == ROWS[2]["tags"] and rows[1]["created_at"] == ROWS[1]["created_at"]


def test_rows_to_table_takes_arrow_rows_as_they_are():
    from_dicts = rows_to_table(ROWS, RAW_HUB_MODELS_SCHEMA, "archive")
    from_arrow = rows_to_table(ArrowRows(_table(ROWS, 3)), RAW_HUB_MODELS_SCHEMA, "archive")
    assert from_arrow.schema.equals(RAW_HUB_MODELS_SCHEMA)
    assert from_arrow.equals(from_dicts)


def test_values_only_from_arrow_is_the_frame_from_pandas():
    table = rows_to_table(ROWS, RAW_HUB_MODELS_SCHEMA, "demo")
    keep = {"model_uid", "downloads_all_time", "created_at"}
    got = values_only(table, keep)
    pd.testing.assert_frame_equal(got, values_only(table.to_pandas(), keep))
    assert list(got.columns) == RAW_HUB_MODELS_SCHEMA.names
    assert got["tags"].isna().all() and got["model_uid"].tolist() == [r["model_uid"] for r in ROWS]
