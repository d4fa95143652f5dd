{#
  Downloads of mainline models grouped by one dimension (region, organization, family) per day or
  month, with each group's share of the period's total. One macro serves the six
  metrics_downloads_by_<dimension>_<grain> models, so their logic cannot drift apart.

  Sums use safe_sum (128-bit): no total overflows, however large the counters. On the daily grain,
  `ended_cumulative_downloads` is the last cumulative count of the group's models that ended on or
  before the day (old `_id`s of re-created repositories, which metrics_model_downloads_daily stops
  counting from their successor's first day): cumulative_downloads + ended_cumulative_downloads never
  decreases.
#}
{% macro downloads_by(dimension, grain) %}
{%- set period = 'snapshot_date' if grain == 'daily' else 'month' -%}
with grouped as (
    select
        {{ period }},
        {{ dimension }},
        {{ safe_sum('downloads') }} as downloads,
        {{ safe_sum('cumulative_downloads') }} as cumulative_downloads,
        {{ safe_sum('tracked_cumulative_downloads') }} as tracked_cumulative_downloads,
        {{ safe_sum('trailing_30d_downloads') }} as trailing_30d_downloads,
        count(*) as n_models,
        -- models whose counts rest on the 30-day estimate (months before `downloadsAllTime`)
        count(*) filter (where is_estimated) as n_models_estimated,
        {%- if grain == 'daily' %}
        count(*) filter (where is_carried_forward) as n_models_carried_forward,
        count(*) filter (where trailing_30d_source = 'hub_rolling_30d') as n_models_trailing_from_hub
        {%- else %}
        max(month_end_date) as month_end_date,
        max(n_capture_days) as n_capture_days
        {%- endif %}
    from {{ ref('metrics_model_downloads_' ~ grain) }}
    group by {{ period }}, {{ dimension }}
){% if grain == 'daily' %},

-- Models that ended, with their last cumulative count.
ended as (
    select
        model_uid,
        any_value({{ dimension }}) as {{ dimension }},
        any_value(superseded_on) as superseded_on,
        max_by(cumulative_downloads, snapshot_date) as last_cumulative_downloads
    from {{ ref('metrics_model_downloads_daily') }}
    where superseded_on is not null
    group by model_uid
),

ended_by_day as (
    select
        grouped.snapshot_date,
        grouped.{{ dimension }},
        {{ safe_sum('ended.last_cumulative_downloads') }} as ended_cumulative_downloads
    from grouped
    inner join ended
        on ended.{{ dimension }} is not distinct from grouped.{{ dimension }}
        and ended.superseded_on <= grouped.snapshot_date
    group by grouped.snapshot_date, grouped.{{ dimension }}
)
{%- endif %}

select
    grouped.*,
    {%- if grain == 'daily' %}
    coalesce(ended_by_day.ended_cumulative_downloads, 0) as ended_cumulative_downloads,
    {%- endif %}
    {%- for counter in ['downloads', 'cumulative_downloads', 'tracked_cumulative_downloads', 'trailing_30d_downloads'] %}
    {{ divide('grouped.' ~ counter, 'nullif(' ~ safe_sum('grouped.' ~ counter) ~ ' over same_period, 0)') }}
        as {{ counter }}_share{{ ',' if not loop.last }}
    {%- endfor %}
from grouped
{%- if grain == 'daily' %}
left join ended_by_day
    on ended_by_day.snapshot_date = grouped.snapshot_date
    and ended_by_day.{{ dimension }} is not distinct from grouped.{{ dimension }}
{%- endif %}
window same_period as (partition by grouped.{{ period }})
{% endmacro %}
