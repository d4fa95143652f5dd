-- One row per model (`_id`), described by its latest snapshot, in or out of the report's mainline
-- universe. The var `mainline_universe` chooses it: `atom_list` (default) is ATOM's curated primary
-- list (vendored seed atom_tracked_models, matched on any repo id the model had); `rules` is our
-- rules: scalar rules are dbt vars, name/library/tag patterns the seed `mainline_exclusion_rules`,
-- families the seed `model_families`. The rules' verdict is kept in both modes
-- (`rules_exclusion_reason`), so new releases the list lacks show up (mainline_candidates).
-- Parameters and release dates take ATOM's curated values first, then ours, then the Hub's.
--
-- A repository deleted and re-created under the same repo id is two models: the old `_id` ends
-- the day its repo id is first seen under a later model (`superseded_on`, `superseded_by_uid`;
-- see int_hub__models_keyed for the day that shows both), and from that day on it is no longer
-- counted, not even carried forward (agg_downloads_by_region_daily, metrics_model_downloads_daily).
{%- set universe = {'atom_list': 'list', 'rules': 'rules'}.get(var('mainline_universe')) -%}
{%- if universe is none -%}
    {{ exceptions.raise_compiler_error(
        "The var mainline_universe is '" ~ var('mainline_universe') ~ "'; use atom_list (ATOM's curated list) or rules."
    ) }}
{%- endif %}

with latest as (
    select *
    from {{ ref('int_hub__models_keyed') }}
    qualify row_number() over (partition by model_uid order by snapshot_date desc) = 1
),

history as (
    select
        model_uid,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date,
        count(distinct model_id) as n_ids_seen
    from {{ ref('int_hub__models_keyed') }}
    group by model_uid
),

named as (
    select
        latest.*,
        split_part(model_id, '/', 2) as model_name,
        history.first_snapshot_date,
        history.last_snapshot_date,
        history.n_ids_seen
    from latest
    inner join history using (model_uid)
),

