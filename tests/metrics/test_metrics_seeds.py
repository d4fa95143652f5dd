"""The reference seeds the metrics rest on: the report's size-bucket edges and the curated corrections."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_size_buckets_are_the_reports_half_open_edges():
    # The dim_models unit test checks the join at exactly 1, 5, 10, 50, 100 and 250 B against
    # these rows; this pins the seed itself to the report (GUIDE "Size buckets").
    rows = sorted(_rows("size_buckets.csv"), key=lambda r: int(r["sort_order"]))
    got = [(r["size_bucket"], float(r["min_params_b"]), r["max_params_b"]) for r in rows]
    assert got == [
        ("<1B", 0.0, "1"),
        ("1-5B", 1.0, "5"),
        ("7-9B", 5.0, "10"),
        ("10-50B", 10.0, "50"),
        ("50-100B", 50.0, "100"),
        ("100-250B", 100.0, "250"),
        ("250B+", 250.0, ""),
    ]


def test_parameter_overrides_are_unique_positive_and_explained():
    rows = _rows("parameter_overrides.csv")
    ids = [r["model_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert "/" in row["model_id"], row
        assert float(row["total_params_b"]) > 0, row
        assert len(row["note"]) > 20, row
    # The report's own example: DeepSeek-R1 shows 685B on the Hub (MTP module), officially 671B.
    assert {r["model_id"]: float(r["total_params_b"]) for r in rows}["deepseek-ai/DeepSeek-R1"] == 671


def test_release_date_corrections_are_unique_dated_and_explained():
    with (SEEDS / "release_date_corrections.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == "model_id,release_date,note"
    rows = _rows("release_date_corrections.csv")
    ids = [r["model_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert "/" in row["model_id"], row
        assert date(2022, 12, 1) <= date.fromisoformat(row["release_date"]) <= date.today(), row
        assert "http" in row["note"], row
