-- Every parent edge declared by a model on a snapshot day, valid or not, keyed by the resolved
-- `model_uid` (int_hub__models_keyed), one row per element of the day's `lineage` list.
-- Malformed parents stay here with their reason so they can be counted; the mart drops them.
with edges as (
    select
        model_uid as child_uid,
        model_id as child_id,
        snapshot_date,
        {{ unnest_list('lineage') }} as edge
    from {{ ref('int_hub__models_keyed') }}
)

select
    child_uid,
    child_id,
    snapshot_date,
    edge.relation as relation,
    edge.parent_id as parent_id,
    edge.origin as declared_in,
    edge.parent_valid as parent_is_valid,
    edge.reject_reason as reject_reason
from edges
