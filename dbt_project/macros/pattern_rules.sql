{#
    Pattern seeds (model_families, mainline_exclusion_rules) applied as one CASE of constant regular
    expressions, first match by priority.

    Why not a join on `regexp_matches(name, seed.pattern)`: a pattern that is a column is compiled
    again for every row and the join runs as a nested loop over models x patterns (at 300K models
    and the 40 family patterns: 83 s against 0.4 s for the CASE, which compiles each pattern once).
    The seed's rows are read when the model runs (`run_query`, after dbt has built the seed in the
    same build); the model's dependency on the seed is recorded at parse time by `ref` below.
#}

{#
    Rows of a seed, ordered; [] at parse time. The seed's table is looked up in the graph, not
    through `ref` (inside a dbt unit test `ref` names a fixture CTE that no query can read); the `ref`
    call records the dependency. Raises a clear error when the seed is not loaded yet.
#}
{% macro seed_rows(seed_name, columns, order_by) %}
    {%- do ref(seed_name) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {#- A unit test renders with an empty graph: the seed is then where seeds go by default. -#}
    {%- set node = graph.get('nodes', {}).get('seed.' ~ project_name ~ '.' ~ seed_name) -%}
    {%- if node -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
    {%- else -%}
        {%- set relation = adapter.get_relation(target.database, target.schema, seed_name) -%}
    {%- endif -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "The seed '" ~ seed_name ~ "' is not in the warehouse yet: run `dbt seed` (or a `dbt build`) first."
        ) }}
    {%- endif -%}
    {%- set query -%}
        select {{ columns | join(', ') }} from {{ relation }} order by {{ order_by }}
    {%- endset -%}
    {{ return(run_query(query).rows) }}
{% endmacro %}

{#
    `case when <test 1> then <label 1> ... end` over (label, test) pairs in priority order; a typed
    null when there are none (or at parse time).
#}
{% macro first_match(label_and_tests) %}
    {%- if label_and_tests | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        case
        {%- for label, test in label_and_tests %}
            when {{ test }} then {{ atom.sql_string(label) }}
        {%- endfor %}
        end
    {%- endif -%}
{% endmacro %}

{# The family of `name_column` by the seed model_families (lowest priority, then family name). #}
{% macro model_family(name_column) %}
    {%- set tests = [] -%}
    {%- for row in seed_rows('model_families', ['family', 'pattern'], 'priority, family') -%}
        {%- do tests.append((row[0], atom.regex_match(name_column, row[1]))) -%}
    {%- endfor -%}
    {{ return(atom.first_match(tests)) }}
{% endmacro %}

{#
    The first rule of the seed mainline_exclusion_rules a model matches (lowest priority, then
    rule id): on its repo name, its library, or any of its tags, as the rule's `applies_to` says.
#}
{% macro mainline_exclusion_rule(name_column, library_column, tags_column) %}
    {%- set tests = [] -%}
    {%- set rows = seed_rows('mainline_exclusion_rules', ['rule_id', 'applies_to', 'pattern'], 'priority, rule_id') -%}
    {%- for rule_id, applies_to, pattern in rows -%}
        {%- if applies_to == 'model_name' -%}
            {%- do tests.append((rule_id, atom.regex_match(name_column, pattern))) -%}
        {%- elif applies_to == 'library_name' -%}
            {%- do tests.append((rule_id, atom.regex_match("coalesce(" ~ library_column ~ ", '')", pattern))) -%}
        {%- elif applies_to == 'tag' -%}
            {%- do tests.append((rule_id, atom.any_element_matches(tags_column, pattern))) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "mainline_exclusion_rules: rule '" ~ rule_id ~ "' applies to '" ~ applies_to
                ~ "'; expected model_name, library_name or tag"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(atom.first_match(tests)) }}
{% endmacro %}

{# A SQL string literal of `value`, its single quotes doubled (dbt.string_literal does not escape). #}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{# Dispatched: RE2 syntax on DuckDB; another engine overrides `<adapter>__regex_match`. #}
{% macro regex_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_match', 'atom')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_match(expression, pattern) -%}
    regexp_like({{ expression }}, {{ atom.sql_string(pattern) }})
{%- endmacro %}

{% macro duckdb__regex_match(expression, pattern) -%}
    regexp_matches({{ expression }}, {{ atom.sql_string(pattern) }})
{%- endmacro %}

{% macro any_element_matches(list_expression, pattern) -%}
    {{ return(adapter.dispatch('any_element_matches', 'atom')(list_expression, pattern)) }}
{%- endmacro %}

{# Spark SQL's higher-order `exists(array, x -> predicate)`. #}
{% macro default__any_element_matches(list_expression, pattern) -%}
    coalesce(exists({{ list_expression }}, t -> {{ atom.regex_match('t', pattern) }}), false)
{%- endmacro %}

{% macro duckdb__any_element_matches(list_expression, pattern) -%}
    coalesce(len(list_filter({{ list_expression }}, lambda t: {{ atom.regex_match('t', pattern) }})) > 0, false)
{%- endmacro %}
