-- One row per (child, parent, relation): the captured models' edges from each child's latest
-- snapshot, malformed parents dropped (they are counted in `int_hub__model_lineage_edges` /
-- `agg_lineage_rejections`), and the edges of the whole Hub's new models of each captured day
-- (int_hub__new_model_edges) for children not captured themselves (`edge_source` says which).
--
-- A parent is declared by repo id. Several models can have had that repo id (a repository deleted
-- and re-created under the same repo id: the old `_id` ended, see dim_models.superseded_on); the
-- parent is the one holding it now: not superseded, else the latest captured, then the later
-- `createdAt`, then the greater `_id`. So each edge is one row.
-- The edges of each child's latest snapshot, found by joining on dim_models' last day (which lets
-- DuckDB read those rows only, not unnest every landed day's lineage).
with latest_edges as (
    select edges.*
    from {{ ref('int_hub__model_lineage_edges') }} as edges
    inner join {{ ref('dim_models') }} as latest
        on latest.model_uid = edges.child_uid and latest.last_snapshot_date = edges.snapshot_date
),

current_holders as (
    select model_uid, model_id
    from {{ ref('dim_models') }}
    qualify row_number() over (
        partition by model_id
        order by superseded_on is not null, last_snapshot_date desc, created_at desc nulls last, model_uid desc
    ) = 1
),

captured as (
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
    left join current_holders as parents on parents.model_id = edges.parent_id
    where edges.parent_is_valid
),

listed as (
    select
        edges.child_uid,
        edges.child_id,
        edges.child_author,
        edges.child_created_at,
        edges.child_created_at::date as child_created_date,
        edges.parent_id,
        split_part(edges.parent_id, '/', 1) as parent_namespace,
        parents.model_uid as parent_uid,
        edges.relation,
        'baseModels' as declared_in
    from {{ ref('int_hub__new_model_edges') }} as edges
    left join current_holders as parents on parents.model_id = edges.parent_id
    where not exists (select 1 from captured where captured.child_uid = edges.child_uid)
)

select *, 'captured_model' as edge_source from captured
union all
select *, 'new_models_listing' as edge_source from listed
