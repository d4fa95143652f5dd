{{
    config(
        materialized='incremental' if deletes_in_place() else 'table',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where listed_on >= date '{{ partition_window('min_date') }}'{% endif %}",
    )
}}
-- Parent edges of the whole Hub's new models (stg_hub__new_models): one row per (new model,
-- declared parent), from the listing of the day the model was created (a model listed again on
-- a later day keeps its first listing). Models without a relation or a parent have no edge.
--
-- Incremental: a build rebuilds the edges of the models first listed on the days from the run's
-- `min_date` on; a model listed before that day keeps its stored first listing (its listed-on
-- days are read from staging's narrow key columns only). A full build reads every day.
{%- set window_start = partition_window('min_date') if is_incremental() else '1900-01-01' %}
with first_listing as (
    select *
    from {{ ref('stg_hub__new_models') }}
    where snapshot_date >= date '{{ window_start }}'
    {%- if is_incremental() %}
        and model_uid not in (
            select model_uid from {{ ref('stg_hub__new_models') }}
            where snapshot_date < date '{{ window_start }}'
        )
    {%- endif %}
    qualify row_number() over (partition by model_uid order by snapshot_date) = 1
),

edges as (
    select
        model_uid as child_uid,
        model_id as child_id,
        namespace as child_author,
        created_at as child_created_at,
        base_relation as relation,
        snapshot_date as listed_on,
        {{ unnest_list('base_model_ids') }} as parent_id
    from first_listing
    where base_relation is not null
)

select distinct * from edges
