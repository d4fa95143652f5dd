-- Derivative counts per base model: the Hub's own `childrenModelCount` per relation from the
-- model's latest snapshot (captured for tracked organizations' models), next to the derivatives
-- the pipeline itself captured declaring it as parent (`fct_model_lineage`: captured models and the
-- whole Hub's new models of the captured days). One row per captured model that has either.
with captured_children as (
    select
        parent_uid,
        count(distinct child_uid) filter (where relation = 'finetune') as captured_finetune,
        count(distinct child_uid) filter (where relation = 'adapter') as captured_adapter,
        count(distinct child_uid) filter (where relation = 'quantized') as captured_quantized,
        count(distinct child_uid) filter (where relation = 'merge') as captured_merge,
        count(distinct child_uid) as captured_total
    from {{ ref('fct_model_lineage') }}
    where parent_uid is not null
    group by parent_uid
)

select
    models.model_uid,
    models.model_id,
    models.organization,
    models.family,
    models.region,
    models.size_bucket,
    models.is_mainline,
    models.last_snapshot_date as children_counted_on,
    models.children_finetune,
    models.children_adapter,
    models.children_quantized,
    models.children_merge,
    models.children_total,
    coalesce(captured_children.captured_finetune, 0) as captured_finetune,
    coalesce(captured_children.captured_adapter, 0) as captured_adapter,
    coalesce(captured_children.captured_quantized, 0) as captured_quantized,
    coalesce(captured_children.captured_merge, 0) as captured_merge,
    coalesce(captured_children.captured_total, 0) as captured_total
from {{ ref('dim_models') }} as models
left join captured_children on captured_children.parent_uid = models.model_uid
where models.children_total is not null or captured_children.parent_uid is not null
