-- One row per reviewed Hub namespace: our seed `organizations` (with country and evidence) and
-- ATOM's `atom_organization_regions` (vendored), joined on the exact namespace. The region is
-- ATOM's where ATOM classifies the namespace, else ours; country and evidence come from our seed
-- only. Every ATOM namespace is tracked (captured daily), so the capture follows both lists.
-- The country rule: the publishing organization's primary base, never inherited from a base model.
with ours as (
    select
        namespace,
        organization,
        nullif(country_code, '') as country_code,
        region,
        cast(tracked as boolean) as is_tracked,
        evidence
    from {{ ref('organizations') }}
),

atom as (
    select namespace, region, nullif(notes, '') as notes
    from {{ ref('atom_organization_regions') }}
)

select
    coalesce(ours.namespace, atom.namespace) as namespace,
    coalesce(ours.organization, atom.namespace) as organization,
    ours.country_code,
    coalesce(atom.region, ours.region) as region,
    case when atom.region is not null then 'atom_reference' else 'atom_seed' end as region_source,
    ours.region as seed_region,
    atom.region as atom_region,
    coalesce(ours.is_tracked, false) or atom.namespace is not null as is_tracked,
    ours.evidence,
    atom.notes as atom_notes
from ours
full outer join atom on atom.namespace = ours.namespace
