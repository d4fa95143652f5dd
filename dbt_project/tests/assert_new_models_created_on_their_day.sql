-- A new model was created on its snapshot's UTC day: the landing drops models created outside the
-- day, and a hand-copied partition must too. A singular test, not expression_is_true: the UTC date
-- is engine SQL (utc_date), and a generic test's name would then differ between engines.
select snapshot_date, model_uid, created_at
from {{ ref('stg_hub__new_models') }}
where {{ utc_date('created_at') }} <> snapshot_date
