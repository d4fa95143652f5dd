"""The daily job and its schedule."""

from __future__ import annotations

import dagster as dg

from atom_dagster.partitions import daily_partitions

atom_daily_job = dg.define_asset_job(
    "atom_daily",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description=(
        "Capture (or replay) one day's Hub and OpenRouter snapshots, validate and land them, "
        "`dbt build` the marts, then write the day's report."
    ),
)

# Partition D is captured at 02:00 UTC on D+1, as D's end-of-day state.
atom_daily_schedule = dg.build_schedule_from_partitioned_job(
    atom_daily_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="atom_daily_schedule",
    description="Every day at 02:00 UTC: yesterday's partition, end to end.",
)
