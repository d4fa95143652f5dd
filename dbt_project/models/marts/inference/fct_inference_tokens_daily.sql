-- OpenRouter tokens per ranked model (permaslug) per day, mapped to the Hub and to the
-- publishing organization's region. Every ranked row is kept: the share denominators are the
-- day's total, closed models and the `other` long tail included, so open-model shares are
-- honest shares of all tokens. Unmapped rows say why (`mapping_status`).
with rankings as (
    select * from {{ ref('stg_openrouter__rankings_daily') }}
),

catalogue as (
    select * from {{ ref('stg_openrouter__models') }}
),

ranking_days as (
    select distinct ranking_date from rankings
),

-- The catalogue describing a ranking day: the latest capture on or before it, else the
-- earliest after it (rankings history can predate the first catalogue capture).
day_catalogue as (
    select
        ranking_days.ranking_date,
        coalesce(
            max(catalogue_days.snapshot_date) filter (where catalogue_days.snapshot_date <= ranking_days.ranking_date),
            min(catalogue_days.snapshot_date)
        ) as catalogue_date
    from ranking_days
    left join (select distinct snapshot_date from catalogue) as catalogue_days on true
    group by ranking_days.ranking_date
),

-- Permaslug -> catalogue entry: canonical slug, then the id (`:free` variants are own ids), then
-- both without the `:variant` suffix.
catalogue_match as (
    select
        rankings.ranking_date,
        rankings.model_permaslug,
        catalogue.snapshot_date as catalogue_date,
        catalogue.model_slug,
        catalogue.name,
        catalogue.hugging_face_id
    from rankings
    inner join day_catalogue using (ranking_date)
    inner join catalogue
        on catalogue.snapshot_date = day_catalogue.catalogue_date
        and (
            catalogue.canonical_slug in (rankings.model_permaslug, rankings.base_permaslug)
            or catalogue.model_slug in (rankings.model_permaslug, rankings.base_permaslug)
        )
    where not rankings.is_other_bucket
    qualify row_number() over (
        partition by rankings.ranking_date, rankings.model_permaslug
        order by
            case
                when catalogue.canonical_slug = rankings.model_permaslug then 1
                when catalogue.model_slug = rankings.model_permaslug then 2
                when catalogue.canonical_slug = rankings.base_permaslug then 3
                else 4
            end,
            catalogue.model_slug
    ) = 1
),

-- Every repo id a Hub model was ever seen under (renames keep the old id mappable).
hub_ids as (
    select model_id, model_uid, max(snapshot_date) as last_seen
    from {{ ref('int_hub__models_keyed') }}
    group by model_id, model_uid
),

-- Hugging Face id -> Hub model: exact id first, then case-insensitive (the Hub resolves ids so).
hub_match as (
    select
        catalogue_match.ranking_date,
        catalogue_match.model_permaslug,
        hub_ids.model_uid
    from catalogue_match
    inner join hub_ids on lower(hub_ids.model_id) = lower(catalogue_match.hugging_face_id)
    qualify row_number() over (
        partition by catalogue_match.ranking_date, catalogue_match.model_permaslug
        order by (hub_ids.model_id = catalogue_match.hugging_face_id) desc, hub_ids.last_seen desc, hub_ids.model_uid
    ) = 1
),

joined as (
    select
        rankings.ranking_date as snapshot_date,
        rankings.model_permaslug,
        rankings.base_permaslug,
        rankings.variant,
        rankings.is_other_bucket,
        rankings.rank,
        rankings.total_tokens,
        -- 128-bit (safe_sum): the day's total cannot overflow, however large the counts.
        {{ safe_sum('rankings.total_tokens') }} over (partition by rankings.ranking_date) as day_total_tokens,
        catalogue_match.model_slug as openrouter_model_slug,
        catalogue_match.name as openrouter_model_name,
        day_catalogue.catalogue_date as catalogue_snapshot_date,
        catalogue_match.hugging_face_id,
        models.model_uid,
        models.model_id as hub_model_id,
        models.namespace,
        models.organization,
        models.country_code,
        models.region,
        models.is_mainline,
        case
            when rankings.is_other_bucket then 'other_bucket'
            when catalogue_match.model_permaslug is null then 'not_in_catalogue'
            when catalogue_match.hugging_face_id is null then 'closed_model_no_hf_id'
            when models.model_uid is null then 'hf_id_not_in_dim_models'
            else 'mapped'
        end as mapping_status,
        rankings.source_attribution
    from rankings
    left join day_catalogue using (ranking_date)
    left join catalogue_match
        on catalogue_match.ranking_date = rankings.ranking_date
        and catalogue_match.model_permaslug = rankings.model_permaslug
    left join hub_match
        on hub_match.ranking_date = rankings.ranking_date
        and hub_match.model_permaslug = rankings.model_permaslug
    left join {{ ref('dim_models') }} as models on models.model_uid = hub_match.model_uid
)

select
    snapshot_date,
    model_permaslug,
    base_permaslug,
    variant,
    is_other_bucket,
    rank,
    total_tokens,
    day_total_tokens,
    case when day_total_tokens > 0 then total_tokens / cast(day_total_tokens as double) end as token_share,
    openrouter_model_slug,
    openrouter_model_name,
    catalogue_snapshot_date,
    hugging_face_id,
    case
        when mapping_status in ('other_bucket', 'not_in_catalogue') then null
        else hugging_face_id is not null
    end as is_open_weights,
    model_uid,
    hub_model_id,
    namespace,
    organization,
    country_code,
    region,
    is_mainline,
    mapping_status,
    case
        when mapping_status = 'mapped' and region is not null then region
        when mapping_status in ('mapped', 'hf_id_not_in_dim_models') then 'open_unattributed'
        when mapping_status = 'closed_model_no_hf_id' then 'closed'
        else mapping_status
    end as inference_category,
    case
        when hugging_face_id is not null and mapping_status <> 'other_bucket'
            then rank() over (
                partition by snapshot_date, hugging_face_id is not null and mapping_status <> 'other_bucket'
                order by total_tokens desc
            )
    end as open_rank,
    source_attribution
from joined
