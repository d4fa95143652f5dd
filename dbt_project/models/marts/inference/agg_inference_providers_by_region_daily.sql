-- Per capture day and region: how many mainline models are served by at least one live
-- inference provider on the Hub, and by how many providers on average.
select
    facts.snapshot_date,
    facts.region,
    count(*) as n_models_checked,
    count(*) filter (where facts.is_served) as n_models_served,
    count(*) filter (where facts.is_served) / cast(count(*) as double) as share_served,
    avg(facts.n_providers_live) as avg_providers_live
from {{ ref('fct_model_inference_providers_daily') }} as facts
where facts.is_mainline and facts.region is not null
group by facts.snapshot_date, facts.region
