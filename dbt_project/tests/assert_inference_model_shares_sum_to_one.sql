-- Per-model shares (top 50 + `other`) of a day also sum to 1: no ranked row is dropped.
select snapshot_date, sum(token_share) as share_sum
from {{ ref('fct_inference_tokens_daily') }}
group by snapshot_date
having abs(sum(token_share) - 1) > 1e-9
