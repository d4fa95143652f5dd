-- Per captured day and region (the publishing organization's country bucket): the day's downloads
-- and the cumulative and trailing-30-day downloads of mainline models (each model carried forward
-- over days it is missing), with the region's share of the day's total of each.
with by_region as (
    select
        snapshot_date,
        region,
        cast(sum(downloads) as bigint) as downloads,
        cast(sum(cumulative_downloads) as bigint) as cumulative_downloads,
        cast(sum(trailing_30d_downloads) as bigint) as trailing_30d_downloads,
        count(*) as n_models,
        count(*) filter (where is_carried_forward) as n_models_carried_forward,
        count(*) filter (where trailing_30d_source = 'hub_rolling_30d') as n_models_trailing_from_hub
    from {{ ref('metrics_model_downloads_daily') }}
    group by snapshot_date, region
)

select
    *,
    downloads / nullif(sum(downloads) over same_day, 0) as downloads_share,
    cumulative_downloads / nullif(sum(cumulative_downloads) over same_day, 0) as cumulative_downloads_share,
    trailing_30d_downloads / nullif(sum(trailing_30d_downloads) over same_day, 0) as trailing_30d_downloads_share
from by_region
window same_day as (partition by snapshot_date)
