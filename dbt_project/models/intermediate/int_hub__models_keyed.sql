{{
    config(
        materialized='incremental' if deletes_in_place() else 'table',
        incremental_strategy='delete+insert',
        unique_key=['raw_model_uid', 'snapshot_date'],
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where snapshot_date >= date '{{ keyed_rebuild_from() }}'{% endif %}",
        post_hook="{% if is_incremental() %}{{ keyed_drop_outranked_surrogates() }}{% endif %}",
    )
}}
-- One row per model (`model_uid`) per snapshot day: staging's rows with the surrogate keys resolved.
--
-- One repo id, one model per day. A repository deleted and re-created under the same repo id (same
-- `model_id`, new `_id`) is a new model, and the old one ends:
--   * a day that shows the repo id under two `_id`s keeps the one with the later `createdAt`
--     (the re-created repository; ties: the greater `_id`);
--   * an `_id` ends under a repo id the first day another `_id` is kept under it after it: its rows
--     under that repo id from that day on are dropped (its series stops the day before), even if a
--     stale capture still lists it.
-- A rename is not an ending: the renamed model's rows carry its new repo id.
--
-- History days from a hub-stats snapshot without `_id` carry the surrogate key `id:<repo id>`.
-- Such a row takes the `_id` that held that repo id on its day, as the other captured days (live,
-- an archive, or history with `_id`) show it: the nearest later sighting first (the repo id then
-- still named this model), unless that `_id` was created after the row's day (it did not exist yet:
-- a re-created repository), else the nearest earlier one. So a history series continues into the
-- live series instead of ending where the live capture begins. Unresolved surrogates stay.
--
-- Incremental, so a day's build does not re-read every landed day: the days from the earliest
-- changed one on (macro keyed_rebuild_from: the run's `min_date`, or an earlier day landed but never
-- built, or a day no longer landed) are rebuilt from staging; the days before them are read back from
-- this table (the real `_id`s they held, for the endings and the surrogates' as-of joins). A stored
-- surrogate row is re-resolved when no real sighting of its repo id between its day and the rebuilt
-- days pins its `_id` (a new day may then give it one). A full build (the first, or --full-refresh)
-- rebuilds every day; tests/faults/test_relanding.py checks the two give the same table.
{%- set rebuild_from = keyed_rebuild_from() if is_incremental() else '1900-01-01' %}
-- The keys of the rebuilt days' rows. The rules below run on these narrow columns; the wide rows
-- (tags, lineage, ...) are joined once at the end, so no window sorts them.
with rebuilt as (
    select raw_model_uid, snapshot_date, model_id, created_at, raw_model_uid like 'id:%' as is_surrogate
    from {{ ref('stg_hub__models') }}
    where snapshot_date >= date '{{ rebuild_from }}'
),

-- Real `_id`s of the rebuilt days, one per repo id and day: the later `createdAt` wins a day that
-- shows both.
real_rows as (
    select *
    from rebuilt
    where not is_surrogate
    qualify row_number() over (
        partition by model_id, snapshot_date order by created_at desc nulls last, raw_model_uid desc
    ) = 1
),

-- Every day's real `_id`s: the rebuilt days', and the stored ones before them (all kept: a day's
-- endings depend on earlier days only).
real_keys as (
    select model_id, raw_model_uid, snapshot_date, created_at from real_rows
    {%- if is_incremental() %}
    union all
    select model_id, raw_model_uid, snapshot_date, created_at
    from {{ this }}
    where model_uid_origin = 'hub_id' and snapshot_date < date '{{ rebuild_from }}'
    {%- endif %}
),

-- The day each `_id` first held each repo id...
holders as (
    select model_id, raw_model_uid, min(snapshot_date) as took_on
    from real_keys
    group by model_id, raw_model_uid
),

-- ...and the day another `_id` took the repo id after it: its end under that repo id.
endings as (
    select held.model_id, held.raw_model_uid, min(taken.took_on) as ended_on
    from holders as held
    inner join holders as taken
        on taken.model_id = held.model_id
        and taken.took_on > held.took_on
    group by held.model_id, held.raw_model_uid
),

kept as (
    select real_rows.*
    from real_rows
    left join endings
        on endings.model_id = real_rows.model_id
        and endings.raw_model_uid = real_rows.raw_model_uid
    where endings.ended_on is null or real_rows.snapshot_date < endings.ended_on
),

real_ids as (
    select model_id, snapshot_date, raw_model_uid as real_uid, created_at as real_created_at
    from kept
    {%- if is_incremental() %}
    union all
    select model_id, snapshot_date, raw_model_uid, created_at
    from real_keys
    where snapshot_date < date '{{ rebuild_from }}'
    {%- endif %}
),

-- Surrogate rows to resolve: the rebuilt days', and stored ones whose `_id` no real sighting
-- between their day and the rebuilt days pins.
surrogates as (
    select raw_model_uid, snapshot_date, model_id, false as is_stored from rebuilt where is_surrogate
    {%- if is_incremental() %}
    union all
    select stored.raw_model_uid, stored.snapshot_date, stored.model_id, true as is_stored
    from {{ this }} as stored
    where stored.model_uid_origin <> 'hub_id'
        and stored.snapshot_date < date '{{ rebuild_from }}'
        and not exists (
            select 1 from real_ids
            where real_ids.model_id = stored.model_id
                and real_ids.snapshot_date >= stored.snapshot_date
                and real_ids.snapshot_date < date '{{ rebuild_from }}'
        )
    {%- endif %}
),

-- The real `_id`s of the surrogates' repo ids only: an as-of join sorts its whole right side, even
-- for no surrogate at all (3 s and most of the build's memory over 60 days of 20K models).
candidate_ids as (
    select * from real_ids where model_id in (select model_id from surrogates)
),

resolved as (
    select
        surrogate.*,
        case
            when later.real_uid is not null
                and (
                    later.real_created_at is null
                    or {{ utc_date('later.real_created_at') }} <= surrogate.snapshot_date
                )
                then later.real_uid
            else earlier.real_uid
        end as real_uid
    from surrogates as surrogate
    {{ asof_join('left', 'candidate_ids', 'earlier', 'earlier.model_id = surrogate.model_id',
        'snapshot_date', '<', 'surrogate.snapshot_date') }}
    {{ asof_join('left', 'candidate_ids', 'later', 'later.model_id = surrogate.model_id',
        'snapshot_date', '>=', 'surrogate.snapshot_date') }}
),

candidate_keys as (
    select raw_model_uid, snapshot_date, false as is_stored, false as is_surrogate,
        raw_model_uid as model_uid, 'hub_id' as model_uid_origin
    from kept
    union all
    select raw_model_uid, snapshot_date, is_stored, true as is_surrogate,
        coalesce(real_uid, raw_model_uid) as model_uid,
        case when real_uid is null then 'surrogate' else 'resolved_by_repo_id' end as model_uid_origin
    from resolved
),

keys as (
    select * from candidate_keys
    -- A day that had the repo both with its `_id` and under the surrogate keeps the `_id` row (then,
    -- should two surrogates of one day resolve to the same `_id`, the first raw key, deterministically).
    qualify row_number() over (partition by model_uid, snapshot_date order by is_surrogate, raw_model_uid) = 1
),

keyed as (
    select keys.model_uid, keys.model_uid_origin, staged.*
    from keys
    inner join {{ ref('stg_hub__models') }} as staged using (raw_model_uid, snapshot_date)
    where not keys.is_stored and staged.snapshot_date >= date '{{ rebuild_from }}'
    {%- if is_incremental() %}
    union all by name
    select keys.model_uid, keys.model_uid_origin, stored.* exclude (model_uid, model_uid_origin)
    from keys
    inner join {{ this }} as stored using (raw_model_uid, snapshot_date)
    where keys.is_stored
    {%- endif %}
)

select
    model_uid,
    model_uid_origin,
    raw_model_uid,
    snapshot_date,
    model_id,
    namespace,
    author,
    created_at,
    last_modified,
    downloads_30d,
    downloads_all_time,
    likes,
    pipeline_tag,
    library_name,
    tags,
    gated,
    license,
    safetensors_total,
    gguf_total,
    name_params_b,
    lineage,
    children_finetune,
    children_adapter,
    children_quantized,
    children_merge,
    children_total,
    capture_source
from keyed
