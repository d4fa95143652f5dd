{#
  partition_window('min_date' | 'max_date'): a bound of the run's partition window [min_date, max_date).

  Dagster passes the window as environment variables (ATOM_DBT_MIN_DATE, ATOM_DBT_MAX_DATE), not as
  --vars: dbt re-parses the whole project when a --vars value changes. They are read at execution
  time only: dbt re-parses every file whose parse read an environment variable whose value has
  changed, and a new window every day would re-parse the models using it. What a parse sees (the
  var's default) decides nothing: no ref, source or config depends on the window. Without them (dbt
  run by hand) the var of the same name decides: its default in dbt_project.yml (every day), or --vars.
#}
{% macro partition_window(bound) -%}
    {%- if not execute -%}{{ return(var(bound)) }}{%- endif -%}
    {{ return(env_var('ATOM_DBT_' ~ (bound | upper), var(bound))) }}
{%- endmacro %}
