-- Per capture day and region: the day's downloads and the cumulative (all-time) downloads of
-- mainline models. Cumulative is each model's running maximum of `downloadsAllTime` carried
-- forward over days it is missing, so the first captured day already carries history.
--
-- A model that ended (the old `_id` of a re-created repository, `dim_models.superseded_on`) is
-- counted up to the day before its successor appears and not carried forward after: a repo id
-- counts once per day. Its last cumulative count moves to `ended_cumulative_downloads` instead, so
-- cumulative_downloads + ended_cumulative_downloads never decreases (tested), while
-- cumulative_downloads alone may drop when a re-created repository restarts its counter.
-- Sums use safe_sum (no overflow however large the counters).
with capture_days as (
    select distinct snapshot_date from {{ ref('fct_model_downloads_daily') }}
),

mainline as (
    select model_uid, region, superseded_on from {{ ref('dim_models') }} where is_mainline
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
        coalesce(capture_days.snapshot_date >= mainline.superseded_on, false) as has_ended,
        observed.snapshot_date as observed_on,
        observed.cumulative_downloads
    from capture_days
    cross join mainline
    {{ asof_join('inner', 'observed', 'observed', 'observed.model_uid = mainline.model_uid',
        'snapshot_date', '<=', 'capture_days.snapshot_date') }}
)

select
    carried.snapshot_date,
    carried.region,
    coalesce({{ safe_sum('today.downloads_delta') }}, 0) as downloads,
    coalesce({{ safe_sum('carried.cumulative_downloads') }} filter (where not carried.has_ended), 0)
        as cumulative_downloads,
    count(*) filter (where not carried.has_ended) as n_models,
    count(*) filter (where not carried.has_ended and carried.observed_on < carried.snapshot_date)
        as n_models_carried_forward,
    coalesce({{ safe_sum('carried.cumulative_downloads') }} filter (where carried.has_ended), 0)
        as ended_cumulative_downloads
from carried
left join observed as today
    on today.model_uid = carried.model_uid and today.snapshot_date = carried.snapshot_date
group by carried.snapshot_date, carried.region
-- A region whose every model has ended has nothing counted that day: no row.
having count(*) filter (where not carried.has_ended) > 0
