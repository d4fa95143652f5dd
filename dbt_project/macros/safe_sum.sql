{#
  safe_sum(expression): the sum of a counter (downloads, tokens) in a type wide enough that it cannot
  overflow. The raw counters are BIGINT; a sum of two counters near 2^62 already exceeds BIGINT, so
  every sum of counters in marts and metrics adds them as a 128-bit / 38-digit integer, and no
  result is cast back to BIGINT. Use it wherever `sum(...)` would go, also as a window or with a
  filter: `{{ safe_sum('downloads') }} over same_period`, `{{ safe_sum('x') }} filter (where ...)`.

  Dispatched (adapter.dispatch, macro namespace `atom`) so that another engine can override it with
  `<adapter>__safe_sum`: the default is the portable DECIMAL(38, 0) (dbt's cross-database approach:
  cast to a wide numeric type, then sum); DuckDB uses its native HUGEINT (sum(BIGINT) is HUGEINT
  there anyway), which Python reads back as int, where DECIMAL would give decimal.Decimal.
#}
{% macro safe_sum(expression) -%}
    {{ return(adapter.dispatch('safe_sum', 'atom')(expression)) }}
{%- endmacro %}

{% macro default__safe_sum(expression) -%}
    sum(cast({{ expression }} as decimal(38, 0)))
{%- endmacro %}

{% macro duckdb__safe_sum(expression) -%}
    sum(cast({{ expression }} as hugeint))
{%- endmacro %}
