{# Generic data tests for the report metrics (models/metrics). No dbt packages: the project installs offline. #}

{# A share column lies in [0, 1] (nulls pass: a share of a zero total is null, not 0). #}
{% test share_between_zero_and_one(model, column_name, tolerance=1e-9) %}
select *
from {{ model }}
where {{ column_name }} < 0 - {{ tolerance }} or {{ column_name }} > 1 + {{ tolerance }}
{% endtest %}

{# The shares within each group (e.g. per date) add up to 1, within rounding. Groups whose
   shares are all null (nothing to share that day) pass. #}
{% test shares_sum_to_one(model, column_name, group_by, tolerance=1e-6) %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as share_total
from {{ model }}
group by {{ group_by | join(', ') }}
having count({{ column_name }}) > 0 and abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}

{# A row-level invariant written as a SQL boolean expression; failing rows are returned. #}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}

{# Two relations agree on the listed columns (same rows both ways), e.g. a metric that must
   reproduce an existing mart. #}
{% test same_rows_as(model, compare_model, columns) %}
with left_only as (
    select {{ columns | join(', ') }} from {{ model }}
    except
    select {{ columns | join(', ') }} from {{ compare_model }}
),

right_only as (
    select {{ columns | join(', ') }} from {{ compare_model }}
    except
    select {{ columns | join(', ') }} from {{ model }}
)

select 'only in {{ model }}' as side, * from left_only
union all
select 'only in {{ compare_model }}' as side, * from right_only
{% endtest %}
