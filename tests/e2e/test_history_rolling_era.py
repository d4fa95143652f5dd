"""End to end: the months before `downloadsAllTime`, estimated from 30-day rolling counts, by hand.

Five hub-stats days through Dagster (column reads over a MockTransport). The first three are of
the era `parquet_without_downloads_all_time` (the 2024-11 column set: only the rolling `downloads`),
the last two have `downloadsAllTime`; 2025-02-26 is the first such day (the anchor A):

  day            era       Qwen (china)                      Llama (us)
  2024-12-28     rolling   downloads 60_000                  downloads 500
  2025-01-27     rolling   downloads 80_000                  -  (not in the file)
  2025-02-11     rolling   downloads 90_000 (off the chain)  downloads 550
  2025-02-26  A  all-time  1_000_000, downloads 100_000      5_000_000, downloads 600
  2025-03-28     all-time  1_120_000, downloads 110_000      5_000_700, downloads 700

Qwen's estimated counts: 01-27 = 1_000_000 - 100_000 = 900_000; 12-28 = 900_000 - 80_000 =
820_000. 02-11 is not 30k days before A: its window overlaps the chain's, no row. Llama misses
01-27, so its 12-28 cannot be estimated. Where both counters exist (03-28 against A): Qwen grew
120_000 and its rolling count says 110_000; Llama grew 700 and says 700.

The last day's file also holds three derivatives (kept: their tags name a tracked parent), created
long before the first landed day: a Llama fine-tune of 2024-08 and two Qwen derivatives of 2024-10.
That one snapshot gives the derivative shares of those creation months.
"""

from __future__ import annotations

import duckdb
import pytest

from atom_dagster.settings import load_settings
from tests.fixtures.history.hub_stats import HubStatsServer, commit_item, install, model, write_models_parquet

QWEN, LLAMA = "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"
# day -> (schema, {model: (downloadsAllTime, downloads)})
DAYS = {
    "2024-12-28": ("parquet_2024_11", {QWEN: (None, 60_000), LLAMA: (None, 500)}),
    "2025-01-27": ("parquet_2024_11", {QWEN: (None, 80_000)}),
    "2025-02-11": ("parquet_2024_11", {QWEN: (None, 90_000), LLAMA: (None, 550)}),
    "2025-02-26": ("new", {QWEN: (1_000_000, 100_000), LLAMA: (5_000_000, 600)}),
    "2025-03-28": ("new", {QWEN: (1_120_000, 110_000), LLAMA: (5_000_700, 700)}),
}
LAST = "2025-03-28"
DERIVATIVES = [
    ("someuser/llama-sft", 40, "2024-08-01T00:00:00Z", ("finetune", LLAMA)),
    ("someuser/qwen-q4", 30, "2024-10-05T00:00:00Z", ("quantized", QWEN)),
    ("other/qwen-sft", 20, "2024-10-20T00:00:00Z", ("finetune", QWEN)),
]
UIDS = {QWEN: "a" * 24, LLAMA: "c" * 24}
CREATED = {QWEN: "2024-09-16T11:55:40Z", LLAMA: "2024-07-18T08:56:00Z"}


@pytest.fixture(scope="module")
def rolling_pipeline(tmp_path_factory, dbt_manifest):
    from atom_dagster.runner import backfill

    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("rolling")
    commits, files = [], {}
    for i, (day, (schema, counts)) in enumerate(DAYS.items()):
        rev = f"{i:02d}" + "b" * 38
        rows = []
        for model_id, (all_time, rolling) in counts.items():
            row = model(model_id, all_time or 0, CREATED[model_id], uid=UIDS[model_id])
            row["downloadsAllTime"], row["downloads"] = all_time, rolling
            rows.append(row)
        if day == LAST:
            rows += [model(*args, base=base) for *args, base in DERIVATIVES]
        path = write_models_parquet(root / "hub" / rev / "models.parquet", rows, schema=schema)
        commits.append(commit_item(rev, f"{day}T06:30:00.000Z"))
        files[rev] = (path, rev, f"{day}T06:30:00.000Z")
    _, restore = install(mp, HubStatsServer(list(reversed(commits)), files))
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
            "ATOM_HISTORY": "hub-stats",
        }
    )
    try:
        # Two windows, as a user would run them: the rolling months first (no anchor yet: nothing
        # to estimate from, so no fact rows), then the days with the counter, whose incremental
        # build must reach back and estimate the earlier days.
        days = list(DAYS)
        for window in (days[:3], days[3:]):
            summary = backfill(settings, window, log=lambda _m: None)
            assert summary.failed == {}, summary.failed
            assert summary.dbt_succeeded, summary.dbt_message
            if window == days[:3]:
                assert query(settings, "select count(*) from fct_model_downloads_daily") == [(0,)]
        yield settings
    finally:
        restore()
        mp.undo()


