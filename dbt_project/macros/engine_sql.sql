{#
    SQL that differs between the engines this project runs on (profiles.yml targets `duckdb`, the
    default, and `spark`; docs/spark.md). Each concept is one dispatched macro (adapter.dispatch,
    namespace `atom`): `duckdb__` renders exactly the SQL the models had before they ran on Spark, so
    DuckDB's plans and results do not move; `default__` is Spark SQL's equivalent with the same
    result (also what dbt-databricks falls back to), `spark__` where only Spark's adapter fits.
    Constructs both engines share (QUALIFY, `count(*) filter (...)`, max_by/min_by, `::` casts,
    GROUP BY ALL) are written plainly in the models. The other engine-specific macros: safe_sum
    (safe_sum.sql), regex_match / any_element_matches (pattern_rules.sql), raw_type
    (raw_parquet_or_empty.sql) and Spark's seed loading (spark_seeds.sql).
#}

{#
    The relation to read a raw source table from (`{{ raw_source(source('hub', 'models')) }}`).
    DuckDB: read_parquet() of the run's raw root (macros/raw_paths.sql), as the source's
    `external_location` (dbt_project.yml) reads the parsed one. Spark: the same hive-partitioned folder, read by path: Spark discovers the
    `snapshot_date=` partitions (typed as dates) and, with the profile's spark.sql.parquet.mergeSchema,
    unions the files' columns by name, as DuckDB's union_by_name does.
#}
{% macro raw_source(source_relation) -%}
    {{ return(adapter.dispatch('raw_source', 'atom')(source_relation)) }}
{%- endmacro %}

{% macro default__raw_source(source_relation) -%}
    {{ return(source_relation) }}
{%- endmacro %}

{% macro duckdb__raw_source(source_relation) -%}
    {#- The source's own relation reads the parsed root; a run reads its own (raw_root()). A
        relation without an external location (a unit test's fixture) is read as it is. -#}
    {%- if not execute or not source_relation.external -%}{{ return(source_relation) }}{%- endif -%}
    read_parquet('{{ raw_glob(source_relation) }}', hive_partitioning = true, union_by_name = true)
{%- endmacro %}

{% macro spark__raw_source(source_relation) -%}
    {#- The raw root is read from the graph, which exists at execution time only. -#}
    {%- if not execute -%}{{ return(source_relation) }}{%- endif -%}
    {#- raw_root() is escaped for a string literal (quotes doubled); a quoted identifier doubles backticks. -#}
    parquet.`{{ ((raw_root() | replace("''", "'")) ~ '/' ~ source_relation.identifier) | replace('`', '``') }}`
{%- endmacro %}

{#
    A relation listing one raw table's landed Parquet files, one row per file in the column `file`
    (its path, with the `snapshot_date=<day>` folder); no Parquet is read. `source_relation` needs only
    an `identifier` (the raw table's folder). Runs at execution time only (it may issue DDL).
    DuckDB: glob(). Spark has no file-listing function: a `binaryFile` table over the folder lists it
    (only its `path` column is read, so no file content is), and, being a catalog table, reads as empty
    where the folder does not exist yet, where a path read (binaryFile.`dir`) would fail. It is
    re-created on every call, so it always points at the current raw root.
#}
{% macro raw_files(source_relation) -%}
    {{ return(adapter.dispatch('raw_files', 'atom')(source_relation)) }}
{%- endmacro %}

{% macro duckdb__raw_files(source_relation) -%}
    glob('{{ raw_glob(source_relation) }}')
{%- endmacro %}

{% macro default__raw_files(source_relation) -%}
    {%- set listing = target.schema ~ '.raw_files__' ~ source_relation.identifier -%}
    {%- do run_query('create schema if not exists ' ~ target.schema) -%}
    {%- do run_query('drop table if exists ' ~ listing) -%}
    {#- Spark's string literals escape a quote with a backslash; raw_root() has it doubled. -#}
    {%- do run_query(
        "create table " ~ listing ~ " using binaryFile"
        ~ " options (recursiveFileLookup 'true', pathGlobFilter '*.parquet')"
        ~ " location '" ~ (raw_root() | replace("''", "\\'")) ~ "/" ~ source_relation.identifier ~ "'"
    ) -%}
    (select path as file from {{ listing }})
{%- endmacro %}

{#
    As-of join: each row of the left side with the one row of `relation` (as `alias`) whose key
    columns are equal (`equal_on`, SQL over both sides) and whose `time_column` is nearest to
    `left_time` on the side `op` says: `alias.time_column <op> left_time`, op one of <=, <, >=, >.
    join_type 'left' keeps left rows without a match (nulls), 'inner' drops them.
    DuckDB: its native ASOF join (a merge over sorted sides). Spark: a lateral subquery picking the
    nearest row (Spark decorrelates it into a join and a window); same rows, as the right side has
    one row per key and time in every use here.
#}
{% macro asof_join(join_type, relation, alias, equal_on, time_column, op, left_time) -%}
    {%- if op not in ['<=', '<', '>=', '>'] or join_type not in ['left', 'inner'] -%}
        {{ exceptions.raise_compiler_error("asof_join: op must be <=, <, >= or >, join_type left or inner") }}
    {%- endif -%}
    {{ return(adapter.dispatch('asof_join', 'atom')(join_type, relation, alias, equal_on, time_column, op, left_time)) }}
{%- endmacro %}

{% macro duckdb__asof_join(join_type, relation, alias, equal_on, time_column, op, left_time) -%}
    asof {{ join_type }} join {{ relation }} as {{ alias }}
        on {{ equal_on }}
        and {{ alias }}.{{ time_column }} {{ op }} {{ left_time }}
{%- endmacro %}

{% macro default__asof_join(join_type, relation, alias, equal_on, time_column, op, left_time) -%}
    {{ join_type }} join lateral (
        select * from {{ relation }} as {{ alias }}
        where {{ equal_on }} and {{ alias }}.{{ time_column }} {{ op }} {{ left_time }}
        order by {{ alias }}.{{ time_column }} {{ 'desc' if op in ['<=', '<'] else 'asc' }}
        limit 1
    ) as {{ alias }} on true
{%- endmacro %}

{# Whole days from `start_date` to `end_date` (dates). dbt.datediff casts to timestamps on DuckDB. #}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'atom')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{# Integer division, truncating (`//` on DuckDB, `div` on Spark). #}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'atom')(dividend, divisor)) }}
{%- endmacro %}

{% macro duckdb__int_div(dividend, divisor) -%}
    {{ dividend }} // {{ divisor }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    {{ dividend }} div {{ divisor }}
{%- endmacro %}

{# One row per element of a list, in a select list (`unnest` on DuckDB, `explode` on Spark). #}
{% macro unnest_list(list_expression) -%}
    {{ return(adapter.dispatch('unnest_list', 'atom')(list_expression)) }}
{%- endmacro %}

{% macro duckdb__unnest_list(list_expression) -%}
    unnest({{ list_expression }})
{%- endmacro %}

{% macro default__unnest_list(list_expression) -%}
    explode({{ list_expression }})
{%- endmacro %}

{#
    The UTC calendar day of a timestamp with time zone. Spark's timestamps are instants shown in the
    session time zone, which the spark profile fixes to UTC: a cast is the UTC day.
#}
{% macro utc_date(timestamp_expression) -%}
    {{ return(adapter.dispatch('utc_date', 'atom')(timestamp_expression)) }}
{%- endmacro %}

{% macro duckdb__utc_date(timestamp_expression) -%}
    cast(timezone('UTC', {{ timestamp_expression }}) as date)
{%- endmacro %}

{% macro default__utc_date(timestamp_expression) -%}
    cast({{ timestamp_expression }} as date)
{%- endmacro %}

{#
    The materialization of the incremental models whose runs delete stored rows (pre- and post-hooks
    `delete from {{ this }} ...`): incremental where tables take DELETE (DuckDB), a table rebuilt whole
    on every run elsewhere. Spark's built-in Parquet tables have no DELETE (Delta Lake's would, but
    its jars come from Maven) and the models' incremental SQL reads its own stored rows back in
    DuckDB's dialect (`union all by name`, `* exclude`); a whole rebuild gives the same table (the
    incremental runs are tested against full builds). Their delete hooks render only when
    `deletes_in_place()`.
#}
{% macro deletes_in_place() -%}
    {{ return(adapter.dispatch('deletes_in_place', 'atom')()) }}
{%- endmacro %}

{% macro duckdb__deletes_in_place() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro default__deletes_in_place() -%}
    {{ return(false) }}
{%- endmacro %}

{#
    Aggregate: the sorted list of a string expression over the group's rows where `condition` holds
    (distinct values if `distinct`), an empty list (never null) when no row does.
#}
{% macro sorted_string_list(expression, condition, distinct=false) -%}
    {{ return(adapter.dispatch('sorted_string_list', 'atom')(expression, condition, distinct)) }}
{%- endmacro %}

{% macro duckdb__sorted_string_list(expression, condition, distinct) -%}
    coalesce(list_sort(list({{ 'distinct ' if distinct }}{{ expression }}) filter (where {{ condition }})), []::varchar[])
{%- endmacro %}

{# collect_list/collect_set skip nulls and give an empty array (not null) for no rows. #}
{% macro default__sorted_string_list(expression, condition, distinct) -%}
    array_sort(collect_{{ 'set' if distinct else 'list' }}({{ expression }}) filter (where {{ condition }}))
{%- endmacro %}

{#
    numerator / denominator as a double. DuckDB's `/` is already floating-point division. Spark's
    divides decimals as decimals, rounded to 6 places when the operands are wide (safe_sum's
    DECIMAL(38, 0), a literal like 1.0): the operands are cast to double first, as DuckDB does.
#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide', 'atom')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / cast({{ denominator }} as double)
{%- endmacro %}

{# Continuous (interpolated) quantile aggregate: DuckDB's quantile_cont, Spark's percentile. #}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'atom')(expression, fraction)) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
