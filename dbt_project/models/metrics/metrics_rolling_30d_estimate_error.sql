-- How good the estimate of the months before `downloadsAllTime` is, measured where both counters
-- exist: for every model captured with `downloadsAllTime` on day d and exactly 30 days earlier, the
-- Hub's 30-day rolling count on d (what the estimate uses) against the growth of the cumulative
-- counter over the same 30 days (what it stands for). One row per day d and scope (`all` captured
-- models, `mainline`). fct_model_downloads_daily's estimated cumulative count k windows back adds up
-- k such windows, so its error is at most the sum of theirs.
with counted as (
    select model_uid, snapshot_date, downloads_30d, cumulative_downloads
    from {{ ref('fct_model_downloads_daily') }}
    where downloads_basis = 'all_time'
),

pairs as (
    select
        later.snapshot_date,
        later.model_uid,
        later.downloads_30d as rolling_30d,
        later.cumulative_downloads - earlier.cumulative_downloads as counter_growth
    from counted as later
    inner join counted as earlier
        on earlier.model_uid = later.model_uid
        and earlier.snapshot_date = cast({{ dbt.dateadd('day', -30, 'later.snapshot_date') }} as date)
    where later.downloads_30d is not null
),

scoped as (
    select pairs.*, 'all' as scope from pairs
    union all
    select pairs.*, 'mainline' as scope
    from pairs
    inner join {{ ref('dim_models') }} as models using (model_uid)
    where models.is_mainline
)

select
    snapshot_date,
    cast({{ dbt.dateadd('day', -30, 'snapshot_date') }} as date) as window_start,
    scope,
    count(*) as n_models,
    {{ safe_sum('counter_growth') }} as counter_growth,
    {{ safe_sum('rolling_30d') }} as rolling_30d,
    -- Error of the estimate summed over the models (what a region's or family's month sees).
    {{ divide('(' ~ safe_sum('rolling_30d') ~ ' - ' ~ safe_sum('counter_growth') ~ ')',
        'nullif(' ~ safe_sum('counter_growth') ~ ', 0)') }} as total_relative_error,
    -- Per model (models with some growth): the typical and the bad case.
    median(abs(rolling_30d - counter_growth) / counter_growth) filter (where counter_growth > 0)
        as median_abs_relative_error,
    {{ percentile_cont('abs(rolling_30d - counter_growth) / counter_growth', 0.9) }} filter (where counter_growth > 0)
        as p90_abs_relative_error,
    count(*) filter (where counter_growth > 0 and abs(rolling_30d - counter_growth) <= 0.1 * counter_growth)
        / nullif(count(*) filter (where counter_growth > 0), 0) as share_within_10_percent
from scoped
group by snapshot_date, scope
