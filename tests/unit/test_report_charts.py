"""Report charts on hand-made frames: real PNGs, readings that state the numbers."""

from __future__ import annotations

from datetime import date

import matplotlib.image as mpimg
import pandas as pd

from atom_dagster.report import charts
from atom_dagster.report.build import key_numbers
from atom_dagster.report.data import ReportData

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE and mpimg.imread(path).shape[0] > 100


def region_frame() -> pd.DataFrame:
    days = pd.to_datetime(["2025-07-01", "2025-07-02", "2025-07-03"]).date
    rows = []
    for day, china, us in zip(days, [90, 110, 130], [100, 105, 110], strict=True):
        rows += [
            {"snapshot_date": day, "region": "china", "cumulative_downloads": china},
            {"snapshot_date": day, "region": "us", "cumulative_downloads": us},
        ]
    return pd.DataFrame(rows)


def overtake_frame(when) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": "all_models",
                "indicator": "cumulative",
                "leader": "china",
                "follower": "us",
                "overtake_date": when,
                "gap_at_last_date": 20_000_000,
                "is_ahead_since_first_date": False,
            }
        ]
    )


def test_cumulative_chart_marks_the_overtake(tmp_path):
    chart = charts.cumulative_by_region(region_frame(), overtake_frame(pd.Timestamp("2025-07-02")), tmp_path)
    assert _is_png(tmp_path / chart.file)
    assert "china has stayed ahead of us" in chart.reading and "2025-07-02" in chart.reading
    assert "20M" in chart.reading


def test_cumulative_chart_says_when_there_is_no_overtake(tmp_path):
    chart = charts.cumulative_by_region(region_frame(), overtake_frame(pd.NaT), tmp_path)
    assert chart.reading == "china has not durably overtaken us in cumulative downloads."


def test_monthly_shares_reading_names_the_leader(tmp_path):
    df = pd.DataFrame(
        {
            "month": [date(2025, 7, 1)] * 3 + [date(2025, 8, 1)] * 3,
            "region": ["china", "us", "eu"] * 2,
            "downloads_share": [0.5, 0.4, 0.1, 0.6, 0.3, 0.1],
        }
    )
    chart = charts.monthly_region_shares(df, tmp_path)
    assert _is_png(tmp_path / chart.file)
    assert chart.reading == "In 2025-08, china took 60% of downloads, us 30%."


def test_concentration_reading_uses_the_top_organization(tmp_path):
    df = pd.DataFrame(
        [
            {
                "month": date(2025, 8, 1),
                "entity_type": "organization",
                "top_n": 1,
                "top_n_share": 0.42,
                "hhi": 0.25,
                "largest_entity": "Alibaba Cloud",
            },
            {
                "month": date(2025, 8, 1),
                "entity_type": "model",
                "top_n": 1,
                "top_n_share": 0.1,
                "hhi": 0.05,
                "largest_entity": "Qwen/Qwen2.5-7B-Instruct",
            },
        ]
    )
    chart = charts.concentration(df, tmp_path)
    assert _is_png(tmp_path / chart.file)
    assert chart.reading == (
        "In 2025-08 the top 1 organization (Alibaba Cloud) had 42% of downloads; organization HHI 0.25."
    )


def test_empty_frames_draw_nothing(tmp_path):
    assert charts.top_families(pd.DataFrame(), tmp_path) is None
    assert charts.inference_share(pd.DataFrame(), tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_human_numbers():
    assert [charts.human(n) for n in (999, 1_500, 2_340_000, 1_150_000_000)] == [
        "999",
        "1.5K",
        "2.34M",
        "1.15B",
    ]


def test_key_numbers_state_the_last_day_and_the_overtake():
    data = ReportData(
        day=date(2025, 7, 3),
        frames={
            "region_daily": region_frame(),
            "overtake": overtake_frame(pd.Timestamp("2025-07-02")),
            "family_latest": pd.DataFrame(
                [{"family": "Qwen", "cumulative_downloads": 100, "cumulative_downloads_share": 0.4}]
            ),
        },
    )
    assert key_numbers(data) == {
        "cumulative downloads, china": "130",
        "cumulative downloads, us": "110",
        "china ahead of us (cumulative) since": "2025-07-02",
        "top family": "Qwen (40%)",
    }
