-- One row per (child, parent, relation) from each child's latest snapshot, malformed parents
-- dropped (they are counted in `int_hub__model_lineage_edges` / `agg_lineage_rejections`).
with latest_edges as (
    select *
    from {{ ref('int_hub__model_lineage_edges') }}
    qualify snapshot_date = max(snapshot_date) over (partition by child_uid)
)

select distinct
    edges.child_uid,
    models.model_id as child_id,
    models.namespace as child_author,
    models.created_at as child_created_at,
    models.created_at::date as child_created_date,
    edges.parent_id,
    split_part(edges.parent_id, '/', 1) as parent_namespace,
    parents.model_uid as parent_uid,
    edges.relation,
    edges.declared_in
from latest_edges as edges
inner join {{ ref('dim_models') }} as models on models.model_uid = edges.child_uid
left join {{ ref('dim_models') }} as parents on parents.model_id = edges.parent_id
where edges.parent_is_valid
