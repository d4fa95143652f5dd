-- Each base family's (and base organization's) share of all new derivatives of tracked bases per
-- calendar month: the report's "Qwen's share of new derivatives". A tracked base is a parent that
-- is a captured model. Grain: month x breakdown (`family` or `organization`) x base. A derivative
-- of several tracked bases (a merge) is split evenly among them, so the shares of a month and
-- breakdown add up to 1.
with tracked_edges as (
    select
        lineage.child_uid,
        cast({{ dbt.date_trunc('month', 'lineage.child_created_date') }} as date) as month,
        coalesce(nullif(parents.family, ''), 'unknown') as family,
        coalesce(parents.organization, parents.namespace) as organization
    from {{ ref('fct_model_lineage') }} as lineage
    inner join {{ ref('dim_models') }} as parents on parents.model_uid = lineage.parent_uid
    where lineage.child_created_date is not null
),

weighted as (
    select *, 1.0 / count(*) over (partition by child_uid) as child_weight
    from tracked_edges
),

by_base as (
    select month, 'family' as breakdown, family as base,
        count(distinct child_uid) as n_derivatives, sum(child_weight) as weighted_derivatives
    from weighted
    group by month, family
    union all
    select month, 'organization', organization,
        count(distinct child_uid), sum(child_weight)
    from weighted
    group by month, organization
)

select
    month,
    breakdown,
    base,
    n_derivatives,
    weighted_derivatives,
    weighted_derivatives / sum(weighted_derivatives) over same_month as share,
    sum(weighted_derivatives) over same_month as month_derivatives_of_tracked_bases
from by_base
window same_month as (partition by month, breakdown)
