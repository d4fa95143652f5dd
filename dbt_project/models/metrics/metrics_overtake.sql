-- The overtake: the first captured day from which the leader region's downloads stay above the
-- follower's on every later captured day, and the gap on the last day. Regions are the vars
-- `overtake_leader` / `overtake_follower`. If the lead was lost and retaken, the date is the last
-- retake; if the leader is not ahead on the last day there is no date.
--
-- One row per scenario x indicator, so a reader sees what the finding rests on:
--   indicator: `tracked_cumulative` (downloads since var `tracking_start`: the headline, as the
--              report's "tracked downloads"), `cumulative` (all-time counters), `trailing_30d`, or
--              `cumulative_and_trailing_30d` (ahead on both at once);
--   scenario:  `all_models`, or without the top family (largest cumulative downloads on the
--              last day) of the leader, of the follower, or of both.
{% set leader = var('overtake_leader') %}
{% set follower = var('overtake_follower') %}

with models as (
    select snapshot_date, region, family, cumulative_downloads, tracked_cumulative_downloads, trailing_30d_downloads
    from {{ ref('metrics_model_downloads_daily') }}
),

capture_days as (
    select distinct snapshot_date from models
),

last_day as (
    select max(snapshot_date) as last_date from capture_days
),

family_totals as (
    select models.region, models.family, {{ safe_sum('models.cumulative_downloads') }} as cumulative_downloads
    from models
    inner join last_day on models.snapshot_date = last_day.last_date
    where models.region in ('{{ leader }}', '{{ follower }}')
    group by models.region, models.family
),

top_families as (
    select
        max(family) filter (where region = '{{ leader }}') as leader_family,
        max(family) filter (where region = '{{ follower }}') as follower_family
    from (
        select region, family
        from family_totals
        qualify row_number() over (partition by region order by cumulative_downloads desc, family) = 1
    ) as ranked
),

scenarios as (
    select 'all_models' as scenario, cast(null as string) as removed_leader_family,
        cast(null as string) as removed_follower_family
    union all
    select 'without_leader_top_family', leader_family, null from top_families
    union all
    select 'without_follower_top_family', null, follower_family from top_families
    union all
    select 'without_both_top_families', leader_family, follower_family from top_families
),

-- Each side's totals per scenario and captured day (0 when a side has no model that day).
series as (
    select
        scenarios.scenario,
        capture_days.snapshot_date,
        coalesce({{ safe_sum('models.cumulative_downloads') }} filter (where models.region = '{{ leader }}'), 0)
            as leader_cumulative,
        coalesce({{ safe_sum('models.cumulative_downloads') }} filter (where models.region = '{{ follower }}'), 0)
            as follower_cumulative,
        coalesce({{ safe_sum('models.tracked_cumulative_downloads') }} filter (where models.region = '{{ leader }}'), 0)
            as leader_tracked,
        coalesce({{ safe_sum('models.tracked_cumulative_downloads') }} filter (where models.region = '{{ follower }}'), 0)
            as follower_tracked,
        coalesce({{ safe_sum('models.trailing_30d_downloads') }} filter (where models.region = '{{ leader }}'), 0)
            as leader_trailing_30d,
        coalesce({{ safe_sum('models.trailing_30d_downloads') }} filter (where models.region = '{{ follower }}'), 0)
            as follower_trailing_30d
    from scenarios
    cross join capture_days
    left join models
        on models.snapshot_date = capture_days.snapshot_date
        and models.region in ('{{ leader }}', '{{ follower }}')
        and not coalesce(models.region = '{{ leader }}' and models.family = scenarios.removed_leader_family, false)
        and not coalesce(
            models.region = '{{ follower }}' and models.family = scenarios.removed_follower_family, false
        )
    group by scenarios.scenario, capture_days.snapshot_date
),

indicators as (
    select scenario, snapshot_date, 'tracked_cumulative' as indicator,
        leader_tracked as leader_value, follower_tracked as follower_value,
        leader_tracked > follower_tracked as leader_ahead
    from series
    union all
    select scenario, snapshot_date, 'cumulative',
        leader_cumulative as leader_value, follower_cumulative as follower_value,
        leader_cumulative > follower_cumulative as leader_ahead
    from series
    union all
    select scenario, snapshot_date, 'trailing_30d',
        leader_trailing_30d, follower_trailing_30d,
        leader_trailing_30d > follower_trailing_30d
    from series
    union all
    -- Both indicators at once; the values shown are the cumulative ones.
    select scenario, snapshot_date, 'cumulative_and_trailing_30d',
        leader_cumulative, follower_cumulative,
        leader_cumulative > follower_cumulative and leader_trailing_30d > follower_trailing_30d
    from series
),

flagged as (
    select
        *,
        leader_ahead <> lag(leader_ahead) over by_day as lead_changed,
        -- The leader's lead counts only if it holds from here to the last day: the overtake is
        -- the first day after the last day it was not ahead.
        max(case when not leader_ahead then snapshot_date end) over (partition by scenario, indicator)
            as last_date_not_ahead
    from indicators
    window by_day as (partition by scenario, indicator order by snapshot_date)
),

summary as (
    select
        scenario,
        indicator,
        min(snapshot_date) as first_date,
        max(snapshot_date) as last_date,
        any_value(last_date_not_ahead) as last_date_not_ahead,
        -- Null when the leader is behind on the last day (no sustained overtake).
        min(snapshot_date) filter (
            where last_date_not_ahead is null or snapshot_date > last_date_not_ahead
        ) as overtake_date,
        max_by(leader_value, snapshot_date) as leader_value_at_last_date,
        max_by(follower_value, snapshot_date) as follower_value_at_last_date,
        count(*) filter (where lead_changed) as n_lead_changes,
        count(*) as n_capture_days
    from flagged
    group by scenario, indicator
)

select
    summary.scenario,
    summary.indicator,
    summary.scenario = 'all_models' and summary.indicator = 'tracked_cumulative' as is_headline,
    date '{{ var("tracking_start") }}' as tracking_start,
    '{{ leader }}' as leader,
    '{{ follower }}' as follower,
    scenarios.removed_leader_family,
    scenarios.removed_follower_family,
    summary.overtake_date,
    summary.overtake_date is not null and summary.last_date_not_ahead is null as is_ahead_since_first_date,
    {{ days_between('summary.overtake_date', 'summary.last_date') }} as days_ahead,
    at_overtake.leader_value - at_overtake.follower_value as gap_at_overtake_date,
    summary.leader_value_at_last_date,
    summary.follower_value_at_last_date,
    summary.leader_value_at_last_date - summary.follower_value_at_last_date as gap_at_last_date,
    summary.n_lead_changes,
    summary.first_date,
    summary.last_date,
    summary.n_capture_days
from summary
inner join scenarios on scenarios.scenario = summary.scenario
left join flagged as at_overtake
    on at_overtake.scenario = summary.scenario
    and at_overtake.indicator = summary.indicator
    and at_overtake.snapshot_date = summary.overtake_date
