{#
    A hive-partitioned raw source, or a typed empty relation while no partition has landed.

    DuckDB's read_parquet fails on a glob that matches no file. Sources that may have no data
    yet (OpenRouter rankings without an API key, provider mapping on archives captured before
    it was requested) go through this macro, so the project still builds; no row is invented.
    `columns` maps each raw column (and the hive key `snapshot_date`) to its SQL type.
#}
{% macro raw_parquet_or_empty(source_relation, columns) %}
    {%- set landed = true -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ raw_glob(source_relation) ~ "')") -%}
        {%- set landed = found.columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if landed -%}
        (select * from {{ source_relation }})
    {%- else -%}
        (select
            {%- for name, type in columns.items() %}
            cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
        where false)
    {%- endif -%}
{% endmacro %}
