{#
    The incremental build of int_hub__models_keyed (see the model's header).

    keyed_rebuild_from(): the first day to rebuild, as 'YYYY-MM-DD': the run's `min_date` (the
    earliest changed day), or an earlier day that has landed raw Parquet but is not in the table
    (landed and never built), or an earlier day the table has but the raw Parquet no longer does.
    Read once at compile time and again by the pre-hook, before the pre-hook deletes anything, so
    both see the same answer. The landed days come from the partition folders (a file listing, raw_files):
    no Parquet is read.
#}
{% macro keyed_rebuild_from() %}
    {%- set window_start = partition_window('min_date') -%}
    {%- if not execute -%}
        {{ return(window_start) }}
    {%- endif -%}
    {%- set landed -%}
        select distinct cast(regexp_extract(file, 'snapshot_date=([0-9-]+)', 1) as date) as day
        from {{ raw_files({"identifier": "hub_models"}) }}
    {%- endset -%}
    {%- set stored = "select distinct snapshot_date as day from " ~ this -%}
    {%- set query -%}
        select cast(least(
            date '{{ window_start }}',
            coalesce((select min(day) from ({{ landed }} except {{ stored }})), date '2999-12-31'),
            coalesce((select min(day) from ({{ stored }} except {{ landed }})), date '2999-12-31')
        ) as varchar)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}

{#
    keyed_drop_outranked_surrogates(): after an incremental build, a re-resolved stored surrogate row
    that now shares its (model_uid, day) with another row gives way as a full build's final
    `qualify` would: to the `_id` row, else to the surrogate with the smaller raw key.
#}
{% macro keyed_drop_outranked_surrogates() %}
    delete from {{ this }} as outranked
    where outranked.model_uid_origin <> 'hub_id'
        and exists (
            select 1 from {{ this }} as other
            where other.model_uid = outranked.model_uid
                and other.snapshot_date = outranked.snapshot_date
                and (other.model_uid_origin = 'hub_id' or other.raw_model_uid < outranked.raw_model_uid)
        )
{% endmacro %}
