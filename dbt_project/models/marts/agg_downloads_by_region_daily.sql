-- Per capture day and region: the day's downloads and the cumulative (all-time) downloads of
-- mainline models. Cumulative is each model's running maximum of `downloadsAllTime` carried
-- forward over days it is missing, so the first captured day already carries history.
with capture_days as (
    select distinct snapshot_date from {{ ref('fct_model_downloads_daily') }}
),

mainline as (
    select model_uid, region from {{ ref('dim_models') }} where is_mainline
),

observed as (
    select facts.model_uid, facts.snapshot_date, facts.cumulative_downloads, facts.downloads_delta
    from {{ ref('fct_model_downloads_daily') }} as facts
    inner join mainline using (model_uid)
),

carried as (
    select
        capture_days.snapshot_date,
        mainline.model_uid,
        mainline.region,
        observed.snapshot_date as observed_on,
        observed.cumulative_downloads
    from capture_days
    cross join mainline
    asof inner join observed
        on observed.model_uid = mainline.model_uid
        and observed.snapshot_date <= capture_days.snapshot_date
)

select
    carried.snapshot_date,
    carried.region,
    coalesce(sum(today.downloads_delta), 0) as downloads,
    sum(carried.cumulative_downloads) as cumulative_downloads,
    count(*) as n_models,
    count(*) filter (where carried.observed_on < carried.snapshot_date) as n_models_carried_forward
from carried
left join observed as today
    on today.model_uid = carried.model_uid and today.snapshot_date = carried.snapshot_date
group by carried.snapshot_date, carried.region
