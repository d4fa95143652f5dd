"""Read what the report shows from the warehouse (read-only, after dbt has finished)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

# Each frame the report uses: name -> SQL over the marts, limited to days up to the partition.
QUERIES: dict[str, str] = {
    "region_daily": """
        select snapshot_date, region, downloads, cumulative_downloads, tracked_cumulative_downloads,
               trailing_30d_downloads, cumulative_downloads_share, tracked_cumulative_downloads_share,
               n_models_estimated
        from metrics_downloads_by_region_daily where snapshot_date <= $day order by snapshot_date, region""",
    "region_monthly": """
        select month, region, downloads, downloads_share, n_models_estimated
        from metrics_downloads_by_region_monthly where month <= $day order by month, region""",
    "family_latest": """
        select family, cumulative_downloads, cumulative_downloads_share
        from metrics_downloads_by_family_daily
        where snapshot_date = (select max(snapshot_date) from metrics_downloads_by_family_daily
                               where snapshot_date <= $day)
        order by cumulative_downloads desc""",
    "overtake": """
        select scenario, indicator, is_headline, tracking_start, leader, follower, removed_leader_family,
               removed_follower_family, overtake_date, is_ahead_since_first_date, gap_at_last_date,
               n_lead_changes, first_date, last_date
        from metrics_overtake order by scenario, indicator""",
    "ram_leaders": """
        with scored as (
            select size_bucket, size_bucket_order, checkpoint_days, model_id, organization, region, score,
                   cumulative_downloads,
                   row_number() over (
                       partition by size_bucket, checkpoint_days order by score desc, model_id
                   ) as r
            from metrics_relative_adoption
            where baseline = 'median_top_n' and score is not null and checkpoint_date <= $day
        ),
        deepest as (
            select size_bucket, max(checkpoint_days) as checkpoint_days
            from scored where checkpoint_days <= 30 group by size_bucket
        )
        select scored.* exclude (r), r as rank
        from scored inner join deepest using (size_bucket, checkpoint_days)
        where r <= 3 order by size_bucket_order, rank""",
    # Why models have no RAM score (distinct models per reason), for a section with no score.
    "ram_no_score": """
        select no_score_reason, count(distinct model_uid) as n_models
        from metrics_relative_adoption
        where baseline = 'median_top_n' and checkpoint_date <= $day and no_score_reason is not null
        group by no_score_reason order by n_models desc, no_score_reason""",
    "derivative_shares": """
        select month, base, share, n_derivatives, full_hub_snapshot_of
        from metrics_derivative_shares_monthly
        where breakdown = 'family' and relation = 'all' and month <= $day
        order by month, share desc""",
    "concentration": """
        select month, entity_type, top_n, top_n_share, hhi, largest_entity
        from metrics_concentration_monthly where month <= $day order by month, entity_type, top_n""",
    "inference_share": """
        select snapshot_date, inference_category, token_share, total_tokens, source_attribution
        from agg_inference_share_by_region_daily where snapshot_date <= $day
        order by snapshot_date, sort_order""",
    "inference_top_open": """
        select hub_model_id, organization, region, sum(total_tokens) as total_tokens
        from fct_inference_tokens_daily
        where is_open_weights and hub_model_id is not null and snapshot_date <= $day
        group by all order by total_tokens desc limit 10""",
    # The keyed models (a table: every landed day's rows), not the staging view over the raw
    # Parquet, which a Spark-built warehouse file does not hold (atom_dagster/spark_catalog.py).
    "capture": """
        select min(snapshot_date) as first_day, max(snapshot_date) as last_day,
               count(distinct snapshot_date) as n_days, bool_or(capture_source = 'demo') as synthetic,
               string_agg(distinct capture_source, ', ') as sources
        from int_hub__models_keyed where snapshot_date <= $day""",
}


@dataclass
class ReportData:
    """The frames of one report, and the tables that were not there to read."""

    day: date
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())


def load_report_data(con: duckdb.DuckDBPyConnection, day: date) -> ReportData:
    """Run every query for ``day`` on a warehouse connection; a missing mart leaves an empty frame
    and a note, not a crash."""
    data = ReportData(day=day)
    for name, sql in QUERIES.items():
        try:
            params = {"day": day} if "$day" in sql else {}
            data.frames[name] = con.execute(sql, params).df()
        except duckdb.CatalogException as exc:
            data.missing[name] = str(exc).splitlines()[0]
            data.frames[name] = pd.DataFrame()
    return data
