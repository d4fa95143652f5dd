-- Inference provider availability per tracked model per capture day (Hub `inferenceProviderMapping`):
-- how many providers serve the model live, which ones, and since when it is served.
with providers as (
    select * from {{ ref('stg_hub_inference__providers') }}
),

per_model as (
    select
        snapshot_date,
        model_uid,
        min(model_id) as model_id,
        count(provider) as n_providers,
        count(provider) filter (where is_live) as n_providers_live,
        {{ sorted_string_list('provider', 'is_live') }} as providers_live,
        {{ sorted_string_list('provider', 'provider is not null and not is_live') }} as providers_not_live,
        {{ sorted_string_list('task', 'task is not null', distinct=true) }} as tasks
    from providers
    group by snapshot_date, model_uid
)

select
    per_model.snapshot_date,
    per_model.model_uid,
    per_model.model_id,
    models.namespace,
    models.organization,
    models.region,
    models.is_mainline,
    per_model.n_providers,
    per_model.n_providers_live,
    per_model.n_providers_live > 0 as is_served,
    per_model.providers_live,
    per_model.providers_not_live,
    per_model.tasks,
    min(case when per_model.n_providers_live > 0 then per_model.snapshot_date end)
        over (partition by per_model.model_uid) as first_served_date
from per_model
left join {{ ref('dim_models') }} as models using (model_uid)
