-- Per calendar month and publishing organization (all its namespaces together): the month's
-- downloads, and the cumulative and trailing-30-day downloads of mainline models on the month's
-- last captured day, with the organization's share of the month's total of each.
with by_organization as (
    select
        month,
        organization,
        cast(sum(downloads) as bigint) as downloads,
        cast(sum(cumulative_downloads) as bigint) as cumulative_downloads,
        cast(sum(trailing_30d_downloads) as bigint) as trailing_30d_downloads,
        count(*) as n_models,
        max(month_end_date) as month_end_date,
        max(n_capture_days) as n_capture_days
    from {{ ref('metrics_model_downloads_monthly') }}
    group by month, organization
)

select
    *,
    downloads / nullif(sum(downloads) over same_month, 0) as downloads_share,
    cumulative_downloads / nullif(sum(cumulative_downloads) over same_month, 0) as cumulative_downloads_share,
    trailing_30d_downloads / nullif(sum(trailing_30d_downloads) over same_month, 0) as trailing_30d_downloads_share
from by_organization
window same_month as (partition by month)
