-- Each base family's (and base organization's) share of the new derivatives of mainline bases per
-- calendar month of the derivatives' creation, overall and per relation: the report's "Qwen's
-- share of new derivatives". A mainline base is a parent that is a mainline model (dim_models).
-- Derivatives come from fct_model_lineage: the whole Hub's new models on days with a
-- `hub/new_models/` listing, and the captured models' own lineage (`n_listing_days` says how much
-- of the month the whole-Hub listing covers). A derivative of several mainline bases (a merge) is
-- split evenly among them, so within a month, breakdown and relation the shares add up to 1.
-- One history day with derivatives (a hub-stats snapshot of the whole Hub, filtered to the tracked
-- organizations' models and every model whose tags name one as its base) holds every derivative of
-- a mainline base that still existed that day, with its `createdAt`: its edges ('captured_model')
-- give every creation month before it, back to 2023 and earlier, from that one file
-- (`full_hub_snapshot_of`); repositories deleted before the snapshot are not counted.
-- Grain: month x relation (`all` or one relation) x breakdown (`family` or `organization`) x base.
with mainline_edges as (
    select
        lineage.child_uid,
        cast({{ dbt.date_trunc('month', 'lineage.child_created_date') }} as date) as month,
        lineage.relation,
        coalesce(nullif(parents.family, ''), 'unknown') as family,
        coalesce(parents.organization, parents.namespace) as organization
    from {{ ref('fct_model_lineage') }} as lineage
    inner join {{ ref('dim_models') }} as parents on parents.model_uid = lineage.parent_uid
    where lineage.child_created_date is not null and parents.is_mainline
),

weighted as (
    select *, {{ divide('1.0', 'count(*) over (partition by child_uid)') }} as child_weight
    from mainline_edges
),

-- Every relation on its own, and all of them together (`all`).
by_relation as (
    select month, relation, child_uid, child_weight, family, organization from weighted
    union all
    select month, 'all', child_uid, child_weight, family, organization from weighted
),

by_base as (
    select month, relation, 'family' as breakdown, family as base,
        count(distinct child_uid) as n_derivatives, sum(child_weight) as weighted_derivatives
    from by_relation
    group by month, relation, family
    union all
    select month, relation, 'organization', organization,
        count(distinct child_uid), sum(child_weight)
    from by_relation
    group by month, relation, organization
),

-- The latest history day that kept derivatives (models outside the tracked organizations).
full_hub_snapshot as (
    select max(models.snapshot_date) as snapshot_of
    from {{ ref('int_hub__models_keyed') }} as models
    left join {{ ref('dim_organizations') }} as orgs
        on orgs.namespace = models.namespace and orgs.is_tracked
    where models.capture_source = 'history' and orgs.namespace is null
),

listing_days as (
    select
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month,
        count(distinct snapshot_date) as n_listing_days
    from {{ ref('stg_hub__new_models') }}
    group by 1
)

select
    by_base.month,
    by_base.relation,
    by_base.breakdown,
    by_base.base,
    by_base.n_derivatives,
    by_base.weighted_derivatives,
    by_base.weighted_derivatives / sum(by_base.weighted_derivatives) over same_month as share,
    sum(by_base.weighted_derivatives) over same_month as month_derivatives_of_mainline_bases,
    coalesce(listing_days.n_listing_days, 0) as n_listing_days,
    -- The month's derivatives are all there as of this day (a history day with derivatives).
    case when full_hub_snapshot.snapshot_of >= by_base.month then full_hub_snapshot.snapshot_of end
        as full_hub_snapshot_of
from by_base
left join listing_days on listing_days.month = by_base.month
cross join full_hub_snapshot
window same_month as (partition by by_base.month, by_base.relation, by_base.breakdown)
