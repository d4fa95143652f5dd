"""Report charts on hand-made frames: real PNGs, readings that state the numbers."""

from __future__ import annotations

from datetime import date

import matplotlib.dates as mdates
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from atom_dagster.report import charts
from atom_dagster.report.build import _section, key_numbers
from atom_dagster.report.charts import color_for
from atom_dagster.report.data import ReportData

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE and mpimg.imread(path).shape[0] > 100


def region_frame() -> pd.DataFrame:
    days = pd.to_datetime(["2025-07-01", "2025-07-02", "2025-07-03"]).date
    rows = []
    for day, china, us in zip(days, [90, 110, 130], [100, 105, 110], strict=True):
        rows += [
            # Tracked = downloads since the tracking start (us had 50 before it, china 10).
            {
                "snapshot_date": day,
                "region": "china",
                "cumulative_downloads": china,
                "tracked_cumulative_downloads": china - 10,
            },
            {
                "snapshot_date": day,
                "region": "us",
                "cumulative_downloads": us,
                "tracked_cumulative_downloads": us - 50,
            },
        ]
    return pd.DataFrame(rows)


def overtake_frame(when) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": "all_models",
                "indicator": "tracked_cumulative",
                "is_headline": True,
                "tracking_start": date(2023, 11, 1),
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
    assert chart.reading.startswith("china has not durably overtaken us in tracked downloads.")
    assert chart.title == "Tracked downloads by region since 2023-11-01"


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


def test_the_estimated_stretch_is_shaded_and_said(tmp_path, monkeypatch):
    df = region_frame()
    df["n_models_estimated"] = [1, 1, 1, 0, 0, 0]  # 07-01 and 07-02 rest on the 30-day estimate
    spans = []
    real = charts._shade_estimated
    monkeypatch.setattr(
        charts, "_shade_estimated", lambda ax, days: spans.append(list(days)) or real(ax, days)
    )
    chart = charts.cumulative_by_region(df, overtake_frame(pd.NaT), tmp_path)
    assert _is_png(tmp_path / chart.file) and charts.ESTIMATED_NOTE in chart.reading
    assert spans == [list(pd.to_datetime(["2025-07-01", "2025-07-02"]))]
    # Without estimated days: nothing said, nothing shaded.
    df["n_models_estimated"] = 0
    assert (
        charts.ESTIMATED_NOTE not in charts.cumulative_by_region(df, overtake_frame(pd.NaT), tmp_path).reading
    )


def test_estimated_months_are_hatched_and_said(tmp_path):
    df = pd.DataFrame(
        {
            "month": [date(2025, 1, 1)] * 2 + [date(2025, 3, 1)] * 2,
            "region": ["china", "us"] * 2,
            "downloads_share": [0.4, 0.6, 0.5, 0.5],
            "n_models_estimated": [3, 2, 0, 0],
        }
    )
    chart = charts.monthly_region_shares(df, tmp_path)
    assert "Hatched months: estimated" in chart.reading
    assert list(charts.estimated_periods(df, "month")) == [pd.Timestamp("2025-01-01")]


def concentration_frame(months: list[date]) -> pd.DataFrame:
    rows = []
    for i, month in enumerate(months):
        rows += [
            {
                "month": month,
                "entity_type": "organization",
                "top_n": 1,
                "top_n_share": 0.42 + i / 100,
                "hhi": 0.25,
                "largest_entity": "Alibaba Cloud",
            },
            {
                "month": month,
                "entity_type": "model",
                "top_n": 1,
                "top_n_share": 0.1,
                "hhi": 0.05,
                "largest_entity": "Qwen/Qwen2.5-7B-Instruct",
            },
        ]
    return pd.DataFrame(rows)


def test_concentration_reading_uses_the_top_organization(tmp_path):
    chart = charts.concentration(concentration_frame([date(2025, 7, 1), date(2025, 8, 1)]), tmp_path)
    assert _is_png(tmp_path / chart.file)
    assert chart.reading == (
        "In 2025-08 the top 1 organization (Alibaba Cloud) had 43% of downloads; organization HHI 0.25."
    )


@pytest.fixture
def drawn(monkeypatch) -> dict:
    """The charts' figures by file name, kept open instead of written (no PNG: fast)."""
    figures: dict = {}

    def keep(fig, _out_dir, name: str) -> str:
        figures[name] = fig
        return name

    monkeypatch.setattr(charts, "_save", keep)
    yield figures
    for fig in figures.values():
        plt.close(fig)


def _colors(ax) -> dict[str, str]:
    """Label -> colour of an axes' lines and stacked areas, and of its horizontal bars by tick label."""
    out = {line.get_label(): to_hex(line.get_color()) for line in ax.get_lines()}
    out |= {area.get_label(): to_hex(area.get_facecolor()[0]) for area in ax.collections}
    bars = zip(ax.get_yticklabels(), ax.patches, strict=False) if ax.patches else []
    return out | {tick.get_text(): to_hex(bar.get_facecolor()) for tick, bar in bars}


def derivative_frame(months: list[date]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"month": m, "base": base, "share": share, "n_derivatives": 10}
            for m in months
            for base, share in (("Qwen", 0.6), ("Llama", 0.3), ("Granite", 0.1))
        ]
    )


def test_derivative_reading_names_the_full_hub_snapshot(tmp_path):
    df = derivative_frame([date(2023, 6, 1), date(2024, 1, 1), date(2026, 11, 1)])
    df["full_hub_snapshot_of"] = [date(2024, 1, 20) if m < date(2026, 1, 1) else None for m in df["month"]]
    chart = charts.derivative_share_by_family(df, tmp_path)
    assert "Months up to 2024-01-20 come from the hub-stats snapshot of that day" in chart.reading
    assert "deleted repositories are not counted" in chart.reading
    assert (
        "hub-stats snapshot"
        not in charts.derivative_share_by_family(derivative_frame([date(2024, 1, 1)]), tmp_path).reading
    )


