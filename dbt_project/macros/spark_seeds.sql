{#
    Seeds on Spark (dbt-spark's `session` method): the rows go in as SQL literals.

    dbt-spark 1.11 binds a seed's values into its INSERT by formatting each one as '<value>' with no
    escaping (SessionConnectionWrapper._fix_binding): a quote in a value (organizations' evidence,
    "Alibaba's") breaks the statement, and an empty cell (None) becomes the string 'None'. This
    override of dbt's `load_csv_rows` for Spark renders each value itself: null, numbers and booleans
    bare, everything else a quoted string with backslashes and quotes escaped (Spark's string literal
    escapes), then cast to the column's type as dbt-spark does. Other adapters are untouched.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set col_name = agate_table.column_names[loop.index0] -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_seed_literal(value) }} as {{ type }}){{ ", " if not loop.last }}
                {%- endfor -%}){{ "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
