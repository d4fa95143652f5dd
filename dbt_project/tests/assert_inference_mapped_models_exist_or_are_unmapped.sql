{{ config(meta={'dagster': {'ref': {'name': 'fct_inference_tokens_daily'}}}) }}
-- Every ranked model is either mapped to a model of dim_models or listed with an unmapped reason.
select facts.snapshot_date, facts.model_permaslug, facts.mapping_status, facts.model_uid
from {{ ref('fct_inference_tokens_daily') }} as facts
left join {{ ref('dim_models') }} as models on models.model_uid = facts.model_uid
where (facts.mapping_status = 'mapped') <> (models.model_uid is not null)
    or (facts.mapping_status <> 'mapped' and facts.model_uid is not null)
