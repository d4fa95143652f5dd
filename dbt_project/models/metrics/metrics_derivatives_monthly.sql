-- New derivatives per calendar month of the derivative's creation (Hub `createdAt`), by base
-- namespace (the parent's organization on the Hub), base family and relation, from the model tree
-- in `fct_model_lineage`. The base family is the parent's family when the parent is a captured
-- model, else `untracked`. A derivative with several parents (a merge) is one derivative in each
-- of its parents' rows; `weighted_derivatives` splits it evenly so that a month's rows add up to
-- its number of new derivatives.
with edges as (
    select
        lineage.child_uid,
        cast({{ dbt.date_trunc('month', 'lineage.child_created_date') }} as date) as month,
        lineage.relation,
        lineage.parent_namespace as base_namespace,
        lineage.parent_uid,
        case
            when lineage.parent_uid is null then 'untracked'
            else coalesce(nullif(parents.family, ''), 'unknown')
        end as base_family
    from {{ ref('fct_model_lineage') }} as lineage
    left join {{ ref('dim_models') }} as parents on parents.model_uid = lineage.parent_uid
    where lineage.child_created_date is not null
),

weighted as (
    select *, {{ divide('1.0', 'count(*) over (partition by child_uid)') }} as child_weight
    from edges
)

select
    weighted.month,
    weighted.base_namespace,
    orgs.organization as base_organization,
    orgs.region as base_region,
    weighted.base_family,
    weighted.relation,
    weighted.parent_uid is not null as base_is_captured,
    count(distinct weighted.child_uid) as n_derivatives,
    count(*) as n_edges,
    sum(weighted.child_weight) as weighted_derivatives,
    count(distinct weighted.parent_uid) as n_captured_bases
from weighted
left join {{ ref('dim_organizations') }} as orgs on orgs.namespace = weighted.base_namespace
group by
    weighted.month, weighted.base_namespace, orgs.organization, orgs.region, weighted.base_family,
    weighted.relation, weighted.parent_uid is not null
