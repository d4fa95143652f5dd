{#
  Downloads of mainline models grouped by one dimension (region, organization, family) per day or
  month, with each group's share of the period's total. One macro serves the six
  metrics_downloads_by_<dimension>_<grain> models, so their logic cannot drift apart.
#}
{% macro downloads_by(dimension, grain) %}
{%- set period = 'snapshot_date' if grain == 'daily' else 'month' -%}
with grouped as (
    select
        {{ period }},
        {{ dimension }},
        cast(sum(downloads) as bigint) as downloads,
        cast(sum(cumulative_downloads) as bigint) as cumulative_downloads,
        cast(sum(trailing_30d_downloads) as bigint) as trailing_30d_downloads,
        count(*) as n_models,
        {%- if grain == 'daily' %}
        count(*) filter (where is_carried_forward) as n_models_carried_forward,
        count(*) filter (where trailing_30d_source = 'hub_rolling_30d') as n_models_trailing_from_hub
        {%- else %}
        max(month_end_date) as month_end_date,
        max(n_capture_days) as n_capture_days
        {%- endif %}
    from {{ ref('metrics_model_downloads_' ~ grain) }}
    group by {{ period }}, {{ dimension }}
)

select
    *,
    downloads / nullif(sum(downloads) over same_period, 0) as downloads_share,
    cumulative_downloads / nullif(sum(cumulative_downloads) over same_period, 0) as cumulative_downloads_share,
    trailing_30d_downloads / nullif(sum(trailing_30d_downloads) over same_period, 0) as trailing_30d_downloads_share
from grouped
window same_period as (partition by {{ period }})
{% endmacro %}
