{#
    A hive-partitioned raw source, or a typed empty relation while no partition has landed.

    DuckDB's read_parquet fails on a glob that matches no file. Sources that may have no data
    yet (OpenRouter rankings without an API key, provider mapping on archives captured before
    it was requested) go through this macro, so the project still builds; no row is invented.
    `columns` maps each raw column (and the hive key `snapshot_date`) to its SQL type, in DuckDB's
    names (raw_type translates them for another engine).
#}
{% macro raw_parquet_or_empty(source_relation, columns) %}
    {%- set landed = true -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from " ~ raw_files(source_relation)) -%}
        {%- set landed = found.columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if landed -%}
        (select * from {{ raw_source(source_relation) }})
    {%- else -%}
        (select
            {%- for name, type in columns.items() %}
            cast(null as {{ raw_type(type) }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
        where false)
    {%- endif -%}
{% endmacro %}

{#
    A DuckDB type name of raw_parquet_or_empty's `columns` in the engine's SQL: the same on DuckDB;
    on Spark `varchar` is `string`, `timestamptz` `timestamp` (an instant, as Parquet's UTC-adjusted
    timestamps read) and `T[]` `array<T>`.
#}
{% macro raw_type(duckdb_type) -%}
    {{ return(adapter.dispatch('raw_type', 'atom')(duckdb_type)) }}
{%- endmacro %}

{% macro default__raw_type(duckdb_type) -%}
    {{ return(duckdb_type) }}
{%- endmacro %}

{% macro spark__raw_type(duckdb_type) -%}
    {%- if duckdb_type.endswith('[]') -%}
        {{ return('array<' ~ spark__raw_type(duckdb_type[:-2]) ~ '>') }}
    {%- endif -%}
    {{ return({'varchar': 'string', 'timestamptz': 'timestamp'}.get(duckdb_type, duckdb_type)) }}
{%- endmacro %}
