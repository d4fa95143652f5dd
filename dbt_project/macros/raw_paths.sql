{#
    Where the raw Parquet lives: <raw root>/<table>/snapshot_date=<day>/*.parquet.

    The raw root of the run, resolved at execution time only: the var `raw_dir`, else
    $ATOM_DBT_RAW_DIR (what Dagster passes: the raw folder or its s3:// URL), else $ATOM_DATA_DIR/raw,
    else the parsed default (`sources: atom: +meta: raw_root` in dbt_project.yml, ../data/raw).
    Read here rather than at parse time, so one parse serves every data directory (dbt re-parses
    what reads a var or an environment variable when its value changes). Single quotes come back
    doubled: the value is for SQL string literals, as in `glob('{{ raw_glob(relation) }}')`.
#}

{% macro raw_root() %}
    {%- if not execute -%}
        {{ exceptions.raise_compiler_error("raw_root() is known at execution time only") }}
    {%- endif -%}
    {%- set root = var('raw_dir', none) or env_var('ATOM_DBT_RAW_DIR', '') -%}
    {%- if not root and env_var('ATOM_DATA_DIR', '') -%}
        {%- set root = env_var('ATOM_DATA_DIR') ~ '/raw' -%}
    {%- endif -%}
    {%- if root -%}
        {{ return(root | replace("'", "''")) }}
    {%- endif -%}
    {%- for node in graph.sources.values() if node.package_name == project_name -%}
        {{ return(node.meta.raw_root) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("raw_root(): the project defines no source") }}
{% endmacro %}

{# The glob of one raw table's partitions; `source_relation.identifier` is the table's folder. #}
{% macro raw_glob(source_relation) %}
    {{ return(raw_root() ~ '/' ~ source_relation.identifier ~ '/*/*.parquet') }}
{% endmacro %}
