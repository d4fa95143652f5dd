-- Parent edges of the whole Hub's new models (stg_hub__new_models): one row per (new model,
-- declared parent), from the listing of the day the model was created (a model listed again on
-- a later day keeps its first listing). Models without a relation or a parent have no edge.
with first_listing as (
    select *
    from {{ ref('stg_hub__new_models') }}
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
        unnest(base_model_ids) as parent_id
    from first_listing
    where base_relation is not null
)

select distinct * from edges
