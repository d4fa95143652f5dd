-- One row per Hub namespace we have reviewed, with the report's country rule:
-- the publishing organization's primary base, never inherited from a base model.
select
    namespace,
    organization,
    nullif(country_code, '') as country_code,
    region,
    cast(tracked as boolean) as is_tracked,
    evidence
from {{ ref('organizations') }}
