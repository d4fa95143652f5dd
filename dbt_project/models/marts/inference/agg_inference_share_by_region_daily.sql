-- Per day and category: OpenRouter tokens and their share of ALL the day's tokens. Categories:
-- the publishing organization's region for open-weight models on the Hub, `open_unattributed`
-- (open weights, publisher not in our reviewed set), `closed` (no Hugging Face id),
-- `other_bucket` (OpenRouter's long tail outside the top 50) and `not_in_catalogue`. Every
-- category appears on every day with rankings (zero when it had no tokens), so series plot
-- without gaps; days without rankings have no rows (no data, not zeros).
with facts as (
    select * from {{ ref('fct_inference_tokens_daily') }}
),

categories as (
    select * from (values
        ('us', 'open_attributed', true, 1),
        ('china', 'open_attributed', true, 2),
        ('eu', 'open_attributed', true, 3),
        ('other', 'open_attributed', true, 4),
        ('unknown', 'open_attributed', true, 5),
        ('open_unattributed', 'open_unattributed', true, 6),
        ('closed', 'closed', false, 7),
        ('other_bucket', 'long_tail', null, 8),
        ('not_in_catalogue', 'unmatched', null, 9)
    ) as t (inference_category, category_kind, is_open_weights, sort_order)
),

days as (
    select
        snapshot_date,
        max(day_total_tokens) as day_total_tokens,
        min(source_attribution) as source_attribution
    from facts
    group by snapshot_date
),

observed as (
    select
        snapshot_date,
        inference_category,
        {{ safe_sum('total_tokens') }} as total_tokens,
        count(*) filter (where not is_other_bucket) as n_models
    from facts
    group by snapshot_date, inference_category
)

select
    days.snapshot_date,
    categories.inference_category,
    categories.category_kind,
    categories.is_open_weights,
    categories.sort_order,
    coalesce(observed.total_tokens, 0) as total_tokens,
    coalesce(observed.total_tokens, 0) / cast(days.day_total_tokens as double) as token_share,
    coalesce(observed.n_models, 0) as n_models,
    days.day_total_tokens,
    days.source_attribution
from days
cross join categories
left join observed
    on observed.snapshot_date = days.snapshot_date
    and observed.inference_category = categories.inference_category
where days.day_total_tokens > 0
