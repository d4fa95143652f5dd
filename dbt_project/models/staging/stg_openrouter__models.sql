-- One row per OpenRouter model id per capture day, typed. `hugging_face_id` is the join to the
-- Hub; a model without one is treated as closed (OpenRouter lists no open weights for it).
select
    cast(raw.snapshot_date as date) as snapshot_date,
    raw.model_slug,
    raw.canonical_slug,
    split_part(raw.model_slug, '/', 1) as author_slug,
    raw.hugging_face_id,
    raw.hugging_face_id is not null as has_hugging_face_id,
    raw.name,
    raw.created_at,
    raw.context_length,
    raw.modality,
    raw.input_modalities,
    raw.output_modalities,
    coalesce(array_contains(raw.output_modalities, 'text'), false) as has_text_output,
    raw.tokenizer,
    raw.instruct_type,
    try_cast(raw.pricing_prompt as double) as price_prompt_usd_per_token,
    try_cast(raw.pricing_completion as double) as price_completion_usd_per_token,
    raw.is_moderated,
    raw.source as capture_source
from {{ raw_parquet_or_empty(source('openrouter', 'models'), {
    'snapshot_date': 'date', 'model_slug': 'varchar', 'canonical_slug': 'varchar',
    'hugging_face_id': 'varchar', 'name': 'varchar', 'created_at': 'timestamptz',
    'context_length': 'bigint', 'modality': 'varchar', 'input_modalities': 'varchar[]',
    'output_modalities': 'varchar[]', 'tokenizer': 'varchar', 'instruct_type': 'varchar',
    'pricing_prompt': 'varchar', 'pricing_completion': 'varchar', 'is_moderated': 'boolean',
    'source': 'varchar'}) }} as raw
