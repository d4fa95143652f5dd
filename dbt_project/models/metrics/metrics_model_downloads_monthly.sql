-- One row per month and mainline model (from the month of its first snapshot): the month's
-- downloads, and its cumulative and trailing-30-day downloads on the month's last captured day.
-- Months are calendar months of the capture days; a month only partly captured says so.
with daily as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month
    from {{ ref('metrics_model_downloads_daily') }}
),

capture_months as (
    select
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month,
        max(snapshot_date) as last_capture_date,
        count(distinct snapshot_date) as n_capture_days
    from {{ ref('fct_model_downloads_daily') }}
    group by 1
)

select
    daily.month,
    daily.model_uid,
    daily.model_id,
    daily.organization,
    daily.family,
    daily.region,
    daily.size_bucket,
    {{ safe_sum('daily.downloads') }} as downloads,
    max_by(daily.cumulative_downloads, daily.snapshot_date) as cumulative_downloads,
    max_by(daily.tracked_cumulative_downloads, daily.snapshot_date) as tracked_cumulative_downloads,
    max_by(daily.trailing_30d_downloads, daily.snapshot_date) as trailing_30d_downloads,
    count(*) filter (where not daily.is_carried_forward) as n_days_observed,
    bool_or(daily.is_estimated) as is_estimated,
    any_value(capture_months.last_capture_date) as month_end_date,
    any_value(capture_months.n_capture_days) as n_capture_days
from daily
inner join capture_months on capture_months.month = daily.month
group by
    daily.month, daily.model_uid, daily.model_id, daily.organization, daily.family, daily.region,
    daily.size_bucket
