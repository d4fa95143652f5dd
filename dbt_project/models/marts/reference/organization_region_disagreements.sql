-- Namespaces our seed and ATOM's reference place in different regions, with both sides'
-- evidence. The report uses ATOM's region (dim_organizations); this says where that matters.
select
    orgs.namespace,
    orgs.organization,
    orgs.country_code as seed_country_code,
    orgs.seed_region,
    orgs.atom_region,
    orgs.region as region_used,
    orgs.evidence as seed_evidence,
    orgs.atom_notes,
    count(models.model_uid) filter (where models.is_mainline) as n_mainline_models,
    coalesce(sum(models.latest_downloads_all_time) filter (where models.is_mainline), 0) as mainline_downloads_all_time
from {{ ref('dim_organizations') }} as orgs
left join {{ ref('dim_models') }} as models on models.namespace = orgs.namespace
where orgs.seed_region <> orgs.atom_region
group by all
