{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['model_uid', 'snapshot_date'],
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} as stored where not exists (
                select 1 from {{ ref('int_hub__models_keyed') }} as keyed
                where keyed.model_uid = stored.model_uid and keyed.snapshot_date = stored.snapshot_date)",
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
with observations as (
    select model_uid, model_id, snapshot_date, created_at, downloads_30d, downloads_all_time
    from {{ ref('int_hub__models_keyed') }}
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
        max(downloads_all_time) over (
            partition by model_uid order by snapshot_date
            rows between unbounded preceding and 1 preceding
        ) as previous_cumulative,
        max(downloads_all_time) over (
            partition by model_uid order by snapshot_date
            rows between unbounded preceding and current row
        ) as cumulative_downloads
    from observations
    inner join capture_days using (snapshot_date)
    window by_day as (partition by model_uid order by snapshot_date)
){% if is_incremental() %},

-- Models whose stored days before the window differ from their days in int_hub__models_keyed.
stored_before_window as (
    select model_uid, snapshot_date from {{ this }}
    where snapshot_date < date '{{ var("min_date") }}'
),

keyed_before_window as (
    select model_uid, snapshot_date from observations
    where snapshot_date < date '{{ var("min_date") }}'
),

rekeyed_models as (
    select model_uid from (select * from keyed_before_window except select * from stored_before_window)
    union
    select model_uid from (select * from stored_before_window except select * from keyed_before_window)
)
{%- endif %}

select
    model_uid,
    snapshot_date,
    model_id,
    downloads_30d,
    downloads_all_time,
    cumulative_downloads,
    case
        when previous_cumulative is not null then cumulative_downloads - previous_cumulative
        -- First sighting of a model created since the previous capture: all its downloads are new.
        when previous_capture_date is not null and created_at::date > previous_capture_date
            then cumulative_downloads
    end as downloads_delta,
    previous_snapshot_date,
    date_diff('day', previous_snapshot_date, snapshot_date) as days_since_previous,
    coalesce(date_diff('day', previous_snapshot_date, snapshot_date) > 1, false) as delta_spans_gap,
    -- The day the Hub revised the counter down (a drop against the previous snapshot)...
    coalesce(downloads_all_time < previous_downloads_all_time, false) as is_revised_down,
    greatest(coalesce(previous_downloads_all_time - downloads_all_time, 0), 0) as revised_down_by,
    -- ...and every day the counter stays below its earlier maximum (deltas clamped to 0 meanwhile).
    coalesce(downloads_all_time < previous_cumulative, false) as is_below_running_max
from series
{% if is_incremental() %}
where snapshot_date >= date '{{ var("min_date") }}'
    or model_uid in (select model_uid from rekeyed_models)
{% endif %}
