-- Relative Adoption Metric (RAM). For each mainline model and checkpoint d (var `ram_checkpoints`,
-- days after its release date): its cumulative downloads at release + d, the baseline of its size
-- bucket at d, and score = cumulative / baseline, under the report's two baselines:
--   `median_top_n`:         median of the bucket's top-N values at d (N = var `ram_top_n`, 10);
--   `nth_highest_monotone`: the N-th highest value at d, made non-decreasing in d (running
--                           maximum over the checkpoints in increasing order).
-- A model's value at d is its last observed cumulative count on or before release + d, and only
-- when its captured history spans that day (first snapshot on or before it, last on or after it);
-- otherwise it has no value and no score there (never a zero), and `no_score_reason` says why.
-- A bucket with fewer than N models with a value at d uses the k = min(N, n) it has (median of all
-- n, k-th highest = its lowest), given at least `ram_min_models_for_baseline` of them (10, as the
-- paper: a median of the top 10 needs 10); a bucket with fewer has no baseline at d, and its
-- models' `no_score_reason` is `too_few_models_in_bucket` (`bucket_n_models` says how many).
{% set top_n = var('ram_top_n') | int %}
{% set min_models = var('ram_min_models_for_baseline') | int %}

with mainline as (
    select
        model_uid, model_id, organization, family, region, size_bucket, size_bucket_order,
        release_date, release_date_source
    from {{ ref('dim_models') }}
    where is_mainline
),

observed as (
    select facts.model_uid, facts.snapshot_date, facts.cumulative_downloads
    from {{ ref('fct_model_downloads_daily') }} as facts
    inner join mainline on mainline.model_uid = facts.model_uid
),

history as (
    select model_uid, min(snapshot_date) as first_observed, max(snapshot_date) as last_observed
    from observed
    group by model_uid
),

last_capture as (
    select max(snapshot_date) as last_capture_date from {{ ref('fct_model_downloads_daily') }}
),

checkpoints as (
    {% for days in var('ram_checkpoints') %}
    select {{ days | int }} as checkpoint_days
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

targets as (
    select
        mainline.*,
        checkpoints.checkpoint_days,
        cast({{ dbt.dateadd('day', 'checkpoints.checkpoint_days', 'mainline.release_date') }} as date) as checkpoint_date,
        history.first_observed,
        history.last_observed
    from mainline
    cross join checkpoints
    left join history on history.model_uid = mainline.model_uid
),

valued as (
    select
        targets.*,
        observed.snapshot_date as observed_on,
        observed.cumulative_downloads as cumulative_at_or_before
    from targets
    {{ asof_join('left', 'observed', 'observed', 'observed.model_uid = targets.model_uid',
        'snapshot_date', '<=', 'targets.checkpoint_date') }}
),

with_reason as (
    select
        valued.*,
        case
            when valued.first_observed is null then 'never_observed'
            when valued.first_observed > valued.checkpoint_date then 'history_starts_after_checkpoint'
            when valued.checkpoint_date > last_capture.last_capture_date then 'checkpoint_not_reached_yet'
            when valued.last_observed < valued.checkpoint_date then 'history_ends_before_checkpoint'
        end as no_value_reason
    from valued
    cross join last_capture
),

model_values as (
    select
        with_reason.*,
        case when no_value_reason is null then cumulative_at_or_before end as cumulative_downloads
    from with_reason
),

ranked as (
    select
        size_bucket,
        checkpoint_days,
        model_uid,
        cumulative_downloads,
        row_number() over bucket_at_d as rank_in_bucket,
        count(*) over (partition by size_bucket, checkpoint_days) as n_models
    from model_values
    where cumulative_downloads is not null and size_bucket is not null
    window bucket_at_d as (
        partition by size_bucket, checkpoint_days order by cumulative_downloads desc, model_uid
    )
),

bucket_sizes as (
    select size_bucket, checkpoint_days, any_value(n_models) as bucket_n_models
    from ranked
    group by size_bucket, checkpoint_days
),

bucket_baselines as (
    select
        size_bucket,
        checkpoint_days,
        any_value(n_models) as n_models,
        least({{ top_n }}, any_value(n_models)) as k,
        median(cumulative_downloads) filter (where rank_in_bucket <= {{ top_n }}) as median_top_n,
        max(cumulative_downloads) filter (where rank_in_bucket = least({{ top_n }}, n_models))
            as nth_highest
    from ranked
    group by size_bucket, checkpoint_days
    having any_value(n_models) >= {{ min_models }}
),

monotone as (
    select
        *,
        max(nth_highest) over (
            partition by size_bucket order by checkpoint_days rows between unbounded preceding and current row
        ) as nth_highest_monotone
    from bucket_baselines
),

baselines as (
    select size_bucket, checkpoint_days, n_models, k, 'median_top_n' as baseline,
        cast(median_top_n as double) as baseline_downloads
    from monotone
    union all
    select size_bucket, checkpoint_days, n_models, k, 'nth_highest_monotone',
        cast(nth_highest_monotone as double)
    from monotone
),

baseline_names as (
    select 'median_top_n' as baseline union all select 'nth_highest_monotone'
)

select
    model_values.model_uid,
    model_values.model_id,
    model_values.organization,
    model_values.family,
    model_values.region,
    model_values.size_bucket,
    model_values.size_bucket_order,
    model_values.release_date,
    model_values.release_date_source,
    model_values.checkpoint_days,
    model_values.checkpoint_date,
    baseline_names.baseline,
    case when model_values.cumulative_downloads is not null then model_values.observed_on end as observed_on,
    model_values.cumulative_downloads,
    ranked.rank_in_bucket,
    {{ top_n }} as baseline_top_n,
    bucket_sizes.bucket_n_models,
    baselines.n_models as baseline_n_models,
    baselines.k as baseline_k,
    baselines.baseline_downloads,
    model_values.cumulative_downloads / nullif(baselines.baseline_downloads, 0) as score,
    case
        when model_values.no_value_reason is not null then model_values.no_value_reason
        when model_values.size_bucket is null then 'no_size_bucket'
        when baselines.baseline_downloads is null and coalesce(bucket_sizes.bucket_n_models, 0) < {{ min_models }}
            then 'too_few_models_in_bucket'
        when coalesce(baselines.baseline_downloads, 0) = 0 then 'no_baseline'
    end as no_score_reason
from model_values
cross join baseline_names
left join ranked
    on ranked.model_uid = model_values.model_uid
    and ranked.checkpoint_days = model_values.checkpoint_days
left join bucket_sizes
    on bucket_sizes.size_bucket = model_values.size_bucket
    and bucket_sizes.checkpoint_days = model_values.checkpoint_days
left join baselines
    on baselines.size_bucket = model_values.size_bucket
    and baselines.checkpoint_days = model_values.checkpoint_days
    and baselines.baseline = baseline_names.baseline
