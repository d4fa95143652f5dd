-- Concentration of downloads (not in the report), per calendar month and kind of entity (mainline
-- models, or their publishing organizations): the share of the month's downloads taken by the
-- top N (one row per N in var `concentration_top_n`) and the Herfindahl-Hirschman index, the sum
-- of the squared shares (on the 0..1 scale in `hhi`, the antitrust 0..10,000 scale in
-- `hhi_points`). Downloads are the month's growth of the cumulative counts (see
-- `metrics_model_downloads_monthly`); entities without downloads that month are left out. Sums
-- use safe_sum (128-bit: no overflow).
with monthly as (
    select month, model_uid, model_id, organization, downloads
    from {{ ref('metrics_model_downloads_monthly') }}
),

entities as (
    select month, 'model' as entity_type, model_uid as entity_key, model_id as entity_name, downloads
    from monthly
    union all
    select month, 'organization', organization, organization, {{ safe_sum('downloads') }}
    from monthly
    group by month, organization
),

shares as (
    select
        month,
        entity_type,
        entity_name,
        downloads,
        {{ divide('downloads', safe_sum('downloads') ~ ' over same_group') }} as share,
        row_number() over (partition by month, entity_type order by downloads desc, entity_key) as rank
    from entities
    where downloads > 0
    window same_group as (partition by month, entity_type)
),

indices as (
    select
        month,
        entity_type,
        {{ safe_sum('downloads') }} as total_downloads,
        count(*) as n_entities,
        sum(share * share) as hhi,
        min_by(entity_name, rank) as largest_entity
    from shares
    group by month, entity_type
),

top_ns as (
    {% for n in var('concentration_top_n') %}
    select {{ n | int }} as top_n
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

top_shares as (
    select shares.month, shares.entity_type, top_ns.top_n, sum(shares.share) as top_n_share
    from shares
    inner join top_ns on shares.rank <= top_ns.top_n
    group by shares.month, shares.entity_type, top_ns.top_n
)

select
    indices.month,
    indices.entity_type,
    top_shares.top_n,
    top_shares.top_n_share,
    indices.hhi,
    indices.hhi * 10000 as hhi_points,
    1 / indices.hhi as effective_number,
    indices.largest_entity,
    indices.n_entities,
    indices.total_downloads
from top_shares
inner join indices
    on indices.month = top_shares.month
    and indices.entity_type = top_shares.entity_type
