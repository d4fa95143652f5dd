{#
  partition_window('min_date' | 'max_date'): a bound of the run's partition window [min_date, max_date).

  Dagster passes the window as environment variables (ATOM_DBT_MIN_DATE, ATOM_DBT_MAX_DATE), not as
  --vars: dbt re-parses the whole project when a --vars value changes (~6-10 s a run here), but
  only the files using an environment variable when its value changes. Without them (dbt run by
  hand) the var of the same name decides: its default in dbt_project.yml (every day), or --vars.
#}
{% macro partition_window(bound) -%}
    {{ return(env_var('ATOM_DBT_' ~ (bound | upper), var(bound))) }}
{%- endmacro %}
