{{
    config(
        materialized='incremental' if deletes_in_place() else 'table',
        incremental_strategy='delete+insert',
        unique_key=['model_uid', 'snapshot_date'],
        on_schema_change='fail',
        post_hook=[] if not deletes_in_place() else [
            "delete from {{ this }} as stored where not exists (
                select 1 from {{ ref('int_hub__models_keyed') }} as keyed
                where keyed.model_uid = stored.model_uid and keyed.snapshot_date = stored.snapshot_date)",
            "delete from {{ this }} as stored where stored.downloads_basis = 'estimated_rolling_30d'
                and not exists (
                    select 1 from {{ this }} as anchor
                    where anchor.model_uid = stored.model_uid and anchor.downloads_basis = 'all_time'
                        and anchor.snapshot_date = (select min(snapshot_date) from {{ this }} where downloads_basis = 'all_time')
                        and anchor.snapshot_date > stored.snapshot_date
                        and date_diff('day', stored.snapshot_date, anchor.snapshot_date) % 30 = 0)",
        ],
    )
}}
-- Daily downloads per model, one row per model (`model_uid` as resolved in int_hub__models_keyed)
-- and captured day.
--
-- The Hub's `downloadsAllTime` is cumulative but occasionally revised downwards. We keep each
-- model's running maximum as its cumulative count, so a revision never produces a negative
-- day and the recovery after it is never counted twice; the day's downloads are the growth
-- of that running maximum since the model's previous snapshot (which spans any gap of
-- missing days, so nothing is double counted). History is read from the raw snapshots.
--
-- Incremental runs re-derive everything that depends on the landed days, so any order of
-- backfills (and re-landing a day in the middle) gives the same table as a full build:
--   * every day from the window's first day (var `min_date`, the earliest changed day) to the
--     last landed day is recomputed, not only the window [min_date, max_date): a changed day moves
--     the deltas, running maxima and previous snapshots of the days after it;
--   * a model whose stored days before the window no longer match int_hub__models_keyed (a day
--     stored under a surrogate `id:<repo id>` that now resolves to the real `_id`, e.g. the first
--     live day after a history backfill; a day the model no longer has, e.g. the old `_id` of a
--     re-created repository) is recomputed whole, under its current key;
--   * the post-hook deletes every stored row whose (model, day) int_hub__models_keyed no longer
--     has (the surrogate-keyed copies of re-keyed days, the dropped days), so a model has one series.
-- A full build (the first one, or --full-refresh) builds every landed day.
--
-- The months before `downloadsAllTime` (history days of hub-stats' era
-- parquet_without_downloads_all_time, 2024-07-24 .. 2025-02-25) have only `downloads`, a 30-day
-- rolling count. Their cumulative counts are estimated backwards from the first landed day with
-- `downloadsAllTime` (the anchor, A), along a chain of days 30 apart whose 30-day windows do not
-- overlap: cumulative(A - 30k) = downloadsAllTime(A) - downloads_30d(A) - downloads_30d(A - 30)
-- - ... - downloads_30d(A - 30(k-1)), clamped at 0. A model needs every chain day between and the
-- anchor itself (else no estimate: a repo deleted before A, or a gap in the chain). Such rows have
-- `downloads_basis = 'estimated_rolling_30d'`; rolling days off the chain (their windows overlap the
-- chain's) are not rows here. Every incremental run recomputes the chain (it hangs on the anchor),
-- and the second post-hook drops stored estimates the current anchor no longer supports.
-- Error of the estimate where both counters exist: metrics_rolling_30d_estimate_error.
with keyed_all as (
    select model_uid, model_id, snapshot_date, created_at, downloads_30d, downloads_all_time
    from {{ ref('int_hub__models_keyed') }}
),

anchor as (
    select min(snapshot_date) as anchor_date from keyed_all where downloads_all_time is not null
),

-- Rolling days on the chain ending at the anchor, each with its number of 30-day steps to it.
chain_days as (
    select distinct
        keyed_all.snapshot_date,
        {{ int_div(days_between('keyed_all.snapshot_date', 'anchor.anchor_date'), 30) }} as steps_to_anchor
    from keyed_all
    cross join anchor
    where keyed_all.downloads_all_time is null
        and keyed_all.snapshot_date < anchor.anchor_date
        and {{ days_between('keyed_all.snapshot_date', 'anchor.anchor_date') }} % 30 = 0
),

-- Per model: the anchor's counter and the chain's windows from each chain day up to the anchor.
chain as (
    select
        keyed_all.model_uid,
        keyed_all.snapshot_date,
        coalesce(chain_days.steps_to_anchor, 0) as steps_to_anchor,
        keyed_all.downloads_all_time,
        -- downloads in the windows after this day, up to and including the anchor's
        sum(keyed_all.downloads_30d) over later as downloads_after,
        count(keyed_all.downloads_30d) over later as windows_after,
        last_value(keyed_all.downloads_all_time) over whole as anchor_all_time
    from keyed_all
    cross join anchor
    left join chain_days using (snapshot_date)
    where keyed_all.snapshot_date = anchor.anchor_date or chain_days.snapshot_date is not null
    window
        later as (partition by keyed_all.model_uid order by keyed_all.snapshot_date
            rows between 1 following and unbounded following),
        whole as (partition by keyed_all.model_uid order by keyed_all.snapshot_date
            rows between unbounded preceding and unbounded following)
),

estimates as (
    select
        model_uid,
        snapshot_date,
        greatest(anchor_all_time - downloads_after, 0) as estimated_cumulative
    from chain
    where downloads_all_time is null
        and anchor_all_time is not null
        and windows_after = steps_to_anchor  -- every window between this day and the anchor
),

-- Every day's observations: a counter, or an estimate of one.
observed_all as (
    select
        keyed_all.*,
        coalesce(keyed_all.downloads_all_time, estimates.estimated_cumulative) as counter,
        case when keyed_all.downloads_all_time is null then 'estimated_rolling_30d' else 'all_time' end
            as downloads_basis
    from keyed_all
    left join estimates using (model_uid, snapshot_date)
    where keyed_all.downloads_all_time is not null or estimates.estimated_cumulative is not null
),
{%- if is_incremental() %}

-- Models whose stored days before the window differ from their days in int_hub__models_keyed.
stored_before_window as (
    select model_uid, snapshot_date from {{ this }}
    where snapshot_date < date '{{ partition_window("min_date") }}'
),

keyed_before_window as (
    select model_uid, snapshot_date from observed_all
    where snapshot_date < date '{{ partition_window("min_date") }}'
),

rekeyed_models as (
    select model_uid from (select * from keyed_before_window except select * from stored_before_window)
    union
    select model_uid from (select * from stored_before_window except select * from keyed_before_window)
),

-- Each other model's last stored row between the anchor and the window: it carries the series
-- into the window (its running maximum, counter and basis), so the days before it are not read.
seeds as (
    select
        stored.model_uid, stored.model_id, stored.snapshot_date, cast(null as timestamptz) as created_at,
        stored.downloads_30d, stored.downloads_all_time,
        stored.cumulative_downloads as counter, stored.downloads_basis
    from {{ this }} as stored
    cross join anchor
    where stored.snapshot_date < date '{{ partition_window("min_date") }}'
        and stored.snapshot_date > anchor.anchor_date
        and stored.model_uid not in (select model_uid from rekeyed_models)
    qualify row_number() over (partition by stored.model_uid order by stored.snapshot_date desc) = 1
),
{%- endif %}

-- The observations this build derives rows from: on an incremental run, the window's days, the
-- days up to the anchor (the estimates hang on it), every day of a re-keyed model, and the seeds.
observations as (
    select observed_all.*, false as is_seed
    from observed_all
    {%- if is_incremental() %}
    cross join anchor
    where observed_all.snapshot_date >= date '{{ partition_window("min_date") }}'
        or observed_all.snapshot_date <= anchor.anchor_date
        or observed_all.model_uid in (select model_uid from rekeyed_models)
    union all by name
    select *, true as is_seed from seeds
    {%- endif %}
),

capture_days as (
    select
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_capture_date
    from (select distinct snapshot_date from observations)
),

series as (
    select
        observations.*,
        capture_days.previous_capture_date,
        lag(snapshot_date) over by_day as previous_snapshot_date,
        lag(downloads_all_time) over by_day as previous_downloads_all_time,
        lag(downloads_basis) over by_day as previous_downloads_basis,
        max(counter) over (
            partition by model_uid order by snapshot_date
            rows between unbounded preceding and 1 preceding
        ) as previous_cumulative,
        max(counter) over (
            partition by model_uid order by snapshot_date
            rows between unbounded preceding and current row
        ) as cumulative_downloads
    from observations
    inner join capture_days using (snapshot_date)
    window by_day as (partition by model_uid order by snapshot_date)
)

select
    model_uid,
    snapshot_date,
    model_id,
    downloads_30d,
    downloads_all_time,
    downloads_basis,
    -- The cumulative count or the delta (growth since an estimated previous count) is an estimate.
    downloads_basis = 'estimated_rolling_30d' or coalesce(previous_downloads_basis = 'estimated_rolling_30d', false)
        as is_estimated,
    cumulative_downloads,
    case
        when previous_cumulative is not null then cumulative_downloads - previous_cumulative
        -- First sighting of a model created since the previous capture: all its downloads are new.
        when previous_capture_date is not null and created_at::date > previous_capture_date
            then cumulative_downloads
    end as downloads_delta,
    previous_snapshot_date,
    {{ days_between('previous_snapshot_date', 'snapshot_date') }} as days_since_previous,
    coalesce({{ days_between('previous_snapshot_date', 'snapshot_date') }} > 1, false) as delta_spans_gap,
    -- The day the Hub revised the counter down (a drop against the previous snapshot)...
    coalesce(downloads_all_time < previous_downloads_all_time, false) as is_revised_down,
    greatest(coalesce(previous_downloads_all_time - downloads_all_time, 0), 0) as revised_down_by,
    -- ...and every day the counter stays below its earlier maximum (deltas clamped to 0 meanwhile).
    coalesce(downloads_all_time < previous_cumulative, false) as is_below_running_max
from series
-- The seeds (stored rows carrying a series into the window) are read, not written again.
where not is_seed
