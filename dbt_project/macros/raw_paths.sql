{#
    Where the raw Parquet lives: <raw root>/<table>/snapshot_date=<day>/*.parquet.

    The raw root is resolved once, in dbt_project.yml (`sources: atom: +meta: raw_root`): the var
    `raw_dir`, else $ATOM_DATA_DIR/raw, else ../data/raw. It is defined there because source yml
    cannot call macros; the sources' `external_location` splices it in, and these macros read the
    same value back from the graph (so at execution time only). The value has its single quotes
    doubled already: it is for SQL string literals, as in `glob('{{ raw_glob(relation) }}')`.
#}

{% macro raw_root() %}
    {%- for node in graph.sources.values() if node.package_name == project_name -%}
        {{ return(node.meta.raw_root) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("raw_root(): the project defines no source") }}
{% endmacro %}

{# The glob of one raw table's partitions; `source_relation.identifier` is the table's folder. #}
{% macro raw_glob(source_relation) %}
    {{ return(raw_root() ~ '/' ~ source_relation.identifier ~ '/*/*.parquet') }}
{% endmacro %}
