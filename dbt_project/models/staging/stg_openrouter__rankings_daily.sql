-- One row per (UTC day, model permaslug) of OpenRouter's daily rankings: the top 50 models by
-- tokens plus the aggregated `other` row. Days without rankings have no rows (no data, not zeros).
-- Source: OpenRouter (openrouter.ai/rankings).
select
    cast(raw.ranking_date as date) as ranking_date,
    raw.model_permaslug,
    raw.is_other as is_other_bucket,
    case when not raw.is_other then split_part(raw.model_permaslug, ':', 1) end as base_permaslug,
    case
        when not raw.is_other and contains(raw.model_permaslug, ':')
            then split_part(raw.model_permaslug, ':', 2)
    end as variant,
    raw.total_tokens,
    raw.rank,
    raw.as_of,
    raw.dataset_version,
    raw.source_attribution,
    raw.source as capture_source
from {{ raw_parquet_or_empty(source('openrouter', 'rankings_daily'), {
    'snapshot_date': 'date', 'ranking_date': 'date', 'model_permaslug': 'varchar',
    'total_tokens': 'bigint', 'rank': 'bigint', 'is_other': 'boolean', 'as_of': 'timestamptz',
    'dataset_version': 'varchar', 'source_attribution': 'varchar', 'source': 'varchar'}) }} as raw
-- The landing keeps only the partition day's rows; this guards a hand-copied partition.
where cast(raw.ranking_date as date) = cast(raw.snapshot_date as date)
