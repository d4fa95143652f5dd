-- One row per captured day and mainline model, from the model's first snapshot on: its
-- cumulative downloads carried forward over days it is missing (as `agg_downloads_by_region_daily`
-- does), the day's downloads and its trailing-30-day downloads. Every download metric is a sum
-- of these rows, so all of them treat missing days, revisions and new models the same way.
-- Tracked downloads (the report's headline) are those accumulated since var `tracking_start`:
-- cumulative minus the model's count at the start (its last snapshot on or before it; 0 for a model
-- created on or after it; where the captured history starts later, its first snapshot, which
-- undercounts and says so in `tracked_baseline_source`). Days before the start have none.
-- A model that ended (the old `_id` of a re-created repository, `dim_models.superseded_on`) has
-- rows up to the day before its successor appears only: a repo id counts once per day.
with capture_days as (
    select distinct snapshot_date from {{ ref('fct_model_downloads_daily') }}
),

mainline as (
    select
        model_uid,
        model_id,
        organization,
        family,
        region,
        size_bucket,
        size_bucket_order,
        total_params_b,
        superseded_on,
        created_at::date as created_date
    from {{ ref('dim_models') }}
    where is_mainline
),

observed as (
    select
        facts.model_uid,
        facts.snapshot_date,
        facts.cumulative_downloads,
        facts.downloads_delta,
        facts.downloads_30d,
        facts.is_estimated
    from {{ ref('fct_model_downloads_daily') }} as facts
    inner join mainline on mainline.model_uid = facts.model_uid
),

carried as (
    select
        capture_days.snapshot_date,
        mainline.*,
        observed.snapshot_date as observed_on,
        observed.cumulative_downloads,
        observed.downloads_30d,
        observed.is_estimated,
        -- Growth since the model's previous snapshot lands on the day it is observed; a first
        -- snapshot without a baseline (null delta) and a missing day both count 0.
        case
            when observed.snapshot_date = capture_days.snapshot_date then coalesce(observed.downloads_delta, 0)
            else 0
        end as downloads
    from capture_days
    cross join mainline
    {{ asof_join('inner', 'observed', 'observed', 'observed.model_uid = mainline.model_uid',
        'snapshot_date', '<=', 'capture_days.snapshot_date') }}
    where mainline.superseded_on is null or capture_days.snapshot_date < mainline.superseded_on
),

windowed as (
    select
        carried.*,
        cast({{ dbt.dateadd('day', -30, 'carried.snapshot_date') }} as date) as window_start
    from carried
),

-- The model's count when tracking starts: its last observation on or before the start, else (the
-- history starts later) its first observation.
tracking_baselines as (
    select
        mainline.model_uid,
        case
            when mainline.created_date >= date '{{ var("tracking_start") }}' then 0
            else coalesce(
                max_by(observed.cumulative_downloads, observed.snapshot_date)
                    filter (where observed.snapshot_date <= date '{{ var("tracking_start") }}'),
                min_by(observed.cumulative_downloads, observed.snapshot_date)
            )
        end as tracked_baseline,
        case
            when mainline.created_date >= date '{{ var("tracking_start") }}' then 'created_after_start'
            when min(observed.snapshot_date) <= date '{{ var("tracking_start") }}' then 'at_tracking_start'
            else 'first_snapshot_after_start'
        end as tracked_baseline_source
    from mainline
    inner join observed using (model_uid)
    group by mainline.model_uid, mainline.created_date
),

-- The model's cumulative count 30 days earlier: its last observation on or before d - 30.
with_window_start as (
    select
        windowed.*,
        earlier.cumulative_downloads as cumulative_downloads_30d_before
    from windowed
    {{ asof_join('left', 'observed', 'earlier', 'earlier.model_uid = windowed.model_uid',
        'snapshot_date', '<=', 'windowed.window_start') }}
)

select
    snapshot_date,
    model_uid,
    model_id,
    organization,
    family,
    region,
    size_bucket,
    size_bucket_order,
    total_params_b,
    superseded_on,
    observed_on,
    observed_on < snapshot_date as is_carried_forward,
    -- The counts rest on the 30-day estimate of the months before `downloadsAllTime`
    -- (fct_model_downloads_daily.downloads_basis), or on a count carried forward from such a day.
    is_estimated,
    downloads,
    cumulative_downloads,
    case
        when snapshot_date >= date '{{ var("tracking_start") }}'
            then greatest(cumulative_downloads - tracking_baselines.tracked_baseline, 0)
    end as tracked_cumulative_downloads,
    case
        when snapshot_date >= date '{{ var("tracking_start") }}' then tracking_baselines.tracked_baseline_source
    end as tracked_baseline_source,
    case
        when cumulative_downloads_30d_before is not null
            then cumulative_downloads - cumulative_downloads_30d_before
        -- Created within the window: every download it has is in the window.
        when created_date > window_start then cumulative_downloads
        {% if var('trailing_30d_hub_fallback') %}
        else downloads_30d
        {% endif %}
    end as trailing_30d_downloads,
    case
        when cumulative_downloads_30d_before is not null then 'snapshot_difference'
        when created_date > window_start then 'since_creation'
        {% if var('trailing_30d_hub_fallback') %}
        when downloads_30d is not null then 'hub_rolling_30d'
        {% endif %}
    end as trailing_30d_source
from with_window_start
left join tracking_baselines using (model_uid)