def query(settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_the_rolling_era_lands_with_a_null_counter(rolling_pipeline):
    rows = query(
        rolling_pipeline,
        "select snapshot_date::varchar, model_id, downloads_all_time, downloads_30d from stg_hub__models"
        " where snapshot_date < '2025-02-26' order by 1, 2",
    )
    assert rows == [
        ("2024-12-28", QWEN, None, 60_000),
        ("2024-12-28", LLAMA, None, 500),
        ("2025-01-27", QWEN, None, 80_000),
        ("2025-02-11", QWEN, None, 90_000),
        ("2025-02-11", LLAMA, None, 550),
    ]


def test_cumulative_counts_are_estimated_back_from_the_anchor(rolling_pipeline):
    rows = query(
        rolling_pipeline,
        """select model_id, snapshot_date::varchar, downloads_basis, is_estimated, cumulative_downloads,
                  downloads_delta
           from fct_model_downloads_daily where model_id in ($1, $2) order by 1, 2""",
        [QWEN, LLAMA],
    )
    assert rows == [
        (QWEN, "2024-12-28", "estimated_rolling_30d", True, 820_000, None),
        (QWEN, "2025-01-27", "estimated_rolling_30d", True, 900_000, 80_000),
        (QWEN, "2025-02-26", "all_time", True, 1_000_000, 100_000),  # the delta rests on an estimate
        (QWEN, "2025-03-28", "all_time", False, 1_120_000, 120_000),
        (LLAMA, "2025-02-26", "all_time", False, 5_000_000, None),  # 01-27 missing: no estimate before
        (LLAMA, "2025-03-28", "all_time", False, 5_000_700, 700),
    ]


def test_the_region_series_starts_in_the_estimated_months_and_says_so(rolling_pipeline):
    rows = query(
        rolling_pipeline,
        """select snapshot_date::varchar, region, downloads, cumulative_downloads, n_models_estimated
           from metrics_downloads_by_region_daily order by 1, 2""",
    )
    assert rows == [
        ("2024-12-28", "china", 0, 820_000, 1),
        ("2025-01-27", "china", 80_000, 900_000, 1),
        ("2025-02-26", "china", 100_000, 1_000_000, 1),
        ("2025-02-26", "us", 0, 5_000_000, 0),
        ("2025-03-28", "china", 120_000, 1_120_000, 0),
        ("2025-03-28", "us", 700, 5_000_700, 0),
    ]
    monthly = query(
        rolling_pipeline,
        "select month::varchar, region, downloads, n_models_estimated"
        " from metrics_downloads_by_region_monthly order by 1, 2",
    )
    assert monthly[0] == ("2024-12-01", "china", 0, 1) and ("2025-03-01", "us", 700, 0) in monthly
    page = (rolling_pipeline.data_dir / "report" / "2025-03-28" / "index.html").read_text()
    assert "Shaded: estimated from the Hub" in page and "30-day rolling counts" in page


def test_the_estimate_error_is_measured_where_both_counters_exist(rolling_pipeline):
    rows = query(
        rolling_pipeline,
        """select snapshot_date::varchar, scope, n_models, counter_growth, rolling_30d,
                  round(total_relative_error, 6), share_within_10_percent
           from metrics_rolling_30d_estimate_error order by 1, 2""",
    )
    assert rows == [
        ("2025-03-28", "all", 2, 120_700, 110_700, round(-10_000 / 120_700, 6), 1.0),
        ("2025-03-28", "mainline", 2, 120_700, 110_700, round(-10_000 / 120_700, 6), 1.0),
    ]


def test_one_snapshot_gives_the_derivative_shares_of_earlier_creation_months(rolling_pipeline):
    rows = query(
        rolling_pipeline,
        """select month::varchar, base, n_derivatives, share, full_hub_snapshot_of::varchar, n_listing_days
           from metrics_derivative_shares_monthly
           where relation = 'all' and breakdown = 'family' order by 1, 2""",
    )
    assert [r[:4] for r in rows] == [("2024-08-01", "Llama", 1, 1.0), ("2024-10-01", "Qwen", 2, 1.0)]
    # Both months are complete as of the snapshot (less repositories deleted before it).
    assert {(r[4], r[5]) for r in rows} == {(LAST, 0)}
