-- One row per model created on the snapshot day across the whole Hub (third-party fine-tunes,
-- adapters, quantizations and merges included), with the base model its card declares. Days
-- without a `hub/new_models/` capture (older archives, history days) have no rows: no data, not zeros.
with source as (
    select * from {{ raw_parquet_or_empty(source('hub', 'new_models'), {
        'snapshot_date': 'date', 'model_uid': 'varchar', 'model_id': 'varchar', 'namespace': 'varchar',
        'created_at': 'timestamptz', 'pipeline_tag': 'varchar', 'library_name': 'varchar',
        'tags': 'varchar[]', 'base_relation': 'varchar', 'base_model_ids': 'varchar[]',
        'downloads': 'bigint', 'likes': 'bigint', 'source': 'varchar'}) }} as raw
)

select
    cast(snapshot_date as date) as snapshot_date,
    model_uid,
    model_id,
    namespace,
    created_at,
    pipeline_tag,
    library_name,
    tags,
    base_relation,
    base_model_ids,
    downloads,
    likes
from source
-- The landing already keeps one row per `_id` and day; this guards a hand-copied partition.
qualify row_number() over (
    partition by snapshot_date, model_uid
    order by downloads desc nulls last, likes desc nulls last, model_id desc
) = 1
