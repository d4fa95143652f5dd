-- One row per (model, provider) per capture day from the Hub's `inferenceProviderMapping`,
-- plus one row with a null provider for a model checked that day and served by none.
select
    cast(raw.snapshot_date as date) as snapshot_date,
    raw.model_uid,
    raw.model_id,
    raw.provider,
    raw.provider_model_id,
    raw.status,
    coalesce(raw.status = 'live', false) as is_live,
    raw.task,
    raw.adapter,
    raw.mapping_type,
    raw.source as capture_source
from {{ raw_parquet_or_empty(source('hub_inference', 'providers'), {
    'snapshot_date': 'date', 'model_uid': 'varchar', 'model_id': 'varchar', 'provider': 'varchar',
    'provider_model_id': 'varchar', 'status': 'varchar', 'task': 'varchar', 'adapter': 'varchar',
    'mapping_type': 'varchar', 'source': 'varchar'}) }} as raw
