-- How many declared parent edges were dropped from the lineage, and why, per snapshot day.
select
    snapshot_date,
    reject_reason,
    count(*) as n_edges,
    count(distinct child_uid) as n_children,
    min(child_id) as example_child_id,
    min(parent_id) as example_parent_id
from {{ ref('int_hub__model_lineage_edges') }}
where not parent_is_valid
group by snapshot_date, reject_reason
