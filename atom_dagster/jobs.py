"""The jobs and the schedule: the daily job, and the two jobs `atom backfill` runs (named in the UI)."""

from __future__ import annotations

import dagster as dg

DAILY_JOB = "atom_daily"
# `atom backfill` runs one raw-landing run per day, then one dbt build over the window.
LAND_RAW_JOB = "atom_land_raw_day"
BUILD_MARTS_JOB = "atom_build_marts"
# The marts, then the report of the window's last day.
MARTS_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups("raw")


def build_jobs(partitions: dg.PartitionsDefinition) -> list[dg.UnresolvedAssetJobDefinition]:
    """The daily job (everything), and the CLI's raw-landing and marts jobs."""
    return [
        dg.define_asset_job(
            DAILY_JOB,
            selection=dg.AssetSelection.all(),
            partitions_def=partitions,
            description=(
                "Capture (or replay) one day's Hub and OpenRouter snapshots, validate and land them, "
                "`dbt build` the marts, then write the day's report."
            ),
        ),
        dg.define_asset_job(
            LAND_RAW_JOB,
            selection=dg.AssetSelection.groups("raw"),
            partitions_def=partitions,
            description="`atom backfill`, per day: every raw table of the day (capture or replay, gate, promote).",  # noqa: E501
        ),
        dg.define_asset_job(
            BUILD_MARTS_JOB,
            selection=MARTS_SELECTION,
            partitions_def=partitions,
            description="`atom backfill`, once per window: `dbt build` of the marts, then the report.",
        ),
    ]


def build_daily_schedule(daily_job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    # Partition D is captured at 02:00 UTC on D+1, as D's end-of-day state.
    return dg.build_schedule_from_partitioned_job(
        daily_job,
        hour_of_day=2,
        minute_of_hour=0,
        name="atom_daily_schedule",
        description="Every day at 02:00 UTC: yesterday's partition, end to end.",
    )
