{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['model_uid', 'snapshot_date'],
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where starts_with(model_uid, 'id:') and model_uid in
             (select raw_model_uid from {{ ref('int_hub__models_keyed') }} where model_uid_origin = 'resolved_by_repo_id')",
        ],
    )
}}
-- Daily downloads per model, for the partition window [min_date, max_date).
--
-- The Hub's `downloadsAllTime` is cumulative but occasionally revised downwards. We keep each
-- model's running maximum as its cumulative count, so a revision never produces a negative
-- day and the recovery after it is never counted twice; the day's downloads are the growth
-- of that running maximum since the model's previous snapshot (which spans any gap of
-- missing days, so nothing is double counted). History before the window is read from the
-- raw snapshots, so a window can be (re)built alone and gives the same rows every time.
-- Models are keyed by `model_uid` as resolved in int_hub__models_keyed.
with observations as (
    select model_uid, raw_model_uid, model_id, snapshot_date, created_at, downloads_30d, downloads_all_time
    from {{ ref('int_hub__models_keyed') }}
    where snapshot_date < date '{{ var("max_date") }}'
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
)

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
where snapshot_date >= date '{{ var("min_date") }}'
{% if is_incremental() %}
    -- Days stored earlier under a surrogate key (`id:<repo id>`, history without `_id`) that now
    -- resolves to the real `_id` (e.g. the first live day after a history backfill): re-emitted
    -- under the real key, and the post-hook deletes the surrogate-keyed copies, so every model
    -- has one series. Once re-keyed, nothing matches here any more.
    or (
        raw_model_uid <> model_uid
        and raw_model_uid in (select model_uid from {{ this }} where starts_with(model_uid, 'id:'))
    )
{% endif %}
