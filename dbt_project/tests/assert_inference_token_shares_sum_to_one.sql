-- The inference shares of a day are shares of all its tokens: they sum to 1 (within rounding).
select snapshot_date, sum(token_share) as share_sum
from {{ ref('agg_inference_share_by_region_daily') }}
group by snapshot_date
having abs(sum(token_share) - 1) > 1e-9
