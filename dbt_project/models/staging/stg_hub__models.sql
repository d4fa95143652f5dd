-- One row per raw key per snapshot day, typed and renamed from the raw Parquet. Nothing else:
-- the key stays as landed (`raw_model_uid`: the Hub's `_id`, or the surrogate `id:<repo id>` of
-- history days without `_id`); int_hub__models_keyed resolves surrogates to the real `_id`.
with source as (
    select * from {{ raw_source(source('hub', 'models')) }}
),

renamed as (
    select
        model_uid as raw_model_uid,
        cast(snapshot_date as date) as snapshot_date,
        model_id,
        split_part(model_id, '/', 1) as namespace,
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
        source as capture_source
    from source
)

select * from renamed
-- The landing already collapses a day's duplicates; this keeps staging one row per key and day
-- even for a hand-copied partition, with the landing's preference (atom_dagster.landing.parse):
-- the highest `downloads_all_time`, then the latest `last_modified`, then the greatest repo id.
qualify row_number() over (
    partition by raw_model_uid, snapshot_date
    order by downloads_all_time desc nulls last, last_modified desc nulls last, model_id desc
) = 1
