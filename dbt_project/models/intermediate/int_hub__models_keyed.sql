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
with staged as (
    select
        *,
        starts_with(raw_model_uid, 'id:') as is_surrogate
    from {{ ref('stg_hub__models') }}
),

-- Real `_id`s, one per repo id and day: the later `createdAt` wins a day that shows both.
real_rows as (
    select *
    from staged
    where not is_surrogate
    qualify row_number() over (
        partition by model_id, snapshot_date order by created_at desc nulls last, raw_model_uid desc
    ) = 1
),

-- The day each `_id` first held each repo id...
holders as (
    select model_id, raw_model_uid, min(snapshot_date) as took_on
    from real_rows
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
),

resolved as (
    select
        surrogate.*,
        case
            when later.real_uid is not null
                and (
                    later.real_created_at is null
                    or cast(timezone('UTC', later.real_created_at) as date) <= surrogate.snapshot_date
                )
                then later.real_uid
            else earlier.real_uid
        end as real_uid
    from (select * from staged where is_surrogate) as surrogate
    asof left join real_ids as earlier
        on earlier.model_id = surrogate.model_id and surrogate.snapshot_date > earlier.snapshot_date
    asof left join real_ids as later
        on later.model_id = surrogate.model_id and surrogate.snapshot_date <= later.snapshot_date
),

keyed as (
    select *, raw_model_uid as model_uid, 'hub_id' as model_uid_origin
    from kept
    union all by name
    select
        * exclude (real_uid),
        coalesce(real_uid, raw_model_uid) as model_uid,
        case when real_uid is null then 'surrogate' else 'resolved_by_repo_id' end as model_uid_origin
    from resolved
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
-- A day that had the repo both with its `_id` and under the surrogate keeps the `_id` row (then,
-- should two surrogates of one day resolve to the same `_id`, the first raw key, deterministically).
qualify row_number() over (partition by model_uid, snapshot_date order by is_surrogate, raw_model_uid) = 1
