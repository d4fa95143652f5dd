"""How the report writes values and colours: K/M/B/T counts, no NaT/NaN/None, one colour per category."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atom_dagster.report.build import _table
from atom_dagster.report.charts import CATEGORY_COLORS, HASHED_PALETTE, REGION_COLORS, color_for
from atom_dagster.report.format import MISSING, cell, human


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (999, "999"),
        (999.6, "1K"),
        (2_500, "2.5K"),
        (999_999, "1M"),  # not '1e+03K'
        (31_200_000, "31.2M"),
        (1_400_000_000, "1.4B"),
        (2.5e12, "2.5T"),  # not '2.5e+03B'
        (3_100_000_000_000, "3.1T"),
        (4.2e15, "4,200T"),
        (2**63, "9,223,372T"),  # counters near 2^63 (tests/faults/test_mart_overflow.py)
        (-(2**62), "-4,611,686T"),
        (-0.3, "0"),
        (-468_000_000, "-468M"),
        (np.int64(12_345), "12.3K"),
        (None, MISSING),
        (float("nan"), MISSING),
        (pd.NA, MISSING),
    ],
)
def test_human_counts_in_k_m_b_t(n, text):
    assert human(n) == text


@pytest.mark.parametrize("value", [None, np.nan, pd.NaT, pd.NA])
def test_missing_values_are_a_dash_in_every_kind_of_column(value):
    for column in ("overtake_date", "total_tokens", "score", "downloads_share", "region"):
        assert cell(value, column) == MISSING


def test_cells_by_kind():
    assert cell(pd.Timestamp("2026-10-01"), "overtake_date") == "2026-10-01"
    assert cell(0.1234, "downloads_share") == "12.3%"
    assert cell(1.234, "score") == "1.23"
    assert cell(np.float64(2.5e12), "total_tokens") == "2.5T"
    assert cell("china", "region") == "china"


def test_table_has_no_nat_nan_none_and_says_what_a_dash_means():
    df = pd.DataFrame(
        {
            "scenario": ["all_models", "without_leader_top_family", None],
            "overtake_date": [pd.Timestamp("2026-10-01"), pd.NaT, pd.NaT],
            "gap_at_last_date": [172e6, -888e6, np.nan],
            "total_tokens": [2.5e12, 996e9, None],
        }
    )
    columns = {c: c for c in df.columns}
    page = _table(df, columns, missing={"overtake_date": "not ahead"})
    for bad in ("NaT", "nan", "None", "<NA>", "e+"):
        assert bad not in page
    assert "<td>not ahead</td>" in page and "<td>2.5T</td>" in page and "<td>-888M</td>" in page
    assert f"<td>{MISSING}</td>" in page and "no value in the data" in page
    assert "no value in the data" not in _table(df.head(1), columns)


def test_each_category_has_one_colour():
    assert {r: color_for(r) for r in REGION_COLORS} == REGION_COLORS
    listed = list(CATEGORY_COLORS.values())
    assert len(set(listed)) == len(listed)  # no two listed categories look alike
    assert not set(listed) & set(HASHED_PALETTE)  # nor an unlisted one like a listed one
    # An unlisted category: the same colour on every call and in every process (crc32, not hash()).
    assert color_for("Moondream") == color_for("Moondream") == "#6b6ecf"
    assert color_for("Granite") in HASHED_PALETTE