-- A model whose current repo id is seen under another model after the model's own last snapshot
-- has ended (deleted, its repo id re-created or taken by another repository): that model and the
-- first such day. (A rename is no ending: the renamed model's current repo id is its new one.)
successors as (
    select
        named.model_uid,
        later.model_uid as superseded_by_uid,
        later.snapshot_date as superseded_on
    from named
    inner join {{ ref('int_hub__models_keyed') }} as later
        on later.model_id = named.model_id
        and later.model_uid <> named.model_uid
        and later.snapshot_date > named.last_snapshot_date
    qualify row_number() over (partition by named.model_uid order by later.snapshot_date, later.model_uid) = 1
),

-- The ATOM list a model is on, by any repo id it has had (ATOM keeps renamed ids as their own rows).
listed as (
    select
        ids.model_uid,
        min(case atom.list when 'primary' then 1 else 2 end) as list_rank
    from (select distinct model_uid, model_id from {{ ref('int_hub__models_keyed') }}) as ids
    inner join {{ ref('atom_tracked_models') }} as atom on atom.model_id = ids.model_id
    group by ids.model_uid
),

params as (
    select
        named.model_uid,
        coalesce(
            atom_params.total_params_b,
            overrides.total_params_b,
            named.safetensors_total / 1e9,
            named.gguf_total / 1e9,
            named.name_params_b
        ) as total_params_b,
        atom_params.active_params_b,
        case
            when atom_params.total_params_b is not null then 'atom_reference'
            when overrides.total_params_b is not null then 'curated_override'
            when named.safetensors_total is not null then 'safetensors_total'
            when named.gguf_total is not null then 'gguf_total'
            when named.name_params_b is not null then 'name_parsing'
        end as params_source
    from named
    left join {{ ref('atom_model_parameters') }} as atom_params on atom_params.model_id = named.model_id
    left join {{ ref('parameter_overrides') }} as overrides on overrides.model_id = named.model_id
),

-- The family and the first exclusion rule each model matches, from the seeds model_families and
-- mainline_exclusion_rules as one CASE of constant patterns (macros/pattern_rules.sql: a join on the
-- pattern column would be a nested loop that recompiles every pattern for every row).
matched as (
    select
        named.model_uid,
        {{ model_family('named.model_name') }} as family,
        {{ mainline_exclusion_rule('named.model_name', 'named.library_name', 'named.tags') }} as rule_id
    from named
),

joined as (
    select
        named.*,
        orgs.organization,
        orgs.country_code,
        orgs.region,
        coalesce(orgs.is_tracked, false) as is_first_party,
        coalesce(matched.family, regexp_extract(named.model_name, '^[A-Za-z]+', 0)) as family,
        params.total_params_b,
        params.active_params_b,
        params.params_source,
        matched.rule_id as exclusion_rule,
        case listed.list_rank when 1 then 'primary' when 2 then 'extra' end as atom_list
    from named
    left join {{ ref('dim_organizations') }} as orgs on orgs.namespace = named.namespace
    left join params using (model_uid)
    left join matched using (model_uid)
    left join listed using (model_uid)
),

classified as (
    select
        joined.*,
        case
            when created_at is null or created_at::date <= date '{{ var("mainline_created_after") }}'
                then 'created_before_cutoff'
            when not is_first_party then 'not_first_party'
            when pipeline_tag is null
                or pipeline_tag not in ('{{ var("mainline_pipeline_tags") | join("', '") }}')
                then 'pipeline_out_of_scope'
            when exclusion_rule is not null then exclusion_rule
            when downloads_all_time <= {{ var("mainline_min_downloads_all_time") }}
                then 'below_download_threshold'
        end as rules_exclusion_reason,
        case atom_list when 'primary' then null when 'extra' then 'atom_extra_list' else 'not_in_atom_list' end
            as list_exclusion_reason
    from joined
)

select
    classified.model_uid,
    classified.model_id,
    classified.namespace,
    classified.model_name,
    classified.organization,
    classified.family,
    classified.country_code,
    classified.region,
    classified.is_first_party,
    classified.total_params_b,
    classified.active_params_b,
    classified.params_source,
    buckets.size_bucket,
    buckets.sort_order as size_bucket_order,
    classified.created_at,
    coalesce(atom_dates.release_date, corrections.release_date, classified.created_at::date) as release_date,
    case
        when atom_dates.release_date is not null then 'atom_reference'
        when corrections.release_date is not null then 'curated_correction'
        when classified.created_at is not null then 'hub_created_at'
    end as release_date_source,
    classified.pipeline_tag,
    classified.library_name,
    classified.license,
    classified.gated,
    classified.downloads_all_time as latest_downloads_all_time,
    classified.likes as latest_likes,
    classified.children_finetune,
    classified.children_adapter,
    classified.children_quantized,
    classified.children_merge,
    classified.children_total,
    {{ universe }}_exclusion_reason is null as is_mainline,
    classified.{{ universe }}_exclusion_reason as mainline_exclusion_reason,
    '{{ var("mainline_universe") }}' as mainline_universe,
    classified.atom_list,
    classified.rules_exclusion_reason,
    classified.first_snapshot_date,
    classified.last_snapshot_date,
    classified.n_ids_seen > 1 as was_renamed,
    successors.superseded_by_uid,
    successors.superseded_on
from classified
left join successors using (model_uid)
left join {{ ref('size_buckets') }} as buckets
    on classified.total_params_b >= buckets.min_params_b
    and (buckets.max_params_b is null or classified.total_params_b < buckets.max_params_b)
-- A curated release date wins over the Hub's `createdAt` (repos are often created before launch).
left join {{ ref('atom_release_date_corrections') }} as atom_dates on atom_dates.model_id = classified.model_id
left join {{ ref('release_date_corrections') }} as corrections on corrections.model_id = classified.model_id
