{#
    Data tests look at the days a build changed, not at every landed day.

    dbt wraps the model a generic test reads in get_where_subquery(); this project's version adds,
    to the test's own `where`, the tested model's `meta.tests_window` (an SQL condition where
    `{min_date}` stands for the run's partition window start, `partition_window('min_date')`). A
    staging row is tested the day it lands, and a day's build re-tests that day only, so the cost of
    a daily build's tests stays flat as history grows; a plain `dbt build` (min_date 1900-01-01)
    tests every row. A test that must read the whole table sets `meta: {whole_table: true}`.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window = tests_window_condition(relation) -%}
    {%- if window and not (config.get('meta') or {}).get('whole_table') -%}
        {%- do conditions.append('(' ~ window ~ ')') -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ (conditions | join(' and ')) ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{# The `meta.tests_window` condition of the model behind ``relation``, filled in; '' if none. #}
{% macro tests_window_condition(relation) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.package_name == project_name
            and node.alias == relation.identifier -%}
            {%- set template = (node.config.meta or {}).get('tests_window') -%}
            {%- if template -%}
                {%- do return(template | replace('{min_date}', partition_window('min_date'))) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return('') -%}
{%- endmacro %}
