-- One row per model (`model_uid`) per snapshot day: staging's rows with the surrogate keys resolved.
--
-- History days from a hub-stats snapshot without `_id` carry the surrogate key `id:<repo id>`.
-- Such a row takes the real `_id` of the same repo id when any other captured day (live, an
-- archive, or history with `_id`) has seen one: the nearest later sighting first (the repo id
-- then still named this model), else the nearest earlier one. So a history series continues into
-- the live series instead of ending where the live capture begins. Unresolved surrogates stay.
with staged as (
    select
        *,
        starts_with(raw_model_uid, 'id:') as is_surrogate
    from {{ ref('stg_hub__models') }}
),

real_ids as (
    select model_id, snapshot_date, raw_model_uid as real_uid
    from staged
    where not is_surrogate
),

resolved as (
    select surrogate.*, coalesce(later.real_uid, earlier.real_uid) as real_uid
    from (select * from staged where is_surrogate) as surrogate
    asof left join real_ids as later
        on later.model_id = surrogate.model_id and surrogate.snapshot_date <= later.snapshot_date
    asof left join real_ids as earlier
        on earlier.model_id = surrogate.model_id and surrogate.snapshot_date > earlier.snapshot_date
),

keyed as (
    select *, raw_model_uid as model_uid, 'hub_id' as model_uid_origin
    from staged
    where not is_surrogate
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
