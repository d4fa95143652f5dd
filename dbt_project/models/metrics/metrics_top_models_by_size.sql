-- The report's appendix table, per captured day: the top N mainline models of each size bucket
-- by cumulative downloads (N = var `top_models_per_bucket`), with their rank. A model missing
-- that day is ranked with its carried-forward count. Ties are broken by repo id.
with ranked as (
    select
        snapshot_date,
        size_bucket,
        size_bucket_order,
        row_number() over (
            partition by snapshot_date, size_bucket order by cumulative_downloads desc, model_id
        ) as rank,
        model_uid,
        model_id,
        organization,
        family,
        region,
        total_params_b,
        cumulative_downloads,
        trailing_30d_downloads,
        downloads,
        is_carried_forward,
        {{ divide('cumulative_downloads',
            safe_sum('cumulative_downloads') ~ ' over (partition by snapshot_date, size_bucket)') }}
            as share_of_bucket_cumulative
    from {{ ref('metrics_model_downloads_daily') }}
    where size_bucket is not null
)

select *
from ranked
where rank <= {{ var('top_models_per_bucket') | int }}
