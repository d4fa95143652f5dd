{# Generic data tests used across the project (no dbt packages: the project installs offline). #}

{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test non_negative(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test non_decreasing(model, column_name, order_by, partition_by=none) %}
with ordered as (
    select
        {{ column_name }} as value,
        lag({{ column_name }}) over (
            {% if partition_by %}partition by {{ partition_by }}{% endif %} order by {{ order_by }}
        ) as previous_value
    from {{ model }}
)
select * from ordered where value < previous_value
{% endtest %}
