-- Candidates for ATOM's list: models of tracked organizations that pass our rules but are not on
-- the primary list. A release first captured within a week of its creation is listed from that
-- day, before it reaches the download threshold (the threshold is the last rule, so
-- `below_download_threshold` means every other rule passed); older models must pass every rule.
with flagged as (
    select
        *,
        created_at::date >= cast({{ dbt.dateadd('day', -7, 'first_snapshot_date') }} as date) as seen_as_new_release
    from {{ ref('dim_models') }}
    where is_first_party
        and atom_list is distinct from 'primary'
        and superseded_on is null
        and coalesce(rules_exclusion_reason, 'below_download_threshold') = 'below_download_threshold'
)

select
    model_uid,
    model_id,
    namespace,
    organization,
    region,
    family,
    size_bucket,
    created_at,
    release_date,
    first_snapshot_date as first_seen,
    latest_downloads_all_time,
    atom_list,
    rules_exclusion_reason,
    case
        when atom_list = 'extra' then 'on_atom_extra_list'
        when seen_as_new_release then 'new_release_not_in_atom_list'
        else 'passes_rules_not_in_atom_list'
    end as candidate_reason
from flagged
where rules_exclusion_reason is null or seen_as_new_release