def inference_frame(days: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"snapshot_date": pd.Timestamp(d).date(), "inference_category": c, "token_share": s}
            for d in days
            for c, s in (("closed", 0.5), ("china", 0.3), ("not_in_catalogue", 0.2))
        ]
    )


def test_x_axes_run_from_the_first_to_the_last_date_of_the_data(drawn, tmp_path):
    charts.cumulative_by_region(region_frame(), overtake_frame(pd.Timestamp("2025-07-02")), tmp_path)
    charts.inference_share(inference_frame(["2026-10-01", "2026-10-28"]), tmp_path)
    charts.derivative_share_by_family(derivative_frame([date(2024, 1, 1), date(2024, 6, 1)]), tmp_path)
    charts.concentration(concentration_frame([date(2025, 7, 1), date(2025, 8, 1)]), tmp_path)
    spans = {
        name: tuple(mdates.num2date(x).date() for x in fig.axes[0].get_xlim()) for name, fig in drawn.items()
    }
    assert spans == {
        "cumulative_by_region.png": (date(2025, 7, 1), date(2025, 7, 3)),
        "inference_share.png": (date(2026, 10, 1), date(2026, 10, 28)),
        "derivative_share_by_family.png": (date(2024, 1, 1), date(2024, 6, 1)),
        "concentration.png": (date(2025, 7, 1), date(2025, 8, 1)),
    }


def test_a_category_has_the_same_colour_in_every_chart(drawn, tmp_path):
    families = pd.DataFrame(
        {"family": ["Qwen", "Llama", "Granite"], "cumulative_downloads": [300, 200, 100]}
    ).assign(cumulative_downloads_share=lambda d: d["cumulative_downloads"] / 600)
    charts.top_families(families, tmp_path)
    charts.derivative_share_by_family(derivative_frame([date(2024, 1, 1), date(2024, 6, 1)]), tmp_path)
    charts.cumulative_by_region(region_frame(), overtake_frame(pd.NaT), tmp_path)
    charts.inference_share(inference_frame(["2026-10-01", "2026-10-02"]), tmp_path)
    seen = {name: _colors(fig.axes[0]) for name, fig in drawn.items()}
    for name in ("Qwen", "Llama", "Granite"):
        assert (
            seen["top_families.png"][name] == seen["derivative_share_by_family.png"][name] == color_for(name)
        )
    for region in ("china", "us"):
        assert seen["cumulative_by_region.png"][region] == color_for(region)
    assert seen["inference_share.png"]["china"] == color_for("china")
    assert seen["inference_share.png"]["not_in_catalogue"] != color_for("china")


def test_a_single_month_is_shown_as_values_not_a_bar(tmp_path):
    df = pd.DataFrame(
        {
            "month": [date(2026, 10, 1)] * 3,
            "region": ["us", "china", "eu"],
            "downloads_share": [0.3, 0.6, 0.1],
        }
    )
    chart = charts.monthly_region_shares(df, tmp_path)
    assert list(tmp_path.iterdir()) == []  # no PNG
    assert chart.file == ""
    assert chart.period == "Oct 2026 (the only month in the data)"
    assert chart.values == (("china", "60.0%"), ("us", "30.0%"), ("eu", "10.0%"))
    assert chart.reading == "In 2026-10, china took 60% of downloads, us 30%."
    page = _section(chart, "Monthly download share by region", "span", "source")
    assert "<img" not in page and '<table class="values"><caption>Oct 2026 (the only month' in page
    assert "china</th><td>60.0%</td>" in page
    single = charts.concentration(concentration_frame([date(2025, 8, 1)]), tmp_path)
    assert single.file == "" and single.values == (("organizations", "HHI 0.25"), ("models", "HHI 0.05"))
    assert charts.derivative_share_by_family(derivative_frame([date(2024, 1, 1)]), tmp_path).file == ""


def test_a_single_day_is_shown_as_values(tmp_path):
    one_day = region_frame().head(2).assign(tracked_cumulative_downloads=[2_500_000_000_000, 31_200_000])
    chart = charts.cumulative_by_region(one_day, overtake_frame(pd.NaT), tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert chart.values == (("china", "2.5T"), ("us", "31.2M"))
    assert chart.period == "2025-07-01 (the only day in the data)"


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
        "tracked downloads since 2023-11-01, china": "120",
        "all-time downloads, china": "130",
        "tracked downloads since 2023-11-01, us": "60",
        "all-time downloads, us": "110",
        "china ahead of us (tracked downloads since 2023-11-01) from": "2025-07-02",
        "top family (share of all-time downloads)": "Qwen (40%)",
    }


def test_a_report_without_ram_scores_says_why():
    from atom_dagster.report.build import ram_without_scores

    reasons = pd.DataFrame(
        {
            "no_score_reason": ["history_starts_after_checkpoint", "too_few_models_in_bucket"],
            "n_models": [560, 8],
        }
    )
    text = ram_without_scores(pd.DataFrame(), reasons)
    assert "No model has a score yet" in text
    assert "<li>released before the captured history starts: 560 model(s)</li>" in text
    assert "fewer than 10 models of their size bucket" in text and ": 8 model(s)" in text
    # Scores exist: the table says it all.
    assert ram_without_scores(pd.DataFrame({"score": [1.2]}), reasons) == ""
